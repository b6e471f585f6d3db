import type { JSX } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { Layout, type LayoutUser } from '../layout.js';
import { Alert, Field } from '../ui.js';

/** A full HTML document from a page component. */
export function renderPage(page: JSX.Element): string {
  return `<!doctype html>${renderToString(page)}`;
}

type Hidden = Record<string, string>;

/** What every OAuth page gets from the console's page context: the CSP nonce, the signed-in person and the sign-out form's token. */
export interface PageChrome {
  nonce: string;
  user: LayoutUser | null;
  csrf: string;
}

function HiddenFields(props: { fields: Hidden }) {
  return <>{Object.entries(props.fields).map(([name, value]) => <input type="hidden" name={name} value={value} />)}</>;
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

/**
 * The consent page: who asks, where the answer goes, what for, limited to which organization.
 * Signed-out people never see it: they go through the console's /sign-in with a return_to first.
 */
export function ConsentPage(props: PageChrome & { action: string; fields: Hidden; view: ConsentView }) {
  const v = props.view;
  return (
    <Layout title={`Allow ${v.clientName} to use your account?`} nonce={props.nonce} user={props.user} csrf={props.csrf} narrow>
      <p class="lead">Signed in as <strong>{v.userEmail}</strong>.</p>
      <div class="card">
        <p><strong>{v.clientName}</strong> (<code>{v.clientId}</code>) asks for access to your acct account.</p>
        {v.redirectHost !== null
          ? <p>After you answer you will be sent to <strong>{v.redirectHost}</strong>.</p>
          : <p>The app runs on another device, which showed you a code.</p>}
        {v.onlyLocalhost ? (
          <Alert kind="warn"><p>This app only returns to <strong>localhost</strong>: it runs on this computer. Allow it only if you started it yourself.</p></Alert>
        ) : null}
        <h2>It will be able to</h2>
        <ul>{v.scopes.map((s) => <li><strong>{s.description}</strong> (<code>{s.name}</code>)</li>)}</ul>
        {v.scopes.some((s) => s.name === 'api-keys:write')
          ? <Alert kind="warn"><p>This app may create API keys for you: keys that keep working on their own, with at most the access listed here{v.organizations.length > 0 ? ' (and only in the organization you choose below, if you choose one)' : ''}, until you revoke them under API keys.</p></Alert>
          : null}
        {v.resource ? <p>For use with <code>{v.resource}</code> only.</p> : null}
        <form method="post" action={props.action} class="stack">
          <HiddenFields fields={props.fields} />
          <div class="field">
            <label for="f-organization_id">Organization</label>
            <select id="f-organization_id" name="organization_id" aria-describedby="f-organization_id-hint">
              <option value="">Any of my organizations</option>
              {v.organizations.map((o) => <option value={o.id}>{`Only ${o.name}`}</option>)}
            </select>
            <p class="hint" id="f-organization_id-hint">Limit what the app can reach to one organization, as with a pinned API key.</p>
          </div>
          <div class="row">
            <button type="submit" name="decision" value="allow">Allow</button>
            <button type="submit" name="decision" value="deny" class="secondary">Deny</button>
          </div>
        </form>
      </div>
      <p class="muted">You can disconnect the app at any time under Connected apps (<code>acct apps</code>).</p>
    </Layout>
  );
}

/** The device page's first step: type the code the device shows; a wrong code is an error of that field. */
export function DeviceCodePage(props: PageChrome & { fields: Hidden; value?: string | undefined; error?: string }) {
  return (
    <Layout title="Connect a device" nonce={props.nonce} user={props.user} csrf={props.csrf} narrow>
      <p class="lead">Enter the code your device (for example <code>acct login --web</code>) shows.</p>
      {props.error ? <Alert kind="error"><p>The code was not accepted: see below.</p></Alert> : null}
      <div class="card">
        <form method="get" action="/device" class="stack">
          <HiddenFields fields={props.fields} />
          <Field label="Code" name="user_code" autocomplete="one-time-code" required autofocus value={props.value} error={props.error} hint="Eight letters, as XXXX-XXXX." />
          <button type="submit">Continue</button>
        </form>
      </div>
    </Layout>
  );
}

/** A final message: the answer was recorded, or something is wrong. */
export function MessagePage(props: PageChrome & { title: string; message: string }) {
  return (
    <Layout title={props.title} nonce={props.nonce} user={props.user} csrf={props.csrf} narrow>
      <div class="card"><p>{props.message}</p></div>
    </Layout>
  );
}
