import dns from 'node:dns';
import net from 'node:net';

/**
 * Where webhooks may go (API.md "Webhooks", SSRF): https to public addresses only, unless
 * ACCT_WEBHOOKS_ALLOW_PRIVATE=true (tests, intranets), which also allows plain http.
 */
const NOT_PUBLIC = new net.BlockList();
for (const [prefix, bits] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) NOT_PUBLIC.addSubnet(prefix, bits, 'ipv4');
for (const [prefix, bits] of [
  ['::', 128], ['::1', 128], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32],
  ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) NOT_PUBLIC.addSubnet(prefix, bits, 'ipv6');

/** True when the address is a public unicast address (IPv4-mapped IPv6 judged by its IPv4). */
export function isPublicAddress(address: string): boolean {
  const family = net.isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return isPublicAddress(mapped[1]!);
    if (/^::ffff:/i.test(address)) return false;
    return !NOT_PUBLIC.check(address, 'ipv6');
  }
  return !NOT_PUBLIC.check(address, 'ipv4');
}

export class DestinationError extends Error {}

/** The host of a URL without IPv6 brackets. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Checks what can be checked without DNS when an endpoint is saved: scheme, no credentials,
 * no literal private address or localhost name. Names are resolved and checked at send time.
 */
export function checkDestination(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new DestinationError('url must be an absolute URL');
  }
  if (url.protocol !== 'https:' && !(allowPrivate && url.protocol === 'http:'))
    throw new DestinationError(allowPrivate ? 'url must be http or https' : 'url must use https');
  if (url.username || url.password) throw new DestinationError('url must not carry credentials');
  if (url.hash) throw new DestinationError('url must not have a fragment');
  if (!allowPrivate) {
    const host = bareHost(url).toLowerCase().replace(/\.$/, '');
    if (net.isIP(host) !== 0 && !isPublicAddress(host)) throw new DestinationError('url must point at a public address');
    if (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.local') || host.endsWith('.internal') || !host.includes('.'))
      throw new DestinationError('url must name a public host');
  }
  return url;
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http.request that resolves the name and refuses it when any address is not
 * public: the check runs on the very addresses the connection uses, so a name that resolves to a
 * public address when saved and to 127.0.0.1 when sent (DNS rebinding) is still refused.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = addresses as dns.LookupAddress[];
      if (list.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), []);
      if (!allowPrivate) {
        const blocked = list.find((a) => !isPublicAddress(a.address));
        if (blocked) return callback(Object.assign(new DestinationError(`${hostname} resolves to a non-public address (${blocked.address})`), { code: 'EBLOCKED' }), []);
      }
      if (options.all) callback(null, list);
      else callback(null, list[0]!.address, list[0]!.family);
    });
  };
}

/** Refuses a literal address that is not public (Node connects to literals without a lookup). */
export function checkLiteral(url: URL, allowPrivate: boolean): void {
  const host = bareHost(url);
  if (!allowPrivate && net.isIP(host) !== 0 && !isPublicAddress(host)) throw new DestinationError(`${host} is not a public address`);
}
