/**
 * Address claims: the gateway, the VIP, the nodes and the MetalLB pools each
 * need their own addresses, and the pools lie in the node subnet.
 */
import type { ParsedConfig } from "../../model/schema.ts";
import { addressRange, cidrRange, rangesOverlap, rangeWithin, type Ipv4Range } from "../../contract/net.ts";
import { formatPath, type Add, type KeyPath } from "./issue.ts";
import { nodeGateway } from "../../model/nodes.ts";

export interface Claim {
  readonly path: KeyPath;
  readonly range: Ipv4Range;
  readonly label: string;
}

/** Every address the config hands out, so pools, VIP, gateway and nodes never collide. */
export function addressClaims(c: ParsedConfig): Claim[] {
  const claims: Claim[] = [];
  const single = (path: KeyPath, ip: string): Claim => ({ path, range: addressRange(ip), label: `${formatPath(path)} ${ip}` });
  const cl = c.cluster;
  if (cl.provider === "talos") {
    const gateway = nodeGateway(cl.network);
    claims.push(single(["cluster", "network", "gateway"], gateway));
  }
  if (cl.network.vip) claims.push(single(["cluster", "network", "vip"], cl.network.vip));
  for (const [name, n] of Object.entries(cl.nodes)) claims.push(single(["cluster", "nodes", name, "ip"], n.ip));
  return claims;
}

export function checkAddressClaims(c: ParsedConfig, add: Add): void {
  const claims = addressClaims(c);
  for (let i = 0; i < claims.length; i++) {
    for (let j = 0; j < i; j++) {
      if (rangesOverlap(claims[i]!.range, claims[j]!.range)) {
        add(claims[i]!.path, `${claims[i]!.label} is also ${claims[j]!.label}; every node, the VIP and the gateway need their own address`);
      }
    }
  }
  const subnet = c.cluster.network.subnet ? cidrRange(c.cluster.network.subnet) : undefined;
  const pools = poolClaims(c);
  pools.forEach(({ path, range, pool, entry }, i) => {
    if (subnet && !rangeWithin(range, subnet)) {
      add(
        path,
        `${entry} is not inside cluster.network.subnet ${c.cluster.network.subnet}; MetalLB L2 only answers ARP for addresses on the node subnet`,
      );
    }
    for (const claim of claims) {
      if (rangesOverlap(range, claim.range))
        add(path, `metallb.pools.${pool} ${entry} overlaps ${claim.label}; move the pool or the address`);
    }
    for (const other of pools.slice(0, i)) {
      if (rangesOverlap(range, other.range))
        add(path, `metallb.pools.${pool} ${entry} overlaps ${other.label}; pools must not share addresses`);
    }
  });
}

/** Every MetalLB pool entry, labelled by its key path and value. */
export function poolClaims(c: ParsedConfig): (Claim & { readonly pool: string; readonly entry: string })[] {
  return Object.entries(c.metallb.pools).flatMap(([pool, p]) =>
    p.addresses.map((entry, i) => {
      const path = ["metallb", "pools", pool, "addresses", i];
      return { path, range: addressRange(entry), label: `${formatPath(path)} ${entry}`, pool, entry };
    }),
  );
}
