/** Reading the results of `@modelcontextprotocol/conformance` runs (oauth- and mcp-conformance tests). */
import fs from 'node:fs';
import path from 'node:path';

export interface Check {
  id: string;
  status: string;
  errorMessage?: string;
}

/** Every check the suite wrote under its output folder (`-o`), from all its JSON files. */
export function conformanceChecks(out: string): Check[] {
  const checks: Check[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.json')) {
        const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
        if (Array.isArray(parsed)) checks.push(...(parsed as Check[]).filter((c) => c && typeof c.status === 'string'));
      }
    }
  };
  walk(out);
  return checks;
}
