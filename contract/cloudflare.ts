/**
 * How the plan shows the pack what it looked up from Cloudflare. A policy pack
 * sees resources, never invokes, so the program wraps its deploy-time
 * `getIpRanges` lookup in a component of this type whose inputs and outputs
 * are the lists it got; the rules compare Traefik's trusted forwarders with
 * those, not with a copy of Cloudflare's list that goes stale.
 */
export const CLOUDFLARE_IP_RANGES_TYPE = "homelab:cloudflare:IpRanges";

/** The component's properties (inputs and registered outputs alike). */
export interface CloudflareIpRangesProps {
  readonly ipv4Cidrs: readonly string[];
  readonly ipv6Cidrs: readonly string[];
}
