import type { Command } from 'commander';
import type { CommandSpec } from '../spec.js';

export const specs: CommandSpec[] = [
  {
    name: 'completion',
    description: 'print a shell completion script',
    arguments: [{ name: '<shell>', description: 'bash, zsh or fish' }],
    examples: ['acct completion bash > ~/.local/share/bash-completion/completions/acct', 'acct completion zsh > "${fpath[1]}/_acct"', 'acct completion fish > ~/.config/fish/completions/acct.fish'],
    run: {
      name: 'completion',
      load: () => import('./completion.js'),
      // The script is made from the whole command tree, which program.ts builds for `completion`.
      options: (shell: string, _o: object, cmd: Command) => {
        let program = cmd;
        while (program.parent) program = program.parent;
        return { shell, program };
      },
    },
  },
];
