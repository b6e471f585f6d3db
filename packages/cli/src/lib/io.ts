import { UsageError } from './errors.js';

/** Asks a person for input; only used when `IO.canPrompt`. */
export interface Prompter {
  input(message: string, defaultValue?: string): Promise<string>;
  /** Masked: nothing the person types is echoed. */
  password(message: string): Promise<string>;
  /** A checklist; nothing is pre-checked; resolves to the checked values. */
  checkbox(message: string, choices: { value: string; name: string; description?: string }[]): Promise<string[]>;
}

/** The streams a command talks through: data to `out`, people to `err` (as gh does). */
export interface IO {
  out(text: string): void;
  err(text: string): void;
  /** Reads all of stdin (for `--password-stdin`, `--with-token`, `-d -`). */
  readStdin(): Promise<string>;
  stdinIsTTY: boolean;
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  /** Colour on stdout: a TTY and NO_COLOR unset. */
  color: boolean;
  /** Prompts need a person: stdin and stderr (where prompts render) are terminals. */
  canPrompt: boolean;
  prompter: Prompter;
}

/** The real terminal. Inquirer is imported only when a prompt is shown. */
export function systemIO(env: NodeJS.ProcessEnv): IO {
  // process.stdin is made on first use, and for a file or /dev/null (scripts, CI) it is an
  // fs.ReadStream, which loads fs/promises, readline and the file watchers: only a command that
  // reads stdin or prompts touches it. isatty(0) answers the same question without it.
  const stdinIsTTY = (process.getBuiltinModule('node:tty') as typeof import('node:tty')).isatty(0);
  const stdoutIsTTY = Boolean(process.stdout.isTTY);
  const stderrIsTTY = Boolean(process.stderr.isTTY);
  const noColor = env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '';
  const context = () => ({ input: process.stdin, output: process.stderr, clearPromptOnDone: false });
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    readStdin: () => readAll(process.stdin),
    stdinIsTTY,
    stdoutIsTTY,
    stderrIsTTY,
    color: stdoutIsTTY && !noColor && env['TERM'] !== 'dumb',
    canPrompt: stdinIsTTY && stderrIsTTY,
    prompter: {
      async input(message, defaultValue) {
        const { input } = await import('@inquirer/prompts');
        return input({ message, required: true, ...(defaultValue ? { default: defaultValue } : {}) }, context());
      },
      async password(message) {
        const { password } = await import('@inquirer/prompts');
        return password({ message, mask: false }, context());
      },
      async checkbox(message, choices) {
        const { checkbox } = await import('@inquirer/prompts');
        return checkbox(
          { message, choices: choices.map((c) => ({ ...c, checked: false })), required: true, pageSize: Math.min(choices.length, 15), loop: false },
          context(),
        );
      },
    },
  };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** A value from a flag, else from a prompt, else a usage error naming the flag. */
export async function valueOrPrompt(io: IO, value: string | undefined, flag: string, ask: () => Promise<string>): Promise<string> {
  if (value !== undefined && value !== '') return value;
  if (!io.canPrompt) throw new UsageError(`${flag} is required when not running interactively`);
  return ask();
}

/** The first line of stdin without its line ending (passwords keep their spaces). */
export async function readSecretFromStdin(io: IO, what: string): Promise<string> {
  const text = await io.readStdin();
  const line = text.replace(/\r?\n$/, '').split(/\r?\n/)[0] ?? '';
  if (line === '') throw new UsageError(`no ${what} on stdin`);
  return line;
}
