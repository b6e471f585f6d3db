import type { JSX } from 'preact';
import type { AppDeps } from '../deps.js';
import { HttpError } from '../http/http-error.js';
import { forcePasswordReset, isPlatformAdmin, searchUsers, setActive, toAdminUser } from '../admin/admin.service.js';
import { Layout } from './layout.js';
import { field, redirect, sendPage, type PageContext } from './page.js';
import { layoutUser } from './pages/settings.js';
import type { PageRouter } from './routes.js';
import { ActionButton, Alert, When } from './ui.js';

const NOTICES: Record<string, string> = {
  disabled: 'The account is disabled: its sessions ended and its keys stopped.',
  enabled: 'The account is enabled again. Its ended sessions stay ended.',
  reset: 'The password is ended and every session signed out; a reset link went to the account address.',
};

function AdminPage(props: { ctx: PageContext; q: string; users: ReturnType<typeof toAdminUser>[]; note?: string | undefined }): JSX.Element {
  const { ctx } = props;
  const back = `/admin${props.q ? `?q=${encodeURIComponent(props.q)}` : ''}`;
  return (
    <Layout heading={false} title="Admin" nonce={ctx.nonce} user={layoutUser(ctx)} csrf={ctx.csrf} path={ctx.path}>
      <h1>Platform admin</h1>
      <p class="lead">Every account on this server. Disabling stops an account's sessions and keys at once.</p>
      {props.note ? <Alert kind="ok"><p>{props.note}</p></Alert> : null}
      <form method="get" action="/admin" class="row" role="search">
        <div class="field">
          <label for="f-q">Search accounts</label>
          <input id="f-q" name="q" type="search" value={props.q} placeholder="Email or name" />
        </div>
        <div><button type="submit">Search</button></div>
      </form>
      <div class="table-wrap">
        <table class="stacked">
          <thead><tr><th scope="col">Account</th><th scope="col">Status</th><th scope="col">Last sign-in</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
          <tbody>
            {props.users.map((u) => (
              <tr key={u.id}>
                <td data-label="Account"><strong>{u.fullName}</strong><br /><span>{u.email}</span>{u.role === 'admin' ? <> <span class="badge">admin</span></> : null}</td>
                <td data-label="Status">
                  <span class={`badge ${u.isActive ? 'ok' : 'bad'}`}>{u.isActive ? 'active' : 'disabled'}</span>{' '}
                  {u.isVerified ? <span class="badge ok">verified</span> : <span class="badge">unverified</span>}
                </td>
                <td data-label="Last sign-in"><When at={u.lastLoginAt} /></td>
                <td data-label="Actions">
                  {u.id === ctx.user!.id ? <span class="muted">you</span> : (
                    <span class="row">
                      {u.isActive
                        ? <ActionButton action={`/admin/users/${u.id}/disable`} csrf={ctx.csrf} label="Disable" kind="danger" fields={{ back }} ariaLabel={`Disable ${u.email}`} confirm={`Disable ${u.email}? Its sessions and keys stop at once.`} />
                        : <ActionButton action={`/admin/users/${u.id}/enable`} csrf={ctx.csrf} label="Enable" fields={{ back }} ariaLabel={`Enable ${u.email}`} />}
                      <ActionButton action={`/admin/users/${u.id}/force-password-reset`} csrf={ctx.csrf} label="Force password reset" fields={{ back }} ariaLabel={`Force password reset for ${u.email}`}
                        confirm={`End the password and sessions of ${u.email}?`} />
                    </span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {props.users.length === 0 ? <p class="muted">No account matches.</p> : null}
    </Layout>
  );
}

/** `/admin`: platform admins search accounts, disable and enable them, force password resets. */
export function adminPages(deps: AppDeps, pages: PageRouter): void {
  const requireAdmin = (ctx: PageContext) => {
    if (!isPlatformAdmin(ctx.user!)) throw new HttpError('FORBIDDEN', 'Only platform admins may open this page. The first admin is made with: acct-server admin grant EMAIL');
  };
  const back = (body: Record<string, unknown>) => {
    const to = field(body, 'back');
    return /^\/admin(\?q=[^&#]*)?$/.test(to) ? to : '/admin';
  };
  const withDone = (to: string, done: string) => `${to}${to.includes('?') ? '&' : '?'}done=${done}`;

  pages.get('/admin', async (ctx) => {
    requireAdmin(ctx);
    const q = typeof ctx.req.query['q'] === 'string' ? ctx.req.query['q'].slice(0, 254) : '';
    const rows = await searchUsers(deps, { q, limit: 50, cursor: null });
    const done = typeof ctx.req.query['done'] === 'string' ? NOTICES[ctx.req.query['done']] : undefined;
    sendPage(ctx, <AdminPage ctx={ctx} q={q} users={rows.slice(0, 50).map(toAdminUser)} note={done} />);
  }, { signedIn: true });

  const userId = (ctx: PageContext) => String(ctx.req.params['userId'] ?? '');
  pages.post('/admin/users/:userId/disable', async (ctx, body) => {
    await setActive(deps, ctx.user!, userId(ctx), false);
    redirect(ctx, withDone(back(body), 'disabled'));
  }, { signedIn: true });
  pages.post('/admin/users/:userId/enable', async (ctx, body) => {
    await setActive(deps, ctx.user!, userId(ctx), true);
    redirect(ctx, withDone(back(body), 'enabled'));
  }, { signedIn: true });
  pages.post('/admin/users/:userId/force-password-reset', async (ctx, body) => {
    await forcePasswordReset(deps, ctx.user!, userId(ctx));
    redirect(ctx, withDone(back(body), 'reset'));
  }, { signedIn: true });
}
