/**
 * Address maths the rules need (IPv4 and IPv6 CIDR containment, private
 * ranges). The private IPv4 ranges are defined in platform/net.ts, which the
 * program's config checks import too, so the two agree on them.
 */
import { NON_PUBLIC_IPV4 } from "../contract/net.ts";

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

/** The program's non-public IPv4 ranges, plus IPv6 unique-local, link-local and loopback. */
const NON_PUBLIC_RANGES = [...NON_PUBLIC_IPV4, "fc00::/7", "fe80::/10", "::1/128"] as const;

export const isNonPublicAddress = (ip: string): boolean => withinAny(ip, NON_PUBLIC_RANGES);

/** Whether a CIDR shares any address with the non-public ranges (a catch-all like 0.0.0.0/0 or ::/0 does). */
/** A CIDR (or address) wholly inside the private, loopback and CGNAT ranges. */
export const isNonPublicRange = (cidr: string): boolean => withinAny(cidr, NON_PUBLIC_RANGES);
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
