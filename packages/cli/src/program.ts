import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Context, GlobalOptions } from './context.js';
import { VERSION } from './version.js';

/** A command module: `run(ctx, opts)` resolves to the exit code. */
export interface CommandModule<O> {
  run(ctx: Context, opts: O): Promise<number>;
}

/**
 * Runs a parsed command. The default builds the real context and imports the command module
 * only now, so `acct --version` and `--help` never load the HTTP client, tough-cookie or the keychain.
 * Unit tests pass a runner that records the options instead.
 */
export type Runner = (name: string, load: () => Promise<CommandModule<any>>, opts: object, globals: GlobalOptions & OutputOptions) => Promise<number>;

export const defaultRunner: Runner = async (_name, load, opts, globals) => {
  // The error reporter, the context and the command load side by side: one wait, not three.
  const [{ reportError }, { createContext }, mod] = await Promise.all([import('./lib/errors.js'), import('./context.js'), load()]);
  const writeErr = (text: string) => void process.stderr.write(text);
  if (globals.jq === undefined && globals.jsonFields === undefined) {
    try {
      const ctx = createContext(globals);
      return await mod.run(ctx, opts);
    } catch (err) {
      return reportError(err, writeErr);
    }
  }
  // --jq / --json FIELDS: the command writes its JSON into a buffer, then the filter prints.
  const [{ systemIO }, { captureStdout, printFiltered }] = await Promise.all([import('./lib/io.js'), import('./lib/output.js')]);
  const io = systemIO(process.env);
  const captured = captureStdout(io);
  let code: number;
  try {
    const ctx = createContext({ ...globals, json: true }, { io: captured.io });
    code = await mod.run(ctx, opts);
  } catch (err) {
    // A failed request's body goes out as the server sent it: there is nothing to filter.
    io.out(captured.text());
    return reportError(err, writeErr);
  }
  if (code !== 0) {
    io.out(captured.text());
    return code;
  }
  try {
    await printFiltered(io, captured.text(), { fields: globals.jsonFields, jq: globals.jq });
    return code;
  } catch (err) {
    return reportError(err, writeErr);
  }
};

// gh-style output and list flags (CLI.md "Global", issue 12) -----------------------------------

/** `--jq EXPR` and `--json a,b` (the field list reaches commander as the hidden --json-fields). */
export interface OutputOptions {
  jq?: string;
  jsonFields?: string[];
}

const FIELD_LIST = /^[A-Za-z_][A-Za-z0-9_]*(?:,[A-Za-z_][A-Za-z0-9_]*)*$/;
/** The API's field names are camelCase words: never an id (`ak_…`, a ULID), a path or an email. */
const FIELD_WORD = /^[a-z][A-Za-z]*$/;

/**
 * gh takes `--json a,b`; CLI.md has a bare `--json` too. So `--json=LIST` always carries fields,
 * and `--json LIST` does when LIST is a comma list of field names that is not a command word
 * (`acct --json keys list` stays the bare flag). A single word is a field only for a command
 * without arguments (`acct orgs list --json slug`; `acct keys get --json ak_1` keeps its id).
 * The field list goes on as `--json-fields LIST`.
 */
export function expandJsonFields(argv: string[], commandWords: Set<string>, singleWord = true): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (word.startsWith('--json=')) {
      out.push('--json', '--json-fields', word.slice('--json='.length));
      continue;
    }
    const next = argv[i + 1];
    const fields = next !== undefined && !commandWords.has(next) && (next.includes(',') ? FIELD_LIST.test(next) : singleWord && FIELD_WORD.test(next));
    if (word === '--json' && fields) {
      out.push('--json', '--json-fields', next);
      i++;
      continue;
    }
    out.push(word);
  }
  return out;
}

function parseFieldList(value: string): string[] {
  const fields = value.split(',').map((f) => f.trim());
  if (value === '' || !FIELD_LIST.test(fields.join(','))) throw new InvalidArgumentError('expected field names separated by commas, e.g. --json id,name');
  return fields;
}

function addOutputFlags(program: Command): Command {
  return program
    .option('--json', 'machine-readable output; `--json a,b` keeps only fields a and b (as gh)')
    .addOption(new Option('--json-fields <fields>').hideHelp().argParser(parseFieldList))
    .option('-q, --jq <expression>', 'filter the JSON output with a jq expression (strings print raw, as gh --jq)');
}

/** The output options of a parsed command line, only those given. */
function outputOptions(all: { jq?: string; jsonFields?: string[] }): OutputOptions {
  return { ...(all.jq !== undefined ? { jq: all.jq } : {}), ...(all.jsonFields !== undefined ? { jsonFields: all.jsonFields } : {}) };
}

/** `--limit N` / `--paginate` of every list command. */
const listFlags = (c: Command) =>
  c.option('-L, --limit <n>', 'show at most this many (default: 30)').option('--paginate', 'show every one, following all pages');
const listOpts = (o: { limit?: string; paginate?: boolean }) => ({ ...(o.limit !== undefined ? { limit: o.limit } : {}), paginate: Boolean(o.paginate) });

const collect = (value: string, previous: string[] = []) => [...previous, value];

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** The command tree (CLI.md). */
export function createProgram(runner: Runner = defaultRunner, onExit: (code: number) => void = () => {}): Command {
  const program = new Command('acct');
  type Adjust = (globals: GlobalOptions & OutputOptions, cmd: Command) => { options: object; globals: GlobalOptions & OutputOptions };
  const act = (name: string, load: () => Promise<CommandModule<any>>, build: (...args: any[]) => object, adjust?: Adjust) =>
    async (...args: any[]) => {
      const cmd = args[args.length - 1] as Command;
      const all = cmd.optsWithGlobals() as GlobalOptions & OutputOptions;
      let globals: GlobalOptions & OutputOptions = { host: all.host, json: all.json, verbose: all.verbose, token: all.token, retries: all.retries, insecureHttp: all.insecureHttp, maxWait: all.maxWait, ...outputOptions(all) };
      let opts = build(...args);
      if (adjust) {
        const adjusted = adjust(globals, cmd);
        globals = adjusted.globals;
        opts = { ...opts, ...adjusted.options };
      }
      const code = await runner(name, load, opts, globals);
      onExit(code);
    };

  program
    .description('Sign in to an acct server, mint scoped tokens, and call its API.')
    .version(VERSION, '--version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--host <url>', 'server to talk to (default: $ACCT_HOST, the current host, http://localhost:3000)')
    .option('--verbose', 'trace HTTP on stderr (secrets masked)')
    .addOption(new Option('--token <token>', 'use this token (visible in process lists: prefer ACCT_TOKEN)'))
    .option('--retries <n>', 'retries when rate limited (429)', '3')
    .option('--max-wait <seconds>', 'longest rate-limit wait to sit out; a longer one exits 6 at once (default: 60)')
    .option('--insecure-http', 'allow plain HTTP to a non-loopback host (credentials travel unencrypted)')
    .showSuggestionAfterError();
  addOutputFlags(program)
    .addHelpText(
      'after',
      examples([
        'acct signup',
        'acct login',
        'acct keys create --name "CI deploy bot" --scope user:read --scope projects:read --expires 30d --save',
        'acct call /api/user/me',
        'ACCT_TOKEN=ba_… acct call /api/user/organizations',
        'acct orgs switch acme && acct projects list',
      ]) +
        '\nEnvironment:\n  ACCT_TOKEN  token for every request (CI)\n  ACCT_HOST   default host\n  ACCT_ORG    organization (id or slug) for projects, members and credits\n  NO_COLOR    no colours\n' +
        '\nExit codes: 0 ok, 1 request failed, 2 usage, 3 network, 4 unauthorized (401), 5 forbidden (403), 6 rate limited (429), 7 insufficient credits (402)\n',
    );

  // Sign-in flow --------------------------------------------------------------------------
  const signup = (c: Command) =>
    c
      .description('create an account')
      .option('--email <email>', 'email address')
      .option('--name <name>', 'your name')
      .option('--password-stdin', 'read the password from stdin')
      .addHelpText('after', examples(['acct signup', "printf '%s' \"$PASSWORD\" | acct signup --email me@example.com --name 'Me' --password-stdin"]))
      .action(act('signup', () => import('./commands/auth/signup.js'), (o) => ({ email: o.email, name: o.name, passwordStdin: Boolean(o.passwordStdin) })));
  const login = (c: Command) =>
    c
      .description('sign in with email and password, or save a token with --with-token')
      .option('--email <email>', 'email address')
      .option('--password-stdin', 'read the password from stdin')
      .option('--with-token', 'read a personal access token from stdin and save it to the keychain')
      .option('--insecure-storage', 'without a keychain, save the token in a 0600 file')
      .addHelpText('after', examples(['acct login', "acct login --email me@example.com --password-stdin < password.txt", 'acct login --with-token < token.txt']))
      .action(act('login', () => import('./commands/auth/login.js'), (o) => ({ email: o.email, passwordStdin: Boolean(o.passwordStdin), withToken: Boolean(o.withToken), insecureStorage: Boolean(o.insecureStorage) })));
  const logout = (c: Command) =>
    c
      .description("sign out on the server and clear this host's cookies")
      .option('--forget-token', 'also delete the tokens saved for this host')
      .addHelpText('after', examples(['acct logout', 'acct logout --forget-token']))
      .action(act('logout', () => import('./commands/auth/logout.js'), (o) => ({ forgetToken: Boolean(o.forgetToken) })));
  const status = (c: Command) =>
    c
      .description('show the host, the credential in use, the user, scopes and expiry')
      .action(act('auth status', () => import('./commands/auth/status.js'), () => ({})));

  signup(program.command('signup'));
  login(program.command('login'));
  logout(program.command('logout'));
  program
    .command('whoami')
    .description('print who you are signed in as')
    .action(act('whoami', () => import('./commands/auth/whoami.js'), () => ({})));
  const auth = program.command('auth').description('sign in, sign out, and see which credential is in use');
  status(auth.command('status'));
  auth
    .command('token')
    .description('print the credential the next command would send, and nothing else')
    .addHelpText('after', examples(['curl -H "Authorization: Bearer $(acct auth token)" https://acct.example.com/api/user/me']))
    .action(act('auth token', () => import('./commands/auth/token.js'), () => ({})));
  auth
    .command('switch')
    .description('make another account signed in on this host the active one')
    .option('--user <email>', 'the account (default: the other one, when there are two)')
    .addHelpText('after', examples(['acct auth switch', 'acct auth switch --user ana@example.com']))
    .action(act('auth switch', () => import('./commands/auth/switch.js'), (o) => ({ user: o.user })));
  login(auth.command('login'));
  logout(auth.command('logout'));

  // Keys -------------------------------------------------------------------------------------
  const keys = program.command('keys').description('manage personal access tokens');
  keys
    .command('create')
    .description('mint a personal access token (shown once)')
    .option('--name <name>', 'what the key is for')
    .option('--scope <scope>', 'a scope it may use (repeat; at least one)', collect)
    .option('--expires <duration>', 'lifetime, e.g. 30d, 12h, 1y (default: no expiry)')
    .option('--org <id>', 'pin the key to one organization')
    .option('--save', 'save it to the keychain for this host')
    .option('--insecure-storage', 'with --save and no keychain, use a 0600 file')
    .addHelpText('after', examples(['acct keys create --name "CI deploy bot" --scope user:read --scope projects:read --expires 30d --save', 'KEY=$(acct keys create --name deploy --scope projects:write --org 01HZ…)']))
    .action(act('keys create', () => import('./commands/keys/create.js'), (o) => ({ name: o.name, scopes: o.scope ?? [], expires: o.expires, org: o.org, save: Boolean(o.save), insecureStorage: Boolean(o.insecureStorage) })));
  listFlags(keys.command('list').description('list your keys, newest first (never the secrets)'))
    .addHelpText('after', examples(['acct keys list', 'acct keys list --limit 5', "acct keys list --paginate --jq '.[] | select(.status == \"active\") | .id'"]))
    .action(act('keys list', () => import('./commands/keys/list.js'), (o) => listOpts(o)));
  keys
    .command('get')
    .description('show one key')
    .argument('<id>', 'key id (ak_…)')
    .action(act('keys get', () => import('./commands/keys/get.js'), (id) => ({ id })));
  keys
    .command('update')
    .description("change a key's name, scopes or enabled state")
    .argument('<id>', 'key id (ak_…)')
    .option('--name <name>', 'new name')
    .option('--scope <scope>', 'replace the scopes (repeat)', collect)
    .option('--enable', 'enable the key')
    .option('--disable', 'disable the key (it stops working until enabled)')
    .addHelpText('after', examples(['acct keys update ak_123 --name "nightly"', 'acct keys update ak_123 --scope user:read --scope projects:read', 'acct keys update ak_123 --disable']))
    .action(act('keys update', () => import('./commands/keys/update.js'), (id, o) => ({ id, name: o.name, scopes: o.scope, enable: Boolean(o.enable), disable: Boolean(o.disable) })));
  keys
    .command('revoke')
    .alias('delete')
    .description('revoke a key: it stops working on the next request')
    .argument('<id>', 'key id (ak_…)')
    .action(act('keys revoke', () => import('./commands/keys/revoke.js'), (id) => ({ id })));
  keys
    .command('rotate')
    .description('replace a key with a new secret (the old one stops working)')
    .argument('<id>', 'key id (ak_…)')
    .option('--grace <duration>', 'keep the old secret working this long, e.g. 1h (default: it stops now)')
    .option('--save', 'save the new key to the keychain for this host')
    .option('--insecure-storage', 'with --save and no keychain, use a 0600 file')
    .action(act('keys rotate', () => import('./commands/keys/rotate.js'), (id, o) => ({ id, grace: o.grace, save: Boolean(o.save), insecureStorage: Boolean(o.insecureStorage) })));

  // Organizations, members, invitations, projects, credits -----------------------------------
  const orgFlag = (c: Command) => c.option('--org <id|slug>', 'organization (default: $ACCT_ORG, the current one from `acct orgs switch`, or your only one)');

  const orgs = program.command('orgs').description('organizations you belong to, and the current one for this host');
  listFlags(orgs.command('list').description('list your organizations and your role in each (* marks the current one)'))
    .addHelpText('after', examples(['acct orgs list', 'acct orgs list --json id,slug', "acct orgs list --jq '.[].slug'"]))
    .action(act('orgs list', () => import('./commands/orgs/list.js'), (o) => listOpts(o)));
  orgs
    .command('create')
    .description('create an organization (you become its owner)')
    .argument('<name>', 'its name')
    .option('--slug <slug>', 'its slug, lower case letters, digits and dashes (default: made from the name)')
    .addHelpText('after', examples(['acct orgs create "Acme Inc"', 'acct orgs create "Acme Inc" --slug acme', 'ORG=$(acct orgs create Acme)']))
    .action(act('orgs create', () => import('./commands/orgs/create.js'), (name, o) => ({ name, slug: o.slug })));
  orgs
    .command('switch')
    .description('choose the organization commands use on this host without --org')
    .argument('[id|slug]', 'the organization')
    .option('--unset', 'forget the current organization for this host')
    .addHelpText('after', examples(['acct orgs switch acme', 'acct orgs switch 01HZX3…', 'acct orgs switch --unset']))
    .action(act('orgs switch', () => import('./commands/orgs/switch.js'), (org, o) => ({ org, unset: Boolean(o.unset) })));

  const members = program.command('members').description("an organization's members");
  listFlags(orgFlag(members.command('list').description('list members and their roles')))
    .addHelpText('after', examples(['acct members list', 'acct members list --org acme --paginate --json']))
    .action(act('members list', () => import('./commands/members/list.js'), (o) => ({ org: o.org, ...listOpts(o) })));
  orgFlag(members.command('invite').description('invite someone by email (mails a single-use link, valid 7 days)'))
    .argument('<email>', 'their email address')
    .option('--role <role>', 'member, admin or owner (no higher than yours)', 'member')
    .addHelpText('after', examples(['acct members invite ana@example.com', 'acct members invite ana@example.com --role admin --org acme']))
    .action(act('members invite', () => import('./commands/members/invite.js'), (email, o) => ({ org: o.org, email, role: o.role })));
  orgFlag(members.command('remove').description('remove a member (their keys stop working for the organization at once)'))
    .argument('<user-id|email>', 'the member')
    .addHelpText('after', examples(['acct members remove ana@example.com', 'acct members remove 01HZX3…']))
    .action(act('members remove', () => import('./commands/members/remove.js'), (member, o) => ({ org: o.org, member })));

  const invitations = program.command('invitations').description('invitations to your email address');
  listFlags(invitations.command('list').description('list pending invitations to your verified email address'))
    .action(act('invitations list', () => import('./commands/invitations/list.js'), (o) => listOpts(o)));
  invitations
    .command('accept')
    .description('join an organization you were invited to')
    .argument('<id|link>', 'the invitation id, or the link from the mail')
    .option('--token <token>', 'the token from the invitation mail (not needed once your address is verified)')
    .addHelpText('after', examples(['acct invitations accept 01HZX3…', 'acct invitations accept 01HZX3… --token bm_…', "acct invitations accept 'https://acct.example.com/api/invitations/01HZX3…?token=bm_…'"]))
    .action(
      act('invitations accept', () => import('./commands/invitations/accept.js'), (invitation) => ({ invitation }), (globals, cmd) => {
        // `--token` after `accept` is the invitation's; the global --token (a credential) goes before it.
        const split = splitSubcommandOption(cmd, '--token');
        return { options: { token: split.after }, globals: { ...globals, token: split.before } };
      }),
    );

  const projects = program.command('projects').description("an organization's projects");
  listFlags(orgFlag(projects.command('list').description('list projects (oldest first)')))
    .option('--sort <key>', 'createdAt, -createdAt, name or -name (- is descending)')
    .option('--name <text>', 'only projects whose name contains this, ignoring case')
    .addHelpText('after', examples(['acct projects list', 'acct projects list --sort -createdAt --limit 5', 'acct projects list --name site --paginate --json']))
    .action(act('projects list', () => import('./commands/projects/list.js'), (o) => ({ org: o.org, sort: o.sort, name: o.name, ...listOpts(o) })));
  orgFlag(projects.command('create').description('create a project (costs credits)'))
    .option('--name <name>', 'project name')
    .option('--description <text>', 'description')
    .addHelpText('after', examples(['acct projects create --name Site', 'acct projects create --name Site --description "Our site" --org acme']))
    .action(act('projects create', () => import('./commands/projects/create.js'), (o) => ({ org: o.org, name: o.name, description: o.description })));

  const credits = program.command('credits').description("an organization's credits: balance, ledger, top-ups");
  listFlags(orgFlag(credits.command('show', { isDefault: true }).description('the balance, plan and seats, then the ledger, newest first (the default)')))
    .addHelpText('after', examples(['acct credits', 'acct credits --org acme --paginate --json']))
    .action(act('credits show', () => import('./commands/credits/show.js'), (o) => ({ org: o.org, ...listOpts(o) })));
  orgFlag(credits.command('top-up').description('add credits (safe to retry with the same --idempotency-key)'))
    .argument('<amount>', 'whole credits, 1 to 1000000')
    .option('--description <text>', 'what the top-up is for')
    .option('--idempotency-key <key>', 'reuse the key of an attempt whose outcome you did not see (default: a new UUID, printed)')
    .addHelpText('after', examples(['acct credits top-up 500', 'acct credits top-up 500 --idempotency-key 4f1c…  # a retry: credits at most once']))
    .action(act('credits top-up', () => import('./commands/credits/top-up.js'), (amount, o) => ({ org: o.org, amount, description: o.description, idempotencyKey: o.idempotencyKey })));

  // Any request ------------------------------------------------------------------------------
  program
    .command('call')
    .description('make any API request, like `gh api`')
    .argument('[method]', 'HTTP method (default: GET, or POST with a body or fields)')
    .argument('[path]', 'path on the host, e.g. /api/user/me')
    .option('-X, --method <method>', 'HTTP method')
    .option('-d, --data <json>', 'request body: JSON text, @file, or - for stdin')
    .option('--input <file>', 'send this file as the body (- for stdin); fields then go to the query string (as gh api --input)')
    .option('-f, --raw-field <key=value>', 'string field (repeat)', collect)
    .option('-F, --field <key=value>', 'typed field: numbers, true/false/null, @file; key[sub]= nests (repeat)', collect)
    .option('-H, --header <header>', "extra header 'Name: value' (repeat)", collect)
    .option('-i, --include', 'print the status line and headers')
    .option('--paginate', 'follow Link rel="next" and merge the data arrays')
    .addHelpText(
      'after',
      examples([
        'acct call /api/user/me',
        'acct call /api/user/organizations --paginate',
        'acct call POST /api/user/organizations -f name="Acme"',
        'acct call /api/user/organizations/$ORG/projects -F name=Site -F description="Our site"',
        "acct call PATCH /api/user/me -d '{\"name\":\"New Name\"}'",
        'ACCT_TOKEN=ba_… acct call -i /api/user/me',
        'acct call PATCH /api/user/me --input profile.json',
        "acct call /api/auth/api-key/list --paginate --jq '.data[].id'",
      ]),
    )
    .action(
      act('call', () => import('./commands/call/call.js'), (a: string | undefined, b: string | undefined, o) => ({
        ...(b === undefined ? { path: a } : { method: a, path: b }),
        ...(o.method ? { method: o.method } : {}),
        data: o.data,
        ...(o.input !== undefined ? { input: o.input } : {}),
        rawFields: o.rawField ?? [],
        fields: o.field ?? [],
        headers: o.header ?? [],
        include: Boolean(o.include),
        paginate: Boolean(o.paginate),
      })),
    );

  program
    .command('completion')
    .description('print a shell completion script')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText('after', examples(['acct completion bash > ~/.local/share/bash-completion/completions/acct', 'acct completion zsh > "${fpath[1]}/_acct"', 'acct completion fish > ~/.config/fish/completions/acct.fish']))
    .action(act('completion', () => import('./commands/completion/completion.js'), (shell) => ({ shell, program })));

  return program;
}

/** Parses argv and runs; resolves to the exit code (usage errors are 2, as CLI.md says). */
export async function main(argv: string[], runner: Runner = defaultRunner): Promise<number> {
  let code = 0;
  const program = createProgram(runner, (c) => (code = c));
  for (const cmd of [program, ...allCommands(program)]) {
    cmd.exitOverride();
    cmd.configureOutput({ outputError: (text, write) => write(text) });
  }
  try {
    const words = new Set(allCommands(program).flatMap((c) => [c.name(), ...c.aliases()]));
    await program.parseAsync(expandJsonFields(argv, words, targetCommand(program, argv).registeredArguments.length === 0), { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
      process.stderr.write("Run 'acct --help' for usage.\n");
      return 2;
    }
    throw err;
  }
  return code;
}

/**
 * The last value of `flag` before and after `cmd`'s own name on the command line. Commander
 * hands a flag the program also defines (the global `--token`) to the program wherever it
 * appears, so a subcommand with a flag of the same name reads its value here.
 */
export function splitSubcommandOption(cmd: Command, flag: string): { before: string | undefined; after: string | undefined } {
  let root = cmd;
  while (root.parent) root = root.parent;
  const argv = (root as unknown as { rawArgs: string[] }).rawArgs ?? [];
  const path: string[] = [];
  for (let c: Command | null = cmd; c && c.parent; c = c.parent) path.unshift(c.name());
  // The subcommand's position: its path's words in order, skipping options and their values.
  let at = -1;
  for (let i = 0, want = 0; i < argv.length && want < path.length; i++) {
    const word = argv[i]!;
    if (word === '--') break;
    if (word === path[want]) {
      want++;
      if (want === path.length) at = i;
    }
  }
  const out: { before: string | undefined; after: string | undefined } = { before: undefined, after: undefined };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') break;
    let value: string | undefined;
    if (word === flag) value = argv[++i];
    else if (word.startsWith(`${flag}=`)) value = word.slice(flag.length + 1);
    else continue;
    if (at >= 0 && i > at) out.after = value;
    else out.before = value;
  }
  return out;
}

/** The command argv names: the deepest subcommand reached by its words. */
function targetCommand(program: Command, argv: string[]): Command {
  let cmd = program;
  for (const word of argv) {
    if (word === '--') break;
    const sub = cmd.commands.find((c) => c.name() === word || c.aliases().includes(word));
    if (sub) cmd = sub;
  }
  return cmd;
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}
