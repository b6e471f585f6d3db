import { createHash, randomBytes } from 'node:crypto';
import { call } from './harness.js';

/** A PKCE pair as a client makes it. */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The hidden fields of the page's own answer form (posting to /oauth/consent or /device; not the layout's sign-out form). */
export function formFields(html: string): Record<string, string> {
  const form = /<form method="post" action="\/(?:oauth\/consent|device)"[^>]*>([\s\S]*?)<\/form>/.exec(html)?.[1] ?? '';
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) fields[m[1]!] = decodeEntities(m[2]!);
  return fields;
}

function decodeEntities(text: string): string {
  return text.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#(\d+);/g, (_m, n) => String.fromCharCode(Number(n)));
}

export async function postForm(base: string, pathname: string, fields: Record<string, string>, cookie?: string): Promise<Response> {
  return fetch(base + pathname, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(cookie ? { cookie } : {}) },
    body: new URLSearchParams(fields).toString(),
  });
}

/**
 * Follows an authorization URL as a signed-in browser: /oauth2/authorize → /oauth/consent,
 * then posts the page's own form with Allow or Deny. Returns the Location the browser is sent to.
 */
export async function answerConsent(authorizationUrl: string, cookie: string, decision: 'allow' | 'deny' = 'allow', organizationId = ''): Promise<string> {
  const start = await fetch(authorizationUrl, { redirect: 'manual', headers: { cookie } });
  if (start.status !== 302) throw new Error(`authorize answered ${start.status}: ${await start.text()}`);
  const consentUrl = new URL(start.headers.get('location')!, authorizationUrl);
  if (consentUrl.pathname !== '/oauth/consent') return consentUrl.href;
  const page = await fetch(consentUrl, { headers: { cookie }, redirect: 'manual' });
  // A prior consent for the same client, scopes and resource stands: no page, the code comes at once.
  if (page.status === 302) return page.headers.get('location')!;
  const html = await page.text();
  if (page.status !== 200) throw new Error(`consent page answered ${page.status}: ${html}`);
  const answer = await postForm(consentUrl.origin, '/oauth/consent', { ...formFields(html), decision, organization_id: organizationId }, cookie);
  if (answer.status !== 303) throw new Error(`consent answer was ${answer.status}: ${await answer.text()}`);
  return answer.headers.get('location')!;
}

/**
 * An authorization code for `clientId` (code + PKCE S256, `state` "s"), approved in the real
 * consent page by the browser holding `cookie`, with its verifier; `code` is null when the
 * answer carries none.
 */
export async function consentedCode(base: string, cookie: string, params: { clientId: string; redirectUri: string; scope: string }): Promise<{ code: string | null; verifier: string }> {
  const { verifier, challenge } = pkce();
  const url = new URL('/oauth2/authorize', base);
  for (const [k, v] of Object.entries({ response_type: 'code', client_id: params.clientId, redirect_uri: params.redirectUri, scope: params.scope, state: 's', code_challenge: challenge, code_challenge_method: 'S256' }))
    url.searchParams.set(k, v);
  return { code: new URL(await answerConsent(url.href, cookie)).searchParams.get('code'), verifier };
}

/** Approves a device code in the /device page as a signed-in browser. */
export async function answerDevice(base: string, userCode: string, cookie: string, decision: 'allow' | 'deny' = 'allow'): Promise<string> {
  const page = await fetch(`${base}/device?user_code=${encodeURIComponent(userCode)}`, { headers: { cookie } });
  const html = await page.text();
  if (page.status !== 200) throw new Error(`device page answered ${page.status}: ${html}`);
  const answer = await postForm(base, '/device', { ...formFields(html), decision, organization_id: '' }, cookie);
  return answer.text();
}

/** RFC 7591 registration. */
export async function register(base: string, metadata: Record<string, unknown>) {
  return call(base, 'POST', '/oauth2/register', { body: metadata });
}

/** RFC 7662 introspection as a confidential client (client_secret_basic). */
export async function introspectAs(base: string, client: { id: string; secret: string }, token: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${base}/oauth2/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` },
    body: new URLSearchParams({ token }).toString(),
  });
  return (await res.json()) as Record<string, unknown>;
}

/** A token endpoint call with a form body. */
export async function tokenRequest(base: string, fields: Record<string, string>, basic?: { id: string; secret: string }) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`).toString('base64')}`;
  const res = await fetch(`${base}/oauth2/token`, { method: 'POST', headers, body: new URLSearchParams(fields).toString() });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/**
 * A signed-out browser sent to the console's sign-in (`/sign-in?return_to=…`): opens that page,
 * signs in with its form (CSRF cookie and token, the hidden return_to), and returns where the
 * console sends it next and the session cookie it set.
 */
export async function signInAt(base: string, signInLocation: string, email: string, password: string): Promise<{ location: string; cookie: string; returnTo: string }> {
  const page = await fetch(new URL(signInLocation, base), { headers: { accept: 'text/html' } });
  if (page.status !== 200) throw new Error(`sign-in page answered ${page.status}`);
  const html = await page.text();
  const csrfCookie = page.headers.getSetCookie().find((c) => c.startsWith('acct_csrf='))!.split(';')[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const returnTo = decodeEntities(/name="return_to" value="([^"]*)"/.exec(html)?.[1] ?? '');
  const res = await fetch(`${base}/sign-in`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: csrfCookie, origin: base, accept: 'text/html' },
    body: new URLSearchParams({ _csrf: csrf, email, password, ...(returnTo ? { return_to: returnTo } : {}) }).toString(),
  });
  if (res.status !== 303) throw new Error(`sign-in answered ${res.status}: ${await res.text()}`);
  const session = res.headers.getSetCookie().find((c) => c.startsWith('acct_session='))!.split(';')[0]!;
  return { location: res.headers.get('location')!, cookie: session, returnTo };
}
