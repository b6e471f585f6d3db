import type { ComponentChildren, JSX } from 'preact';
import { SCOPES, type Scope } from '@acct/shared';
import { Layout } from '../layout.js';
import type { PageContext } from '../page.js';
import { ActionButton, Alert, Csrf, ErrorSummary, Field, SettingsNav, When, type FormErrors } from '../ui.js';

export function layoutUser(ctx: PageContext) {
  return ctx.user ? { fullName: ctx.user.full_name, email: ctx.user.email, isAdmin: ctx.user.role === 'admin' } : null;
}

function SettingsFrame(props: { ctx: PageContext; title: string; children?: ComponentChildren; notice?: string | undefined }): JSX.Element {
  const { ctx } = props;
  return (
    <Layout heading={false} title={props.title} nonce={ctx.nonce} user={layoutUser(ctx)} csrf={ctx.csrf} path={ctx.path}>
      <div class="layout">
        <SettingsNav path={ctx.path} />
        <div>
          <h1>{props.title}</h1>
          {props.notice ? <Alert kind="ok"><p>{props.notice}</p></Alert> : null}
          {props.children}
        </div>
      </div>
    </Layout>
  );
}

export type ProfileForm = 'name' | 'email' | 'password';

export function ProfilePage(props: { ctx: PageContext; notice?: string | undefined; form?: ProfileForm; errors?: FormErrors | undefined; values?: Record<string, string> }): JSX.Element {
  const { ctx } = props;
  const user = ctx.user!;
  const errorsOf = (form: ProfileForm) => (props.form === form ? props.errors : undefined);
  return (
    <SettingsFrame ctx={ctx} title="Profile" notice={props.notice}>
      <section class="card" aria-labelledby="h-name">
        <h2 id="h-name">Your name</h2>
        <ErrorSummary errors={errorsOf('name')} />
        <form method="post" action="/settings/profile/name" class="stack">
          <Csrf token={ctx.csrf} />
          <Field label="Name" name="name" autocomplete="name" required maxLength={100} value={props.form === 'name' ? props.values?.['name'] : user.full_name} error={errorsOf('name')?.fields?.['name']} />
          <div><button type="submit">Save name</button></div>
        </form>
      </section>

      <section class="card" aria-labelledby="h-email">
        <h2 id="h-email">Email address</h2>
        <p>Your address is <strong>{user.email}</strong> {user.email_verified_at ? <span class="badge ok">verified</span> : <span class="badge bad">not verified</span>}</p>
        <p class="hint">We mail a confirmation link to the new address and a notice to this one. The change happens once the new address confirms.</p>
        <ErrorSummary errors={errorsOf('email')} />
        <form method="post" action="/settings/profile/email" class="stack">
          <Csrf token={ctx.csrf} />
          <Field label="New email" name="newEmail" type="email" autocomplete="email" required value={props.form === 'email' ? props.values?.['newEmail'] : undefined} error={errorsOf('email')?.fields?.['newEmail']} />
          <Field label="Current password" id="f-email-password" name="password" type="password" autocomplete="current-password" required error={errorsOf('email')?.fields?.['password']} />
          <div><button type="submit">Change email</button></div>
        </form>
      </section>

      <section class="card" aria-labelledby="h-password">
        <h2 id="h-password">Password</h2>
        <ErrorSummary errors={errorsOf('password')} />
        <form method="post" action="/settings/profile/password" class="stack">
          <Csrf token={ctx.csrf} />
          <Field label="Current password" name="currentPassword" type="password" autocomplete="current-password" required error={errorsOf('password')?.fields?.['currentPassword']} />
          <Field label="New password" name="newPassword" type="password" autocomplete="new-password" required error={errorsOf('password')?.fields?.['newPassword']} />
          <div class="check">
            <input type="checkbox" id="f-revokeOtherSessions" name="revokeOtherSessions" value="on" checked />
            <label for="f-revokeOtherSessions">Sign out my other sessions</label>
          </div>
          <div class="check">
            <input type="checkbox" id="f-revokeKeys" name="revokeKeys" value="on" />
            <label for="f-revokeKeys">Also revoke my API keys<small>Scripts and CI using them stop working.</small></label>
          </div>
          <div><button type="submit">Change password</button></div>
        </form>
      </section>
    </SettingsFrame>
  );
}

export interface KeyView {
  id: string;
  name: string;
  start: string;
  scopes: Scope[];
  organizationId: string | null;
  lastUsedAt: string | null;
  expiresAt: string | null;
  createdAt: string;
  status: string;
}

export interface NewKey {
  name: string;
  key: string;
  rotated?: boolean;
}

const EXPIRIES: [string, string][] = [
  ['', 'Never'], ['86400', '1 day'], ['604800', '7 days'], ['2592000', '30 days'], ['7776000', '90 days'], ['31536000', '1 year'],
];

export function ApiKeysPage(props: {
  ctx: PageContext; keys: KeyView[]; orgs: { id: string; name: string }[]; fresh: boolean;
  created?: NewKey | undefined; notice?: string | undefined; errors?: FormErrors | undefined; values?: { name?: string; scopes?: string[]; expiresIn?: string; organizationId?: string };
}): JSX.Element {
  const { ctx, values } = props;
  const orgName = new Map(props.orgs.map((o) => [o.id, o.name]));
  const chosen = new Set(values?.scopes ?? []);
  return (
    <SettingsFrame ctx={ctx} title="API Keys" notice={props.notice}>
      <p class="lead">Personal access tokens act as you, with the scopes you pick. Send one as <code>X-Api-Key</code> or <code>Authorization: Bearer</code>.</p>
      {props.created ? (
        <section class="alert warn" aria-labelledby="h-new-key">
          <h2 id="h-new-key">{props.created.rotated ? `New secret for ${props.created.name}` : `Your new key ${props.created.name}`}</h2>
          <p><strong>Copy it now: it is shown only once.</strong> acct keeps only a hash and cannot show it again.</p>
          <div class="secret">
            <code id="new-key" aria-label="New API key">{props.created.key}</code>
            <button type="button" class="secondary small" data-copy="new-key" hidden>Copy</button>
          </div>
        </section>
      ) : null}

      <section class="card" aria-labelledby="h-create">
        <h2 id="h-create">Create a key</h2>
        {!props.fresh ? (
          <Alert kind="warn">
            <p>You signed in more than ten minutes ago: <a href="/reauthenticate?return_to=%2Fsettings%2Fapi-keys">confirm your password</a> before creating a key.</p>
          </Alert>
        ) : null}
        <ErrorSummary errors={props.errors} />
        <form method="post" action="/settings/api-keys" class="stack">
          <Csrf token={ctx.csrf} />
          <div class="row">
            <Field label="Name" name="name" required maxLength={100} value={values?.name} hint="What uses it, e.g. “CI deploy”." error={props.errors?.fields?.['name']} />
            <div class="field">
              <label for="f-expiresIn">Expires</label>
              <select id="f-expiresIn" name="expiresIn">
                {EXPIRIES.map(([v, label]) => <option key={v} value={v} selected={(values?.expiresIn ?? '2592000') === v}>{label}</option>)}
              </select>
            </div>
            <div class="field">
              <label for="f-organizationId">Organization</label>
              <select id="f-organizationId" name="organizationId" aria-describedby="f-organizationId-hint">
                <option value="">Any of mine</option>
                {props.orgs.map((o) => <option key={o.id} value={o.id} selected={values?.organizationId === o.id}>{o.name}</option>)}
              </select>
              <p class="hint" id="f-organizationId-hint">Pinned: the key works only there.</p>
            </div>
          </div>
          <fieldset aria-describedby={props.errors?.fields?.['scopes'] ? 'f-scopes-error' : undefined}>
            <legend>Scopes</legend>
            {props.errors?.fields?.['scopes'] ? <p class="error-text" id="f-scopes-error">{props.errors.fields['scopes']}</p> : null}
            <div class="checks">
              {(Object.entries(SCOPES) as [Scope, string][]).map(([scope, description]) => (
                <div class="check" key={scope}>
                  <input type="checkbox" id={`scope-${scope}`} name="scopes" value={scope} checked={chosen.has(scope)} aria-describedby={`scope-${scope}-d`} />
                  <label for={`scope-${scope}`}><code>{scope}</code><small id={`scope-${scope}-d`}>{description}</small></label>
                </div>
              ))}
            </div>
          </fieldset>
          <div><button type="submit">Create key</button></div>
        </form>
      </section>

      <section aria-labelledby="h-keys">
        <h2 id="h-keys">Your keys</h2>
        {props.keys.length === 0 ? <p class="muted">No keys yet.</p> : (
          <div class="table-wrap">
            <table class="stacked">
              <thead><tr><th scope="col">Name</th><th scope="col">Key</th><th scope="col">Scopes</th><th scope="col">Organization</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col">Status</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
              <tbody>
                {props.keys.map((k) => (
                  <tr key={k.id}>
                    <td data-label="Name">{k.name}</td>
                    <td data-label="Key"><code class="nowrap">{k.start}…</code></td>
                    <td data-label="Scopes"><span class="scopes">{k.scopes.map((s) => <code key={s}>{s}</code>)}</span></td>
                    <td data-label="Organization">{k.organizationId ? orgName.get(k.organizationId) ?? k.organizationId : <span class="muted">any</span>}</td>
                    <td data-label="Last used"><When at={k.lastUsedAt} /></td>
                    <td data-label="Expires"><When at={k.expiresAt} never="never" /></td>
                    <td data-label="Status"><span class={`badge ${k.status === 'active' ? 'ok' : 'bad'}`}>{k.status}</span></td>
                    <td data-label="Actions">
                      {k.status === 'active' ? (
                        <span class="row">
                          <ActionButton action="/settings/api-keys/rotate" csrf={ctx.csrf} label="Rotate" fields={{ id: k.id, gracePeriod: '3600' }} ariaLabel={`Rotate ${k.name}`}
                            confirm={`Rotate ${k.name}? The old secret keeps working for one hour.`} />
                          <ActionButton action="/settings/api-keys/revoke" csrf={ctx.csrf} label="Revoke" kind="danger" fields={{ id: k.id }} confirm={`Revoke ${k.name}? It stops working at once.`} />
                        </span>
                      ) : null}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section class="card" aria-labelledby="h-leak">
        <h2 id="h-leak">Report a leaked key</h2>
        <p class="hint">Found a key in a log, a commit or a chat? Paste it: it is revoked at once, whoever owns it.</p>
        <form method="post" action="/settings/api-keys/report-leak" class="row">
          <Csrf token={ctx.csrf} />
          <Field label="Leaked key" name="key" type="password" autocomplete="off" required />
          <div><button type="submit" class="danger">Report leak</button></div>
        </form>
      </section>
    </SettingsFrame>
  );
}

export interface SessionView {
  id: string;
  current: boolean;
  kind: string;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
  lastSeenAt: string;
}

/** A user agent as a person reads it: browser and system, not the whole string. */
function device(ua: string | null, kind: string): string {
  if (!ua) return kind === 'bearer' ? 'API client' : 'Unknown device';
  const browser = /Edg\//.test(ua) ? 'Edge' : /Chrom(e|ium)\//.test(ua) ? 'Chromium' : /Firefox\//.test(ua) ? 'Firefox' : /Safari\//.test(ua) ? 'Safari' : /curl|node|python|acct/i.test(ua) ? ua.split(/[ /]/)[0]! : 'Browser';
  const system = /Windows/.test(ua) ? 'Windows' : /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : '';
  return system ? `${browser} on ${system}` : browser;
}

export function SessionsPage(props: { ctx: PageContext; sessions: SessionView[]; notice?: string | undefined }): JSX.Element {
  const { ctx } = props;
  const others = props.sessions.filter((s) => !s.current).length;
  return (
    <SettingsFrame ctx={ctx} title="Sessions" notice={props.notice}>
      <p class="lead">Where your account is signed in. Revoke what you do not recognise.</p>
      <div class="table-wrap">
        <table class="stacked">
          <thead><tr><th scope="col">Device</th><th scope="col">IP address</th><th scope="col">Signed in</th><th scope="col">Last active</th><th scope="col"><span class="sr">Actions</span></th></tr></thead>
          <tbody>
            {props.sessions.map((s) => (
              <tr key={s.id}>
                <td data-label="Device"><span>{device(s.userAgent, s.kind)} {s.current ? <span class="badge ok">This device</span> : null}</span></td>
                <td data-label="IP address">{s.ip ?? <span class="muted">unknown</span>}</td>
                <td data-label="Signed in"><When at={s.createdAt} /></td>
                <td data-label="Last active"><When at={s.lastSeenAt} /></td>
                <td data-label="Actions">
                  {s.current ? null : <ActionButton action="/settings/sessions/revoke" csrf={ctx.csrf} label="Revoke" kind="danger" fields={{ id: s.id }} ariaLabel={`Revoke session ${device(s.userAgent, s.kind)} from ${s.ip ?? 'unknown'}`} />}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {others > 0 ? (
        <form method="post" action="/settings/sessions/revoke-others">
          <Csrf token={ctx.csrf} />
          <button type="submit" class="danger">Sign out all other sessions</button>
        </form>
      ) : null}
    </SettingsFrame>
  );
}
