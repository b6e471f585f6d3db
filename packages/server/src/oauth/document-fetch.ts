import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP } from 'node:net';

/** Limits of a Client ID Metadata Document fetch (issue 15): small, quick, never followed elsewhere. */
export const DOCUMENT_MAX_BYTES = 5 * 1024;
export const DOCUMENT_TIMEOUT_MS = 5000;
/** How long a document without cache headers is kept, and the longest any is, seconds. */
export const DOCUMENT_DEFAULT_TTL = 300;
export const DOCUMENT_MAX_TTL = 86400;

export class DocumentFetchError extends Error {}

/** Addresses a server-side fetch must never reach: loopback, private, link-local, shared, multicast, reserved. */
const NOT_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['::ffff:0:0', 96], ['64:ff9b::', 96], ['100::', 64], ['2001::', 23], ['2001:db8::', 32],
  ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) NOT_PUBLIC.addSubnet(net, prefix, 'ipv6');
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

function family(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 6 ? 'ipv6' : 'ipv4';
}

/** Whether an address may be fetched: public, or loopback when the switch allows it. */
export function fetchableAddress(address: string, allowLoopback: boolean): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  const ip = mapped ?? address;
  if (allowLoopback && LOOPBACK.check(ip, family(ip))) return true;
  return !NOT_PUBLIC.check(ip, family(ip));
}

export interface FetchedDocument {
  body: unknown;
  /** Seconds the document may be cached (Cache-Control max-age, capped). */
  ttl: number;
}

function cacheSeconds(header: string | undefined): number {
  if (!header) return DOCUMENT_DEFAULT_TTL;
  if (/(^|,)\s*(no-store|no-cache)\b/i.test(header)) return 0;
  const maxAge = /(?:^|,)\s*max-age=(\d+)/i.exec(header)?.[1];
  return maxAge === undefined ? DOCUMENT_DEFAULT_TTL : Math.min(Number(maxAge), DOCUMENT_MAX_TTL);
}

/**
 * GETs a metadata document, guarded against SSRF: every address the name resolves to must be
 * public (or loopback with ACCT_OAUTH_ALLOW_LOOPBACK_CLIENTS), the connection goes to the address
 * that was checked (no second resolution to rebind), redirects are refused, the body is cut at
 * 5 KB and the whole exchange at 5 s.
 */
export async function fetchDocument(url: URL, allowLoopback: boolean): Promise<FetchedDocument> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true }).catch(() => {
    throw new DocumentFetchError(`${host} does not resolve`);
  });
  if (addresses.length === 0) throw new DocumentFetchError(`${host} does not resolve`);
  for (const a of addresses) {
    if (!fetchableAddress(a.address, allowLoopback)) throw new DocumentFetchError(`${host} resolves to a non-public address (${a.address})`);
  }
  const pinned = addresses[0]!;
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, {
      method: 'GET',
      headers: { accept: 'application/json' },
      timeout: DOCUMENT_TIMEOUT_MS,
      lookup: ((_name: string, options: { all?: boolean }, callback: (err: null, address: unknown, family?: number) => void) => {
        if (options.all) callback(null, [{ address: pinned.address, family: pinned.family }]);
        else callback(null, pinned.address, pinned.family);
      }) as unknown as import('node:net').LookupFunction,
    }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new DocumentFetchError(res.statusCode && res.statusCode >= 300 && res.statusCode < 400
          ? `the document URL redirects (${res.statusCode}); redirects are not followed`
          : `the document URL answered ${res.statusCode}`));
        return;
      }
      const declared = Number(res.headers['content-length'] ?? 0);
      if (declared > DOCUMENT_MAX_BYTES) {
        res.destroy();
        reject(new DocumentFetchError(`the document is larger than ${DOCUMENT_MAX_BYTES} bytes`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > DOCUMENT_MAX_BYTES) {
          res.destroy();
          reject(new DocumentFetchError(`the document is larger than ${DOCUMENT_MAX_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err) => reject(new DocumentFetchError(err.message)));
      res.on('end', () => {
        try {
          resolve({ body: JSON.parse(Buffer.concat(chunks).toString('utf8')), ttl: cacheSeconds(res.headers['cache-control']) });
        } catch {
          reject(new DocumentFetchError('the document is not JSON'));
        }
      });
    });
    const deadline = setTimeout(() => req.destroy(new DocumentFetchError(`no complete answer within ${DOCUMENT_TIMEOUT_MS} ms`)), DOCUMENT_TIMEOUT_MS);
    req.on('timeout', () => req.destroy(new DocumentFetchError(`no answer within ${DOCUMENT_TIMEOUT_MS} ms`)));
    req.on('error', (err) => reject(err instanceof DocumentFetchError ? err : new DocumentFetchError(`the document could not be fetched: ${err.message}`)));
    req.on('close', () => clearTimeout(deadline));
    req.end();
  });
}
