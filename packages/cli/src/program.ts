import { Command, CommanderError, Option } from 'commander';
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
export type Runner = (name: string, load: () => Promise<CommandModule<any>>, opts: object, globals: GlobalOptions) => Promise<number>;

export const defaultRunner: Runner = async (_name, load, opts, globals) => {
  const { reportError } = await import('./lib/errors.js');
  try {
    const { createContext } = await import('./context.js');
    const ctx = createContext(globals);
    const mod = await load();
    return await mod.run(ctx, opts);
  } catch (err) {
    return reportError(err, (text) => void process.stderr.write(text));
  }
};

const collect = (value: string, previous: string[] = []) => [...previous, value];

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}

/** The command tree (CLI.md). */
export function createProgram(runner: Runner = defaultRunner, onExit: (code: number) => void = () => {}): Command {
  const program = new Command('acct');
  const act = (name: string, load: () => Promise<CommandModule<any>>, build: (...args: any[]) => object) =>
    async (...args: any[]) => {
      const cmd = args[args.length - 1] as Command;
      const globals = cmd.optsWithGlobals() as GlobalOptions;
      const code = await runner(name, load, build(...args), { host: globals.host, json: globals.json, verbose: globals.verbose, token: globals.token, retries: globals.retries, insecureHttp: globals.insecureHttp });
      onExit(code);
    };

  program
    .description('Sign in to an acct server, mint scoped tokens, and call its API.')
    .version(VERSION, '--version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option('--host <url>', 'server to talk to (default: $ACCT_HOST, the current host, http://localhost:3000)')
    .option('--json', 'machine-readable output')
    .option('--verbose', 'trace HTTP on stderr (secrets masked)')
    .addOption(new Option('--token <token>', 'use this token (visible in process lists: prefer ACCT_TOKEN)'))
    .option('--retries <n>', 'retries when rate limited (429)', '3')
    .option('--insecure-http', 'allow plain HTTP to a non-loopback host (credentials travel unencrypted)')
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      examples([
        'acct signup',
        'acct login',
        'acct keys create --name "CI deploy bot" --scope user:read --scope projects:read --expires 30d --save',
        'acct call /api/user/me',
        'ACCT_TOKEN=ba_… acct call /api/user/organizations',
      ]) +
        '\nEnvironment:\n  ACCT_TOKEN  token for every request (CI)\n  ACCT_HOST   default host\n  NO_COLOR    no colours\n' +
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
  keys
    .command('list')
    .description('list your keys (never the secrets)')
    .action(act('keys list', () => import('./commands/keys/list.js'), () => ({})));
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

  // Organizations and projects -------------------------------------------------------------
  const orgs = program.command('orgs').description('organizations you belong to');
  orgs
    .command('list')
    .description('list your organizations and your role in each')
    .action(act('orgs list', () => import('./commands/orgs/list.js'), () => ({})));
  const projects = program.command('projects').description("an organization's projects");
  projects
    .command('list')
    .description('list projects (all pages)')
    .option('--org <id>', 'organization (default: $ACCT_ORG, or your only organization)')
    .action(act('projects list', () => import('./commands/projects/list.js'), (o) => ({ org: o.org })));
  projects
    .command('create')
    .description('create a project')
    .option('--name <name>', 'project name')
    .option('--description <text>', 'description')
    .option('--org <id>', 'organization (default: $ACCT_ORG, or your only organization)')
    .action(act('projects create', () => import('./commands/projects/create.js'), (o) => ({ org: o.org, name: o.name, description: o.description })));

  // Any request ------------------------------------------------------------------------------
  program
    .command('call')
    .description('make any API request, like `gh api`')
    .argument('[method]', 'HTTP method (default: GET, or POST with a body or fields)')
    .argument('[path]', 'path on the host, e.g. /api/user/me')
    .option('-X, --method <method>', 'HTTP method')
    .option('-d, --data <json>', 'request body: JSON text, @file, or - for stdin')
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
      ]),
    )
    .action(
      act('call', () => import('./commands/call/call.js'), (a: string | undefined, b: string | undefined, o) => ({
        ...(b === undefined ? { path: a } : { method: a, path: b }),
        ...(o.method ? { method: o.method } : {}),
        data: o.data,
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
    await program.parseAsync(argv, { from: 'user' });
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

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)]);
}
