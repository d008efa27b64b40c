import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  addressEntryProblem,
  addressRange,
  cidrRange,
  firstHost,
  hasHostBits,
  intToIp,
  ipToInt,
  networkOf,
  rangeContains,
  rangesOverlap,
  rangeWithin,
} from "../../contract/net.ts";

const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join("."));
const cidr = fc.tuple(ip, fc.integer({ min: 8, max: 30 })).map(([a, bits]) => networkOf(`${a}/${bits}`));

describe("IPv4 maths", () => {
  it("round-trips every address through its integer form", () => {
    fc.assert(fc.property(ip, (a) => intToIp(ipToInt(a)) === a));
  });

  it("puts a subnet's first host inside the subnet, right after the network address", () => {
    fc.assert(
      fc.property(cidr, (c) => {
        const range = cidrRange(c);
        return rangeContains(range, firstHost(c)) && ipToInt(firstHost(c)) === range.first + 1;
      }),
    );
  });

  it("finds overlap symmetric, and a range always overlaps what contains it", () => {
    fc.assert(
      fc.property(cidr, cidr, (a, b) => {
        const [ra, rb] = [cidrRange(a), cidrRange(b)];
        return rangesOverlap(ra, rb) === rangesOverlap(rb, ra) && (!rangeWithin(ra, rb) || rangesOverlap(ra, rb));
      }),
    );
  });

  it("sees a /28 pool inside its /24 and apart from a node below it", () => {
    assert.deepEqual(cidrRange("10.0.10.240/28"), { first: ipToInt("10.0.10.240"), last: ipToInt("10.0.10.255") });
    assert.equal(rangeWithin(addressRange("10.0.10.240/28"), cidrRange("10.0.10.0/24")), true);
    assert.equal(
      rangeWithin(cidrRange("10.0.10.0/28"), cidrRange("10.0.10.0/24")),
      true,
      "a pool at the subnet's first address is inside it",
    );
    assert.equal(rangeWithin(cidrRange("10.0.10.0/24"), cidrRange("10.0.10.0/24")), true, "a range is within itself");
    assert.equal(rangeWithin(cidrRange("10.0.9.240/28"), cidrRange("10.0.10.0/24")), false);
    assert.equal(rangesOverlap(addressRange("10.0.10.240-10.0.10.250"), addressRange("10.0.10.21")), false);
    assert.equal(rangesOverlap(addressRange("10.0.10.0/28"), addressRange("10.0.10.11")), true);
  });

  it("spots host bits and names the network the user meant", () => {
    assert.equal(hasHostBits("10.0.10.5/24"), true);
    assert.equal(networkOf("10.0.10.5/24"), "10.0.10.0/24");
    assert.equal(hasHostBits("10.0.10.0/24"), false);
  });

  it("explains malformed pool entries", () => {
    assert.equal(addressEntryProblem("10.0.10.250-10.0.10.240"), "is a range whose first address is after its last");
    assert.equal(addressEntryProblem("10.0.10.0/33"), "is not a valid IPv4 CIDR");
    assert.equal(addressEntryProblem("services"), "is not an IPv4 address, range or CIDR");
    assert.equal(addressEntryProblem("10.0.10.240/28"), undefined);
  });
});
