/**
 * contract/net.ts holds two views of addresses: IPv4 integer ranges for the
 * config (values already validated) and CIDR containment over IPv4 and IPv6
 * for the pack's rules (any text a plan holds). On valid IPv4 they must agree,
 * or a config check and the rule that mirrors it would judge one address twice.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  addressInPoolEntry,
  addressRange,
  cidrRange,
  cidrsOverlap,
  cidrWithin,
  intToIp,
  isNonPublicAddress,
  isPublicIpv4,
  rangeContains,
  rangesOverlap,
  rangeWithin,
} from "../../contract/net.ts";

const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join("."));
const cidr = fc.tuple(ip, fc.integer({ min: 0, max: 32 })).map(([a, bits]) => `${a}/${bits}`);
/** A MetalLB pool entry: a CIDR, a first-last range or one address. */
const poolEntry = fc.oneof(
  cidr,
  ip,
  fc.tuple(fc.nat(0xffffffff), fc.nat(0xffff)).map(([first, size]) => `${intToIp(first)}-${intToIp(Math.min(first + size, 0xffffffff))}`),
);

describe("the config's and the rules' address maths agree on IPv4", () => {
  it("containment of one CIDR in another", () => {
    fc.assert(fc.property(cidr, cidr, (a, b) => cidrWithin(a, b) === rangeWithin(cidrRange(a), cidrRange(b))));
  });

  it("overlap of two CIDRs", () => {
    fc.assert(fc.property(cidr, cidr, (a, b) => cidrsOverlap(a, b) === rangesOverlap(cidrRange(a), cidrRange(b))));
  });

  it("an address in a MetalLB pool entry", () => {
    fc.assert(fc.property(ip, poolEntry, (a, entry) => addressInPoolEntry(a, entry) === rangeContains(addressRange(entry), a)));
  });

  it("a public address", () => {
    fc.assert(fc.property(ip, (a) => isPublicIpv4(a) === !isNonPublicAddress(a)));
    assert.deepEqual(["10.0.0.1", "100.64.0.1", "192.0.2.10", "203.0.113.5", "8.8.8.8", "255.255.255.255"].map(isPublicIpv4), [
      false,
      false,
      true,
      true,
      true,
      false,
    ]);
  });

  it("the rules' view alone reads IPv6 and refuses what is no address", () => {
    assert.deepEqual(
      [
        cidrWithin("fd00::1", "fc00::/7"),
        isNonPublicAddress("fe80::1"),
        isNonPublicAddress("2001:db8::1"),
        cidrWithin("10.0.0.300", "10.0.0.0/8"),
      ],
      [true, true, false, false],
    );
  });
});
