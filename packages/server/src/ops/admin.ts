import { loadConfig } from '../config.js';
import { migrate, openDatabase } from '../db/database.js';
import { systemClock } from '../time/clock.js';
import { grantAdmin } from '../admin/admin.service.js';

const USAGE = 'usage: acct-server admin grant EMAIL | acct-server admin revoke EMAIL\n';

/** `acct-server admin grant|revoke EMAIL`: makes (or unmakes) a platform admin, who may use /admin. */
export async function adminCommand(args: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const [action, email, ...rest] = args;
  if ((action !== 'grant' && action !== 'revoke') || !email || rest.length > 0) {
    err.write(USAGE);
    return 2;
  }
  const db = await openDatabase(loadConfig());
  try {
    await migrate(db);
    if (!(await grantAdmin({ db, clock: systemClock }, email, action === 'grant'))) {
      err.write(`acct-server: no account has the address ${email}\n`);
      return 1;
    }
    out.write(action === 'grant' ? `${email} is now a platform admin\n` : `${email} is no longer a platform admin\n`);
    return 0;
  } finally {
    await db.destroy();
  }
}
