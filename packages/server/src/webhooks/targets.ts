/**
 * Where a webhook may be sent: https (http only when allowed), and never to
 * loopback, private, link-local or cloud-metadata addresses unless the server
 * allows private targets. Checked when a subscription is made and again at
 * every delivery — also inside the connection's own DNS lookup, so a name
 * that resolves differently the second time (DNS rebinding) is still refused.
 */
import { type LookupAddress, type LookupOptions, lookup } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

export interface TargetPolicy {
  /** Allow loopback / private / link-local targets (tests, a receiver next to the server). */
  allowPrivateTargets?: boolean;
  /** Allow http:// receivers (otherwise https only). */
  allowHttp?: boolean;
}

export class TargetRefusedError extends Error {
  override name = 'TargetRefusedError';
}

const BLOCKED: [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'an unspecified'],
  ['127.0.0.0', 8, 'ipv4', 'a loopback'],
  ['10.0.0.0', 8, 'ipv4', 'a private'],
  ['100.64.0.0', 10, 'ipv4', 'a shared (carrier-grade NAT)'],
  ['172.16.0.0', 12, 'ipv4', 'a private'],
  ['192.168.0.0', 16, 'ipv4', 'a private'],
  ['169.254.0.0', 16, 'ipv4', 'a link-local (cloud metadata)'],
  ['::', 128, 'ipv6', 'an unspecified'],
  ['::1', 128, 'ipv6', 'a loopback'],
  ['fc00::', 7, 'ipv6', 'a private (unique local)'],
  ['fe80::', 10, 'ipv6', 'a link-local'],
];
const lists = BLOCKED.map(([net, prefix, type, what]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, type);
  return { list, type, what };
});

/** Why `address` may not be a target (`a loopback address`), or undefined. IPv4-mapped IPv6 is checked as IPv4. */
export function blockedAddress(address: string): string | undefined {
  const ip = ipv4Of(address) ?? address;
  const type = isIP(ip) === 4 ? 'ipv4' : isIP(ip) === 6 ? 'ipv6' : undefined;
  if (!type) return 'not an IP';
  const hit = lists.find((l) => l.type === type && l.list.check(ip, type));
  return hit && `${hit.what} address`;
}

/** The IPv4 address inside an IPv4-mapped IPv6 one (`::ffff:10.0.0.1` or, as URLs spell it, `::ffff:a00:1`). */
function ipv4Of(address: string): string | undefined {
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (dotted) return dotted;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return undefined;
  const [hi, lo] = [Number.parseInt(hex[1] as string, 16), Number.parseInt(hex[2] as string, 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

const bare = (hostname: string) => hostname.replace(/^\[(.*)\]$/, '$1');

function resolveAll(hostname: string): Promise<LookupAddress[]> {
  return new Promise((resolve, reject) =>
    lookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))),
  );
}

/** The URL as given, or TargetRefusedError saying why not (scheme, or an address it resolves to). */
export async function checkTarget(url: string, policy: TargetPolicy): Promise<URL> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TargetRefusedError('is not a URL');
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && policy.allowHttp))
    throw new TargetRefusedError(
      policy.allowHttp ? 'must be an http or https URL' : 'must be an https URL (http is not allowed)',
    );
  if (policy.allowPrivateTargets) return parsed;
  const host = bare(parsed.hostname);
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await resolveAll(host)).map((a) => a.address);
    } catch (error) {
      throw new TargetRefusedError(
        `host ${host} does not resolve (${(error as NodeJS.ErrnoException).code})`,
      );
    }
  }
  for (const address of addresses) {
    const why = blockedAddress(address);
    if (why) throw new TargetRefusedError(`host ${host} resolves to ${address}, ${why}; not allowed`);
  }
  return parsed;
}

/**
 * A `lookup` for the connection itself (undici → net/tls): resolves, refuses
 * a blocked address, and hands the checked addresses to the socket.
 */
export function guardedLookup(policy: TargetPolicy): LookupFunction {
  return (hostname: string, options: LookupOptions, callback) => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      if (!policy.allowPrivateTargets) {
        for (const a of addresses) {
          const why = blockedAddress(a.address);
          if (why)
            return callback(new TargetRefusedError(`${hostname} resolved to ${a.address}, ${why}`), []);
        }
      }
      const first = addresses[0];
      if (options.all) callback(null, addresses);
      else if (first) callback(null, first.address, first.family);
      else callback(new TargetRefusedError(`${hostname} resolved to no address`), []);
    });
  };
}
