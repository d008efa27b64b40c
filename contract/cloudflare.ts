/**
 * How the plan shows the pack what it looked up from Cloudflare. A policy pack
 * sees resources, never invokes, so the program wraps its deploy-time
 * `getIpRanges` lookup in a component (COMPONENTS.cloudflareIpRanges,
 * tokens.ts) whose inputs and outputs are these lists; the rules compare
 * Traefik's trusted forwarders with them, not with a copy of Cloudflare's list
 * that goes stale. The component's properties, inputs and registered outputs alike:
 */
export interface CloudflareIpRangesProps {
  readonly ipv4Cidrs: readonly string[];
  readonly ipv6Cidrs: readonly string[];
}
