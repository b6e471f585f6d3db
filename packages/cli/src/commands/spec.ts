import type { Context } from '../context.js';

/** A command module: `run(ctx, opts)` resolves to the exit code. */
export interface CommandModule<O> {
  run(ctx: Context, opts: O): Promise<number>;
}

/** An option as commander takes it: `flags` such as '-L, --limit <n>'. */
export interface OptionSpec {
  flags: string;
  description: string;
  /** The value when the option is not given. */
  default?: string;
  /** The option may be given several times; its value is the list. */
  repeat?: true;
}

export interface ArgumentSpec {
  /** '<id>' (required) or '[id]' (optional), as commander takes it. */
  name: string;
  description: string;
}

/**
 * A command's spec (issue 13): its words, help and flags as plain data, beside the module that
 * runs it. program.ts turns the specs an invocation needs into commander commands; a spec module
 * imports its run module only through `load`, so reading a spec never loads what the command runs.
 */
export interface CommandSpec {
  name: string;
  alias?: string;
  description: string;
  /** The subcommand run when its group is given alone (`acct credits`). */
  isDefault?: true;
  arguments?: ArgumentSpec[];
  /** Takes `--org <id|slug>` (added before the other options). */
  org?: true;
  /** Takes `--limit N` / `--paginate` (added after --org, before the other options). */
  list?: true;
  options?: OptionSpec[];
  /** Lines shown under "Examples:" in the command's help. */
  examples?: string[];
  /** A group's subcommands (a group has no `run`). */
  subcommands?: CommandSpec[];
  run?: {
    /** The name the runner gets ('keys create'). */
    name: string;
    load: () => Promise<CommandModule<any>>;
    /**
     * The command's options from commander's action arguments: the arguments, then the parsed
     * options (`--org` and the list flags are added by program.ts).
     */
    options: (...args: any[]) => object;
    /** `--token` after the command's name is its own option (`token`), not the global credential. */
    ownToken?: true;
  };
}

/** What each commands/<group>/spec.ts exports. */
export interface SpecModule {
  specs: CommandSpec[];
}
