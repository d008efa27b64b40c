/**
 * IPv4 address maths for the config checks: subnets, pools and VIPs are
 * compared as integer ranges so overlaps are exact, not string guesses.
 */
import { NON_PUBLIC_IPV4, NOT_A_HOST_IPV4, PRIVATE_IPV4, isIpv4 } from "../contract/net.ts";

export { NON_PUBLIC_IPV4, PRIVATE_IPV4, isIpv4 };

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
