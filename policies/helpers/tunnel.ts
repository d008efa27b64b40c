/**
 * What the plan says of the Cloudflare Tunnel entry and of private apps: the
 * program's components carry it as their inputs.
 */
import type { PolicyResource } from "@pulumi/policy";
import { ofType } from "../common.ts";
import { COMPONENTS, TYPES } from "@homelab/contract/tokens";
import { arr, obj, str, strings } from "@homelab/contract/props";

export const TUNNEL_TYPES = {
  tunnel: TYPES.tunnel,
  tunnelConfig: TYPES.tunnelConfig,
  /** The program's CloudflareTunnel component, whose inputs name the forwarders Traefik trusts. */
  tunnelComponent: COMPONENTS.cloudflareTunnel,
  /** The program's ZoneEdge component: the zone's SSL/TLS mode as read at deploy time. */
  zoneEdge: COMPONENTS.zoneEdge,
  /** The program's LanDns component: hosts answered by a LAN resolver, kept off public DNS on purpose. */
  lanDns: COMPONENTS.lanDns,
} as const;

/** The CIDRs a tunnel stack's Traefik may trust forwarded headers from (cloudflared's sources), or undefined without a tunnel. */
export function tunnelForwarders(resources: readonly PolicyResource[]): string[] | undefined {
  const [component] = ofType(resources, TUNNEL_TYPES.tunnelComponent);
  return component ? strings(component.props.forwarders) : undefined;
}

/** Hosts of private apps, which have no public record by design. */
export function lanOnlyHosts(resources: readonly PolicyResource[]): Set<string> {
  return new Set(ofType(resources, TUNNEL_TYPES.lanDns).flatMap((r) => arr(r.props.entries).map((e) => str(obj(e).host))));
}
