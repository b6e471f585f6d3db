import type { JSX } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { Layout } from '../layout.js';

/** A full HTML document from a page component. */
export function renderPage(page: JSX.Element): string {
  return `<!doctype html>${renderToString(page)}`;
}

type Hidden = Record<string, string>;

function HiddenFields(props: { fields: Hidden }) {
  return <>{Object.entries(props.fields).map(([name, value]) => <input type="hidden" name={name} value={value} />)}</>;
}

/** Sign-in inside an OAuth page, for a signed-out user (no separate /sign-in page yet). */
export function SignInPage(props: { nonce: string; action: string; fields: Hidden; error?: string; why: string }) {
  return (
    <Layout title="Sign in" nonce={props.nonce}>
      <p>{props.why}</p>
      {props.error ? <p role="alert">{props.error}</p> : null}
      <form method="post" action={props.action}>
        <HiddenFields fields={{ ...props.fields, step: 'sign-in' }} />
        <p><label>Email <input type="email" name="email" autocomplete="username" required /></label></p>
        <p><label>Password <input type="password" name="password" autocomplete="current-password" required /></label></p>
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  );
}

export interface ConsentView {
  clientName: string;
  clientId: string;
  /** The hostname the browser will be sent back to; null on the device flow. */
  redirectHost: string | null;
  scopes: { name: string; description: string }[];
  resource: string | null;
  organizations: { id: string; name: string }[];
  onlyLocalhost: boolean;
  userEmail: string;
}

/** The consent page: who asks, where the answer goes, what for, limited to which organization. */
export function ConsentPage(props: { nonce: string; action: string; fields: Hidden; view: ConsentView }) {
  const v = props.view;
  return (
    <Layout title={`Allow ${v.clientName} to use your account?`} nonce={props.nonce}>
      <p>Signed in as <strong>{v.userEmail}</strong>.</p>
      <p><strong>{v.clientName}</strong> (<code>{v.clientId}</code>) asks for access to your acct account.</p>
      {v.redirectHost !== null ? <p>After you answer you will be sent to <strong>{v.redirectHost}</strong>.</p> : <p>The app runs on another device, which showed you a code.</p>}
      {v.onlyLocalhost ? (
        <p class="warning" role="note">This app only returns to <strong>localhost</strong>: it runs on this computer. Allow it only if you started it yourself.</p>
      ) : null}
      <h2>It will be able to</h2>
      <ul>{v.scopes.map((s) => <li><strong>{s.description}</strong> (<code>{s.name}</code>)</li>)}</ul>
      {v.resource ? <p>For use with <code>{v.resource}</code> only.</p> : null}
      <form method="post" action={props.action}>
        <HiddenFields fields={props.fields} />
        <p>
          <label>Organization{' '}
            <select name="organization_id">
              <option value="">Any of my organizations</option>
              {v.organizations.map((o) => <option value={o.id}>{`Only ${o.name}`}</option>)}
            </select>
          </label>
        </p>
        <button type="submit" name="decision" value="allow">Allow</button>
        <button type="submit" name="decision" value="deny">Deny</button>
      </form>
    </Layout>
  );
}

/** The device page's first step: type the code the device shows. */
export function DeviceCodePage(props: { nonce: string; fields: Hidden; error?: string }) {
  return (
    <Layout title="Connect a device" nonce={props.nonce}>
      <p>Enter the code your device (for example <code>acct login --web</code>) shows.</p>
      {props.error ? <p role="alert">{props.error}</p> : null}
      <form method="get" action="/device">
        <p><label>Code <input name="user_code" autocomplete="one-time-code" required /></label></p>
        <button type="submit">Continue</button>
      </form>
    </Layout>
  );
}

/** A final message: the answer was recorded, or something is wrong. */
export function MessagePage(props: { nonce: string; title: string; message: string }) {
  return (
    <Layout title={props.title} nonce={props.nonce}>
      <p>{props.message}</p>
    </Layout>
  );
}
