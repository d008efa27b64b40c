/**
 * Addresses, one module for the program and the pack: the ranges both judge
 * addresses by, IPv4 maths over integers for the config (its values already
 * validated, so subnets, pools and VIPs compare as exact ranges, not string
 * guesses), and CIDR containment over IPv4 and IPv6 for the pack's rules,
 * tolerant of whatever a plan holds (a malformed value matches nothing).
 */

/**
 * IPv4 ranges no host, VIP or resolver address can lie in (IANA IPv4
 * Special-Purpose Address Registry, RFC 6890): "this network" 0.0.0.0/8,
 * loopback, link-local, multicast and the reserved 240.0.0.0/4 with the
 * limited broadcast 255.255.255.255. Kubernetes refuses the first three in an
 * EndpointSlice too (apis/discovery validation).
 */
export const NOT_A_HOST_IPV4 = [
  { range: "0.0.0.0/8", what: 'in 0.0.0.0/8 ("this network", never a host\'s address)' },
  { range: "127.0.0.0/8", what: "a loopback address (each machine's own)" },
  { range: "169.254.0.0/16", what: "a link-local address (never routed)" },
  { range: "224.0.0.0/4", what: "a multicast address" },
  { range: "240.0.0.0/4", what: "reserved (240.0.0.0/4, with the broadcast address 255.255.255.255)" },
] as const;

/** RFC 1918 private networks: where a LAN's clients are. */
export const PRIVATE_IPV4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

/**
 * IPv4 ranges the public internet (and so Cloudflare's edge) cannot reach:
 * RFC 1918, CGNAT, IETF protocol assignments, benchmarking, and every range
 * that is no host address at all. The documentation ranges (TEST-NET) stay
 * reachable here: the example stacks use them for a public address.
 */
export const NON_PUBLIC_IPV4 = [
  ...PRIVATE_IPV4,
  "100.64.0.0/10",
  "192.0.0.0/24",
  "198.18.0.0/15",
  ...NOT_A_HOST_IPV4.map((r) => r.range),
] as const;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}

// ── IPv4 as integers (the config's addresses) ─────────────────────────────────

export interface Ipv4Range {
  /** First address, as an unsigned 32-bit integer. */
  readonly first: number;
  /** Last address (inclusive). */
  readonly last: number;
}

export function ipToInt(ip: string): number {
  const parts = ip.split(".").map(Number);
  return (((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Sort comparator: IPv4 addresses in numeric order. */
export const byAddress = (a: string, b: string): number => ipToInt(a) - ipToInt(b);

/** Each address once, in address order, so a list's YAML order never changes a resource. */
export function uniqueAddresses(addresses: readonly string[]): string[] {
  return [...new Set(addresses)].sort(byAddress);
}

export function prefixLength(cidr: string): number {
  return Number(cidr.split("/")[1]);
}

/** Every address a CIDR block covers, network and broadcast included. */
export function cidrRange(cidr: string): Ipv4Range {
  const [ip, bits] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  const first = Math.floor(ipToInt(ip!) / size) * size;
  return { first, last: first + size - 1 };
}

/** True when the CIDR's address has bits set below its prefix (`10.0.1.5/24`). */
export function hasHostBits(cidr: string): boolean {
  return ipToInt(cidr.split("/")[0]!) !== cidrRange(cidr).first;
}

export function networkOf(cidr: string): string {
  return `${intToIp(cidrRange(cidr).first)}/${prefixLength(cidr)}`;
}

/** The first usable host of a subnet: the conventional homelab gateway. */
export function firstHost(cidr: string): string {
  return intToIp(cidrRange(cidr).first + 1);
}

/**
 * A MetalLB-style address entry: a CIDR (`10.0.1.240/28`), a range
 * (`10.0.1.240-10.0.1.250`) or a single address.
 */
export function addressRange(entry: string): Ipv4Range {
  if (entry.includes("/")) return cidrRange(entry);
  if (entry.includes("-")) {
    const [from, to] = entry.split("-").map((s) => s.trim());
    return { first: ipToInt(from!), last: ipToInt(to!) };
  }
  const n = ipToInt(entry);
  return { first: n, last: n };
}

export function rangeContains(range: Ipv4Range, ip: string): boolean {
  const n = ipToInt(ip);
  return n >= range.first && n <= range.last;
}

export function rangesOverlap(a: Ipv4Range, b: Ipv4Range): boolean {
  return a.first <= b.last && b.first <= a.last;
}

export function rangeWithin(inner: Ipv4Range, outer: Ipv4Range): boolean {
  return inner.first >= outer.first && inner.last <= outer.last;
}

export function firstAddress(entry: string): string {
  return intToIp(addressRange(entry).first);
}

/** Validates a pool entry; returns why it is wrong, or undefined when it is fine. */
export function addressEntryProblem(entry: string): string | undefined {
  if (entry.includes("/")) {
    const [ip, bits] = entry.split("/");
    if (!isIpv4(ip!) || !/^\d+$/.test(bits!) || Number(bits) > 32) return "is not a valid IPv4 CIDR";
    return undefined;
  }
  if (entry.includes("-")) {
    const [from, to] = entry.split("-").map((s) => s.trim());
    if (!isIpv4(from!) || !isIpv4(to!)) return "is not a valid IPv4 range (first-last)";
    if (ipToInt(from!) > ipToInt(to!)) return "is a range whose first address is after its last";
    return undefined;
  }
  return isIpv4(entry) ? undefined : "is not an IPv4 address, range or CIDR";
}

const NON_PUBLIC = NON_PUBLIC_IPV4.map(cidrRange);

export function isPublicIpv4(ip: string): boolean {
  return !NON_PUBLIC.some((r) => rangeContains(r, ip));
}

const NOT_A_HOST = NOT_A_HOST_IPV4.map((r) => ({ range: cidrRange(r.range), what: r.what }));

/** Why `ip` cannot be a host's, a VIP's or a resolver's address (e.g. 0.0.0.0, 255.255.255.255), or undefined. */
export function hostAddressProblem(ip: string): string | undefined {
  const special = NOT_A_HOST.find((r) => rangeContains(r.range, ip));
  return special ? `is ${special.what}` : undefined;
}

// ── CIDR containment, IPv4 and IPv6 (the pack's rules) ─────────────────────────

interface Range {
  readonly v6: boolean;
  readonly start: bigint;
  readonly end: bigint;
}

function v4ToBig(ip: string): bigint | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = (n << 8n) | BigInt(Number(p));
  }
  return n;
}

function v6ToBig(ip: string): bigint | undefined {
  const halves = ip.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string | undefined) => (s ? s.split(":") : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  let n = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

/** A CIDR (or a single address) as an inclusive range, undefined when malformed. */
function parseCidr(cidr: string): Range | undefined {
  const [ip = "", prefixText] = cidr.trim().split("/");
  const v6 = ip.includes(":");
  const bits = v6 ? 128 : 32;
  const base = v6 ? v6ToBig(ip) : v4ToBig(ip);
  const prefix = prefixText === undefined ? bits : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (base === undefined || !(prefix >= 0 && prefix <= bits)) return undefined;
  const size = 1n << BigInt(bits - prefix);
  const start = (base / size) * size;
  return { v6, start, end: start + size - 1n };
}

/** Whether `inner` (CIDR or address) lies wholly inside `outer`. */
export function cidrWithin(inner: string, outer: string): boolean {
  const a = parseCidr(inner);
  const b = parseCidr(outer);
  return !!a && !!b && a.v6 === b.v6 && a.start >= b.start && a.end <= b.end;
}

/** Whether two CIDRs (or addresses) share any address. */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  return !!x && !!y && x.v6 === y.v6 && x.start <= y.end && y.start <= x.end;
}

/** Whether a CIDR holds more than one address. */
export const isRange = (cidr: string): boolean => {
  const r = parseCidr(cidr);
  return !!r && r.end > r.start;
};

export const withinAny = (inner: string, outers: readonly string[]): boolean => outers.some((o) => cidrWithin(inner, o));

/** The non-public IPv4 ranges above, plus IPv6 unique-local, link-local and loopback. */
const NON_PUBLIC_RANGES = [...NON_PUBLIC_IPV4, "fc00::/7", "fe80::/10", "::1/128"] as const;

export const isNonPublicAddress = (ip: string): boolean => withinAny(ip, NON_PUBLIC_RANGES);

/** A CIDR (or address) wholly inside the private, loopback and CGNAT ranges. */
export const isNonPublicRange = (cidr: string): boolean => withinAny(cidr, NON_PUBLIC_RANGES);
/** Whether a CIDR shares any address with the non-public ranges (a catch-all like 0.0.0.0/0 or ::/0 does). */
export const reachesNonPublic = (cidr: string): boolean => NON_PUBLIC_RANGES.some((r) => cidrsOverlap(cidr, r));

/** IPv4 address ranges of MetalLB pools: CIDRs, `a-b` ranges and single addresses. */
export function addressInPoolEntry(ip: string, entry: string): boolean {
  if (entry.includes("-")) {
    const [from = "", to = ""] = entry.split("-").map((s) => s.trim());
    const a = v4ToBig(ip);
    const lo = v4ToBig(from);
    const hi = v4ToBig(to);
    return a !== undefined && lo !== undefined && hi !== undefined && a >= lo && a <= hi;
  }
  return cidrWithin(ip, entry);
}
