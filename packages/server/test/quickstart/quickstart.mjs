#!/usr/bin/env node
// The Quick Start (seeds/000) replayed with the seed's own fetch snippets, against the acct
// server at argv[2] (e.g. http://127.0.0.1:3000). Only what the seed tells the reader to
// replace is replaced: the host, and the organization id (fetched from GET
// /api/user/organizations, as Step 4 says); the key arrives in API_KEY, as Step 4 reads it.
// The seed shows the email as "[email protected]": an email-obfuscation artifact of the
// page it was scraped from. We use you@example.com, the form seed 001 shows.
// Node's fetch keeps no cookies; as the seed's comment says, a cookie-aware client built on
// tough-cookie keeps the session, installed as globalThis.fetch before the snippets run.
// Each step runs in its own block, because the snippets reuse `const res`.
// Exits non-zero, naming the step, when a response differs from what the Quick Start promises.
import { CookieJar } from 'tough-cookie';

const HOST = process.argv[2];
if (!HOST) {
  console.error('usage: quickstart.mjs http://HOST:PORT');
  process.exit(2);
}

const nodeFetch = globalThis.fetch;
const jar = new CookieJar();
globalThis.fetch = async function cookieFetch(url, init = {}) {
  const headers = new Headers(init.headers);
  const cookie = await jar.getCookieString(String(url));
  if (cookie) headers.set('cookie', cookie);
  const res = await nodeFetch(url, { ...init, headers });
  for (const set of res.headers.getSetCookie()) await jar.setCookie(set, String(url));
  return res;
};

const mask = (text) => String(text).replace(/(b[a-z]_[0-9A-Za-z]{4})[0-9A-Za-z]+/g, '$1…');
function check(step, condition, what, body) {
  if (!condition) {
    console.error(`quickstart.mjs: ${step}: expected ${what}: ${mask(JSON.stringify(body))}`);
    process.exit(1);
  }
}
const ENVELOPE = ['code', 'data', 'message', 'status', 'success'];
function checkEnvelope(step, body) {
  const keys = Object.keys(body ?? {}).filter((k) => k !== 'meta' && k !== 'errors').sort();
  check(step, JSON.stringify(keys) === JSON.stringify(ENVELOPE), `the envelope ${ENVELOPE.join(',')}`, body);
}

// Step 1 — Create an account
{
const res = await fetch(`${HOST}/api/auth/sign-up/email`, {
method: 'POST',
headers: { 'Content-Type': 'application/json' },
credentials: 'include',
body: JSON.stringify({
email: 'you@example.com',
password: 'a-long-secure-passphrase',
name: 'Your Name',
}),
});
const data = await res.json();
checkEnvelope('step 1 (sign-up)', data);
check('step 1 (sign-up)', res.status === 201 && data.success === true && data.data.user.email === 'you@example.com', '201 and the new user', data);
}

// Step 2 — Sign in and capture the session cookie
{
// Browser: credentials: 'include' persists the cookie automatically.
// Node: use a cookie-aware client such as `tough-cookie` to keep the cookie across requests.
const res = await fetch(`${HOST}/api/auth/sign-in/email`, {
method: 'POST',
headers: { 'Content-Type': 'application/json' },
credentials: 'include',
body: JSON.stringify({
email: 'you@example.com',
password: 'a-long-secure-passphrase',
}),
});
const body = await res.json();
checkEnvelope('step 2 (sign-in)', body);
check('step 2 (sign-in)', res.status === 200 && body.success === true, '200', body);
check('step 2 (sign-in)', (await jar.getCookieString(HOST)).includes('acct_session='), 'a session cookie in the jar', body);
}

// Step 3 — Issue a Personal Access Token
{
const res = await fetch(`${HOST}/api/auth/api-key/create`, {
method: 'POST',
headers: { 'Content-Type': 'application/json' },
credentials: 'include',
body: JSON.stringify({
name: 'CI deploy bot',
expiresIn: 2592000, // 30 days in seconds, omit for no expiry
scopes: ['user:read', 'projects:read', 'projects:write'],
}),
});
const envelope = await res.clone().json();
const { data } = await res.json();
const apiKey = data.key; // shown once — store it now
checkEnvelope('step 3 (api-key/create)', envelope);
check('step 3 (api-key/create)', res.status === 200 && envelope.success === true && envelope.code === 'OK' && envelope.message === 'API key created', '200 OK "API key created"', envelope);
check('step 3 (api-key/create)', typeof data.id === 'string' && data.id.startsWith('ak_'), 'data.id to start with ak_', envelope);
check('step 3 (api-key/create)', typeof apiKey === 'string' && apiKey.startsWith('ba_'), 'data.key to start with ba_', envelope);
check('step 3 (api-key/create)', data.name === 'CI deploy bot' && JSON.stringify(data.scopes) === JSON.stringify(['user:read', 'projects:read', 'projects:write']), 'the name and scopes asked for', envelope);
const lifetime = (Date.parse(data.expiresAt) - Date.now()) / 1000;
check('step 3 (api-key/create)', Math.abs(lifetime - 2592000) < 300, 'expiresAt 30 days ahead', envelope);
process.env.API_KEY = apiKey;
}

// "Get yours from GET /api/user/organizations" (with the session: the key has no organizations:read).
const orgs = await (await fetch(`${HOST}/api/user/organizations`)).json();
check('step 4 (/api/user/organizations)', orgs.success === true && orgs.data.length === 1, 'one organization', orgs);

// Step 4 — Call an authenticated endpoint
{
const apiKey = process.env.API_KEY;
const organizationId = orgs.data[0].id;
const headers = { 'X-Api-Key': apiKey };
// Account route
const me = await fetch(`${HOST}/api/user/me`, { headers });
// Tenant route
const projects = await fetch(
`${HOST}/api/user/organizations/${organizationId}/projects`,
{ headers },
);

const meBody = await me.json();
checkEnvelope('step 4 (/api/user/me)', meBody);
check('step 4 (/api/user/me)', me.status === 200 && meBody.code === 'OK' && meBody.message === 'User fetched successfully', '200 "User fetched successfully"', meBody);
// The jar sends the session cookie too; X-Token-Scopes proves the key was the credential used.
check('step 4 (/api/user/me)', me.headers.get('x-token-scopes') !== null, 'the key, not the cookie, to authenticate', meBody);
const seedFields = ['id', 'email', 'fullName', 'handle', 'isVerified', 'verifiedAt', 'isActive', 'lastLoginAt', 'role', 'organizationCount', 'createdAt', 'updatedAt'];
check('step 4 (/api/user/me)', JSON.stringify(Object.keys(meBody.data).sort()) === JSON.stringify([...seedFields].sort()), `exactly the fields ${seedFields.join(',')}`, meBody);
check('step 4 (/api/user/me)', meBody.data.email === 'you@example.com' && meBody.data.fullName === 'Your Name', 'the signed-up user', meBody);

const projectsBody = await projects.json();
checkEnvelope('step 4 (projects)', projectsBody);
check('step 4 (projects)', projects.status === 200 && projectsBody.success === true && Array.isArray(projectsBody.data), '200 and a list', projectsBody);
check('step 4 (projects)', projects.headers.get('x-token-scopes') !== null, 'the key, not the cookie, to authenticate', projectsBody);
}

console.log('quickstart.mjs: all four steps behaved as the Quick Start says');
