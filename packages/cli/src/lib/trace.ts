import { maskToken } from '@acct/shared';
import type { RawRequest, RawResponse } from './transport.js';

const SECRET_FIELDS = /^(password|currentPassword|newPassword|key|token|secret)$/i;

/** `--verbose`: the HTTP exchange on stderr, with every secret masked (ASVS 16.2.5). */
export function traceRequest(req: RawRequest, write: (text: string) => void): void {
  const url = new URL(req.url);
  let text = `> ${req.method} ${url.pathname}${url.search}\n> host: ${url.host}\n`;
  for (const [name, value] of Object.entries(req.headers)) text += `> ${name}: ${redactHeader(name, value)}\n`;
  text += '>\n';
  if (req.body !== undefined) text += `${redactBody(req.body.toString())}\n`;
  write(text);
}

export function traceResponse(res: RawResponse, write: (text: string) => void): void {
  let text = `< HTTP ${res.status} ${res.statusText}\n`;
  for (const [name, value] of Object.entries(res.headers))
    for (const v of Array.isArray(value) ? value : [value]) text += `< ${name}: ${redactHeader(name, v)}\n`;
  text += '<\n';
  if (res.body) text += `${redactBody(res.body)}\n`;
  write(text);
}

export function redactHeader(name: string, value: string): string {
  const n = name.toLowerCase();
  if (n === 'authorization') {
    const [scheme, token] = value.split(' ', 2);
    return token ? `${scheme} ${maskToken(token)}` : maskToken(value);
  }
  if (n === 'x-api-key') return maskToken(value);
  if (n === 'cookie') return value.split(/;\s*/).map((c) => `${c.split('=')[0]}=<redacted>`).join('; ');
  if (n === 'set-cookie') return value.replace(/^([^=]*)=[^;]*/, '$1=<redacted>');
  return value;
}

/** Masks password and token fields of a JSON body; other bodies pass unchanged. */
export function redactBody(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), (key, value: unknown) => {
      if (typeof value !== 'string' || !SECRET_FIELDS.test(key)) return value;
      return /password/i.test(key) ? '<redacted>' : maskToken(value);
    });
  } catch {
    return body;
  }
}
