import type { CommandSpec } from '../spec.js';

export const specs: CommandSpec[] = [
  {
    name: 'mcp',
    description: 'serve the acct MCP tools on stdin/stdout, forwarded to the host\'s /mcp with your saved credential',
    examples: [
      'acct mcp',
      '# Claude Desktop, Cursor, VS Code: { "command": "acct", "args": ["mcp"] }',
    ],
    run: { name: 'mcp', load: () => import('./mcp.js'), options: () => ({}) },
  },
];
