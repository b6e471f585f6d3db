import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { CommandModule, CommandSpec, SpecModule } from './commands/spec.js';
import type { GlobalOptions } from './context.js';
import { VERSION } from './version.js';

export type { CommandModule, CommandSpec } from './commands/spec.js';

/**
 * Runs a parsed command. The default builds the real context and imports the command module
 * only now, so `acct --version` and `--help` never load the HTTP client, tough-cookie or the keychain.
 * Unit tests pass a runner that records the options instead.
 */
export type Runner = (name: string, load: () => Promise<CommandModule<any>>, opts: object, globals: GlobalOptions & OutputOptions) => Promise<number>;

export const defaultRunner: Runner = async (_name, load, opts, globals) => {
  // The context and the command load side by side: one wait, not two. Errors go up to main().
  const [{ createContext }, mod] = await Promise.all([import('./context.js'), load()]);
  if (globals.jq === undefined && globals.jsonFields === undefined) return mod.run(createContext(globals), opts);
  // --jq / --json FIELDS: the command writes its JSON into a buffer, then the filter prints.
  const [{ systemIO }, { captureStdout, printFiltered }] = await Promise.all([import('./lib/io.js'), import('./lib/output.js')]);
  const io = systemIO(process.env);
  const captured = captureStdout(io);
  const ctx = createContext({ ...globals, json: true }, { io: captured.io });
  // A failed command's output (a failed request's body, as the server sent it) is not filtered.
  const code = await mod.run(ctx, opts).catch((err: unknown) => {
    io.out(captured.text());
    throw err;
  });
  if (code !== 0) {
    io.out(captured.text());
    return code;
  }
  await printFiltered(io, captured.text(), { fields: globals.jsonFields, jq: globals.jq });
  return code;
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

// The command specs (commands/<group>/spec.ts) ------------------------------------------------

export interface Group {
  /** Its top-level command words. */
  words: string[];
  load: () => Promise<SpecModule>;
}

/** Every top-level command's spec module, in the order of `acct --help`. */
const GROUPS: Group[] = [
  { words: ['signup', 'login', 'logout', 'whoami', 'auth'], load: () => import('./commands/auth/spec.js') },
  { words: ['keys'], load: () => import('./commands/keys/spec.js') },
  { words: ['orgs'], load: () => import('./commands/orgs/spec.js') },
  { words: ['members'], load: () => import('./commands/members/spec.js') },
  { words: ['teams'], load: () => import('./commands/teams/spec.js') },
  { words: ['invitations'], load: () => import('./commands/invitations/spec.js') },
  { words: ['projects'], load: () => import('./commands/projects/spec.js') },
  { words: ['credits'], load: () => import('./commands/credits/spec.js') },
  { words: ['webhooks'], load: () => import('./commands/webhooks/spec.js') },
  { words: ['audit'], load: () => import('./commands/audit/spec.js') },
  { words: ['apps'], load: () => import('./commands/apps/spec.js') },
  { words: ['call'], load: () => import('./commands/call/spec.js') },
  { words: ['completion'], load: () => import('./commands/completion/spec.js') },
  { words: ['mcp'], load: () => import('./commands/mcp/spec.js') },
];

/**
 * Every command word and alias at any depth, known without loading the specs: `--json WORD`
 * keeps WORD as a command word (expandJsonFields). program.test.ts checks it against the specs.
 */
export const COMMAND_WORDS = new Set([
  ...GROUPS.flatMap((g) => g.words),
  ...['status', 'token', 'switch', 'create', 'list', 'get', 'update', 'revoke', 'delete', 'rotate', 'invite', 'remove', 'accept', 'show', 'top-up', 'rotate-secret', 'test', 'deliveries', 'redeliver', 'listen'],
]);

/** The root's flags (`--json` and `--version`/`--help` aside), and which of them take a value. */
const GLOBAL_FLAGS = new Set(['--host', '--verbose', '--token', '--retries', '--max-wait', '--insecure-http', '--json', '--json-fields', '-q', '--jq']);
const GLOBAL_VALUE_FLAGS = new Set(['--host', '--token', '--retries', '--max-wait', '--json-fields', '-q', '--jq']);

/**
 * The spec groups argv needs: only the named command's group when argv plainly names one
 * (`acct --host … call /api/user/me`); none for a leading `--version`; every group for help, `help`, completion, an unknown
 * command, or anything less plain (an option before the command that is not a global one, a
 * field list after a leading `--json`, or a word of another group anywhere on the line), so
 * help, suggestions and errors read as they do with the whole tree.
 */
export function groupsFor(argv: string[]): Group[] {
  let first: string | undefined;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      if (first === undefined) return GROUPS;
      break;
    }
    if (word.startsWith('-') && word !== '-') {
      if (first !== undefined) continue;
      const name = word.includes('=') ? word.slice(0, word.indexOf('=')) : word;
      // `--version` prints the version as commander reads it: no command is needed.
      if (word === '--version') return [];
      if (!GLOBAL_FLAGS.has(name)) return GROUPS;
      if (name !== word) continue;
      if (GLOBAL_VALUE_FLAGS.has(name)) i++;
      else if (name === '--json') {
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith('-') && !COMMAND_WORDS.has(next)) return GROUPS;
      }
      continue;
    }
    first ??= word;
    words.push(word);
  }
  const group = first === undefined ? undefined : GROUPS.find((g) => g.words.includes(first));
  if (!group || group.words.includes('completion')) return GROUPS;
  const other = GROUPS.filter((g) => g !== group).flatMap((g) => g.words);
  if (words.some((w) => other.includes(w))) return GROUPS;
  return [group];
}

/**
 * The command tree (CLI.md) with the commands of `argv` (every command when argv is not given:
 * see groupsFor). Only the spec modules needed are imported, and no command's run module.
 */
export async function createProgram(runner: Runner = defaultRunner, onExit: (code: number) => void = () => {}, argv?: string[]): Promise<Command> {
  const modules = await Promise.all((argv === undefined ? GROUPS : groupsFor(argv)).map((g) => g.load()));
  const program = new Command('acct');
  const act = (spec: NonNullable<CommandSpec['run']>, flags: { org: boolean; list: boolean }) =>
    async (...args: any[]) => {
      const cmd = args[args.length - 1] as Command;
      const o = args[args.length - 2] as Record<string, any>;
      const all = cmd.optsWithGlobals() as GlobalOptions & OutputOptions;
      let globals: GlobalOptions & OutputOptions = { host: all.host, json: all.json, verbose: all.verbose, token: all.token, retries: all.retries, insecureHttp: all.insecureHttp, maxWait: all.maxWait, ...outputOptions(all) };
      let opts: object = { ...(flags.org ? { org: o.org } : {}), ...spec.options(...args), ...(flags.list ? listOpts(o) : {}) };
      if (spec.ownToken) {
        // Commander hands `--token` to the program wherever it appears: split it at the command's name.
        const split = splitSubcommandOption(cmd, '--token');
        opts = { ...opts, token: split.after };
        globals = { ...globals, token: split.before };
      }
      const code = await runner(spec.name, spec.load, opts, globals);
      onExit(code);
    };
  const add = (parent: Command, spec: CommandSpec) => {
    const c = parent.command(spec.name, spec.isDefault ? { isDefault: true } : {});
    if (spec.alias !== undefined) c.alias(spec.alias);
    c.description(spec.description);
    for (const a of spec.arguments ?? []) c.argument(a.name, a.description);
    if (spec.org) orgFlag(c);
    if (spec.list) listFlags(c);
    for (const opt of spec.options ?? []) {
      if (opt.repeat) c.option(opt.flags, opt.description, collect);
      else if (opt.default !== undefined) c.option(opt.flags, opt.description, opt.default);
      else c.option(opt.flags, opt.description);
    }
    if (spec.examples) c.addHelpText('after', examples(spec.examples));
    for (const sub of spec.subcommands ?? []) add(c, sub);
    if (spec.run) c.action(act(spec.run, { org: Boolean(spec.org), list: Boolean(spec.list) }));
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
        '\nEnvironment:\n  ACCT_TOKEN  token for every request (CI)\n  ACCT_HOST   default host\n  ACCT_ORG    organization (id or slug) for projects, members, teams and credits\n  NO_COLOR    no colours\n' +
        '\nExit codes: 0 ok, 1 request failed, 2 usage, 3 network, 4 unauthorized (401), 5 forbidden (403), 6 rate limited (429), 7 insufficient credits (402)\n',
    );
  for (const mod of modules) for (const spec of mod.specs) add(program, spec);
  return program;
}

/** `--org` of the organization commands. */
const orgFlag = (c: Command) => c.option('--org <id|slug>', 'organization (default: $ACCT_ORG, the current one from `acct orgs switch`, or your only one)');

/**
 * Parses argv and runs; resolves to the exit code, and never rejects. The one place a failure
 * becomes an exit code: whatever a command, its context or commander throws lands in the catch
 * below, and `reportError` (lib/errors.ts) prints it and maps it (CLI.md's table).
 */
export async function main(argv: string[], runner: Runner = defaultRunner): Promise<number> {
  let code = 0;
  try {
    const program = await createProgram(runner, (c) => (code = c), argv);
    for (const cmd of [program, ...allCommands(program)]) {
      cmd.exitOverride();
      cmd.configureOutput({ outputError: (text, write) => write(text) });
    }
    await program.parseAsync(expandJsonFields(argv, COMMAND_WORDS, targetCommand(program, argv).registeredArguments.length === 0), { from: 'user' });
    return code;
  } catch (err) {
    // Help and --version end through commander's exit override with code 0: nothing to report
    // (and nothing more to load for `acct --version`).
    if (err instanceof CommanderError && err.exitCode === 0) return 0;
    const { reportError } = await import('./lib/errors.js');
    return reportError(err, (text) => void process.stderr.write(text));
  }
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
