/**
 * Where and how clients reach Traefik, derived from the parsed config: the
 * public entry's MetalLB address, the private entry, the trust in forwarders.
 * Each fact has one function here, which resolve and the checks both call.
 */
import { addressRange, firstAddress, intToIp } from "../contract/net.ts";
import { isGatewayRoute } from "./apps.ts";
import { networkPolicyEnforcer } from "./network-policies.ts";
import { own } from "./own.ts";
import { PLACEMENT, needsLoadBalancer } from "./placement.ts";
import type { ParsedConfig } from "./schema.ts";

/** Whether this config installs MetalLB: explicitly, or because the placement needs a LoadBalancer IP. */
export function metallbEnabled(p: Pick<ParsedConfig, "metallb" | "traefik">): boolean {
  return p.metallb.enabled ?? needsLoadBalancer(p.traefik.placement);
}

/**
 * Whether Traefik trusts X-Forwarded-* from Cloudflare: traefik.trustCloudflare,
 * else dns.proxied. Through a tunnel every request comes from cloudflared in
 * the cluster, never from Cloudflare's ranges, so the default is off there.
 */
export function trustsCloudflare(p: Pick<ParsedConfig, "traefik" | "dns"> & Partial<Pick<ParsedConfig, "tunnel">>): boolean {
  return p.traefik.trustCloudflare ?? (p.dns.proxied && !p.tunnel?.enabled);
}

/** Whether this config serves Gateway API: explicitly, or because an app is a Gateway API route. */
export function gatewayApiEnabled(p: Pick<ParsedConfig, "traefik" | "apps">): boolean {
  return p.traefik.gatewayApi.enabled ?? Object.values(p.apps).some(isGatewayRoute);
}

/** The pool Traefik's LoadBalancer address comes from: the named one, else the first by name. */
export function traefikPoolName(p: Pick<ParsedConfig, "traefik" | "metallb">): string | undefined {
  return p.traefik.pool ?? Object.keys(p.metallb.pools).sort()[0];
}

/** The public entry's MetalLB address (a placement whose entry is a LoadBalancer IP): the configured one or its pool's first. */
export function traefikLoadBalancerIP(p: Pick<ParsedConfig, "traefik" | "metallb">): string | undefined {
  if (!needsLoadBalancer(p.traefik.placement)) return undefined;
  const poolName = traefikPoolName(p);
  const pool = poolName ? own(p.metallb.pools, poolName) : undefined;
  return p.traefik.loadBalancerIP ?? (pool?.addresses[0] ? firstAddress(pool.addresses[0]) : undefined);
}

/** The ranges private apps admit: traefik.privateEntry.sources, else the node subnet and the operator's admin subnets. */
export function privateSources(p: Pick<ParsedConfig, "traefik" | "cluster">): string[] {
  if (p.traefik.privateEntry.sources) return [...new Set(p.traefik.privateEntry.sources)].sort();
  const c = p.cluster;
  const admin = c.provider === "talos" ? (c.firewall.adminSubnets ?? []) : [];
  return [...new Set([...(c.network.subnet ? [c.network.subnet] : []), ...admin])].sort();
}

/**
 * The private entry's own MetalLB address (PlacementMeaning.ownPrivateEntry):
 * the configured one, else the first address of Traefik's pool that is not
 * the public entry's. Undefined when the pool has no second address (the
 * checks refuse that).
 */
export function privateEntryAddress(p: Pick<ParsedConfig, "traefik" | "metallb">, publicAddress: string | undefined): string | undefined {
  if (!PLACEMENT[p.traefik.placement].ownPrivateEntry) return undefined;
  if (p.traefik.privateEntry.loadBalancerIP) return p.traefik.privateEntry.loadBalancerIP;
  const poolName = traefikPoolName(p);
  const pool = poolName ? own(p.metallb.pools, poolName) : undefined;
  // Two candidates per entry are enough: at most one of them is the public entry's address.
  const candidates = (pool?.addresses ?? []).flatMap((entry) => {
    const r = addressRange(entry);
    return r.last > r.first ? [r.first, r.first + 1] : [r.first];
  });
  return candidates.map(intToIp).find((ip) => ip !== publicAddress);
}

/**
 * Whether the tunnel's trusted entry point can be closed to everything but
 * cloudflared's pods: Traefik in pods (no host network, which no NetworkPolicy
 * applies to) on a cluster that enforces NetworkPolicies.
 */
export function narrowsTunnelTrust(p: Pick<ParsedConfig, "tunnel" | "traefik" | "cluster">): boolean {
  return p.tunnel.enabled && !PLACEMENT[p.traefik.placement].hostNetwork && networkPolicyEnforcer(p.cluster) !== undefined;
}
