import { isIP } from 'node:net';

/**
 * HEARTH_TRUSTED_PROXIES in the notation Fastify's trustProxy (proxy-addr) accepts: addresses,
 * CIDR ranges, IPv4 netmasks and the names loopback, linklocal, uniquelocal. Ranges are compared in
 * one 128-bit space with IPv4 at ::ffff:0:0/96, as proxy-addr matches IPv4 clients against IPv6 ranges.
 */
type Interval = readonly [start: bigint, end: bigint];

const NAMED: Record<string, readonly string[]> = {
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  loopback: ['127.0.0.1/8', '::1/128'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};
const MAPPED_V4: Interval = [0xffffn << 32n, (0xffffn << 32n) | 0xffff_ffffn];
/** The IPv6 Internet (global unicast, 2000::/3). */
const GLOBAL_V6: Interval = [0x2n << 125n, (0x4n << 125n) - 1n];

function v4(text: string): bigint {
  return text.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

function v6(address: string): bigint {
  let text = address.split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (dotted) {
    const n = v4(dotted);
    text = `${text.slice(0, -dotted.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [left = '', right] = text.split('::');
  const head = left ? left.split(':') : [];
  const tail = right ? right.split(':') : [];
  const groups = right === undefined ? head : [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** Prefix length of a contiguous IPv4 netmask (255.255.0.0 → 16), or undefined. */
function netmaskLength(mask: string): number | undefined {
  if (isIP(mask) !== 4) return undefined;
  const bits = v4(mask).toString(2).padStart(32, '0');
  return /^1*0*$/.test(bits) ? (bits.indexOf('0') === -1 ? 32 : bits.indexOf('0')) : undefined;
}

/** The addresses one entry trusts, or a reason it is not accepted. */
function intervalsOf(entry: string): Interval[] | string {
  const named = NAMED[entry];
  if (named) return named.flatMap((e) => intervalsOf(e) as Interval[]);
  const slash = entry.lastIndexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const kind = isIP(address);
  if (kind === 0) return 'is not an address, a range or one of loopback, linklocal, uniquelocal';
  const max = kind === 4 ? 32 : 128;
  const suffix = slash < 0 ? undefined : entry.slice(slash + 1);
  const prefix = suffix === undefined ? max : /^\d{1,3}$/.test(suffix) ? Number(suffix) : kind === 4 ? netmaskLength(suffix) : undefined;
  if (prefix === undefined || prefix > max) return 'has an invalid range';
  if (prefix === 0) return 'has prefix length 0, which would trust every address';
  const base = kind === 4 ? MAPPED_V4[0] | v4(address) : v6(address);
  const bits = BigInt((kind === 4 ? 32 : 128) - prefix);
  const start = (base >> bits) << bits;
  return [[start, start + (1n << bits) - 1n]];
}

function covers(intervals: readonly Interval[], [from, to]: Interval): boolean {
  let reached = from;
  for (const [start, end] of [...intervals].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    if (start > reached) break;
    if (end >= reached) reached = end + 1n;
    if (reached > to) return true;
  }
  return false;
}

/** Checks the list: why an entry is refused, and whether together they trust all of IPv4 or of the IPv6 Internet. */
export function checkTrustedProxies(entries: readonly string[]): { invalid: string | undefined; catchAll: boolean } {
  const all: Interval[] = [];
  for (const [i, entry] of entries.entries()) {
    const result = intervalsOf(entry);
    if (typeof result === 'string') return { invalid: `entry ${i + 1} ${result}`, catchAll: false };
    all.push(...result);
  }
  return { invalid: undefined, catchAll: covers(all, MAPPED_V4) || covers(all, GLOBAL_V6) };
}
