import type { Command } from 'commander';
import type { Context } from '../../context.js';
import { UsageError } from '../../lib/errors.js';

export interface CompletionOptions {
  shell: string;
  program: Command;
}

interface Node {
  path: string;
  subcommands: string[];
  flags: string[];
}

/** Every command path with its subcommands and long flags (global flags on the root). */
export function commandTree(program: Command): Node[] {
  const nodes: Node[] = [];
  const walk = (cmd: Command, path: string) => {
    const subs = cmd.commands.filter((c) => c.name() !== 'help');
    const flags = cmd.options.map((o) => o.long).filter((l): l is string => Boolean(l));
    nodes.push({ path, subcommands: subs.flatMap((c) => [c.name(), ...c.aliases()]), flags: [...flags, '--help'] });
    for (const c of subs) walk(c, path ? `${path} ${c.name()}` : c.name());
  };
  walk(program, '');
  return nodes;
}

function bash(nodes: Node[]): string {
  const entries = nodes.map((n) => `  [${JSON.stringify(n.path)}]=${JSON.stringify([...n.subcommands, ...n.flags].join(' '))}`).join('\n');
  return `# acct bash completion: source it, or save it as ~/.local/share/bash-completion/completions/acct
declare -gA _acct_tree=(
${entries}
)
_acct_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" key="" w i candidate
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ $w == -* ]] && continue
    candidate="\${key:+$key }$w"
    [[ -n "\${_acct_tree[$candidate]+x}" ]] && key="$candidate"
  done
  COMPREPLY=($(compgen -W "\${_acct_tree[$key]} \${_acct_tree[""]}" -- "$cur"))
}
complete -F _acct_complete acct
`;
}

function zsh(nodes: Node[]): string {
  return `#compdef acct
# acct zsh completion (through bashcompinit): save it as _acct in a directory of your $fpath
autoload -U +X bashcompinit && bashcompinit
${bash(nodes)}`;
}

function fish(nodes: Node[]): string {
  const lines = ['# acct fish completion: save it as ~/.config/fish/completions/acct.fish', 'complete -c acct -f'];
  const root = nodes.find((n) => n.path === '')!;
  lines.push(`complete -c acct -n __fish_use_subcommand -a ${JSON.stringify(root.subcommands.join(' '))}`);
  for (const flag of root.flags) lines.push(`complete -c acct -l ${flag.slice(2)}`);
  for (const n of nodes) {
    if (n.path === '') continue;
    const words = n.path.split(' ');
    const cond = words.map((w) => `__fish_seen_subcommand_from ${w}`).join('; and ');
    if (n.subcommands.length) lines.push(`complete -c acct -n ${JSON.stringify(cond)} -a ${JSON.stringify(n.subcommands.join(' '))}`);
    for (const flag of n.flags) if (!root.flags.includes(flag)) lines.push(`complete -c acct -n ${JSON.stringify(cond)} -l ${flag.slice(2)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `acct completion bash|zsh|fish`: a completion script generated from the command tree. */
export async function run(ctx: Context, opts: CompletionOptions): Promise<number> {
  const nodes = commandTree(opts.program);
  const scripts: Record<string, (n: Node[]) => string> = { bash, zsh, fish };
  const make = scripts[opts.shell];
  if (!make) throw new UsageError(`unsupported shell "${opts.shell}": use bash, zsh or fish`);
  ctx.io.out(make(nodes));
  return 0;
}
