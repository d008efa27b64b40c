/** Facts of one app's config that the checks, resolve and the route builders all read: defined once, here. */
import type { AppConfig, ParsedConfig } from "./schema.ts";

/** Whether an app's records go through Cloudflare's proxy: its own setting, else dns.proxied (a private app never, unless it says so). */
export function isProxied(
  app: Pick<AppConfig, "proxied"> & Partial<Pick<AppConfig, "private" | "kind">>,
  dns: Pick<ParsedConfig["dns"], "proxied">,
): boolean {
  // Cloudflare's proxy ends TLS at its edge, which a passthrough app exists to avoid: never proxied unless it says so (and the checks refuse that).
  return app.proxied ?? (app.private || isPassthrough(app) ? false : dns.proxied);
}

/** Apps routed by SNI to a backend that terminates TLS itself: no certificate, no HTTP middleware. */
export function isPassthrough(app: Partial<Pick<AppConfig, "kind">>): boolean {
  return app.kind === "tlsPassthrough" || app.kind === "tlsRoute";
}

/** Apps routed through the Gateway (Gateway API routes) rather than an Ingress, IngressRoute or IngressRouteTCP. */
export function isGatewayRoute(app: Pick<AppConfig, "kind">): boolean {
  return app.kind === "httpRoute" || app.kind === "grpcRoute" || app.kind === "tlsRoute";
}

/** Gateway API routes the Gateway terminates TLS for (HTTPS listeners). */
export function isGatewayHttpRoute(app: Pick<AppConfig, "kind">): boolean {
  return app.kind === "httpRoute" || app.kind === "grpcRoute";
}

/** An app whose namespace's allow-traefik policy is there for it: in the cluster (not external) and not opted out. */
export function admitsTraefik(app: Pick<AppConfig, "networkPolicy" | "external">): boolean {
  return !app.external && app.networkPolicy;
}

/** The ClusterIssuer of an app's certificates: its own issuer, else certManager.defaultIssuer. */
export function appIssuer(app: Pick<AppConfig, "issuer">, certManager: Pick<ParsedConfig["certManager"], "defaultIssuer">): string {
  return app.issuer ?? certManager.defaultIssuer;
}

/**
 * The certManager.wildcardZones entry whose `*.<zone>` certificate serves all
 * of an app's hosts, if one does. The wildcard comes from the default issuer:
 * an app naming another issuer keeps its own certificate, and a passthrough app needs none.
 */
export function appWildcardZone(
  app: Pick<AppConfig, "issuer" | "hosts" | "kind">,
  certManager: Pick<ParsedConfig["certManager"], "defaultIssuer" | "wildcardZones">,
): string | undefined {
  if (appIssuer(app, certManager) !== certManager.defaultIssuer || isPassthrough(app)) return undefined;
  return coveringWildcardZone(certManager.wildcardZones, app.hosts);
}

/** Whether `*.<zone>` covers `host`: a wildcard matches exactly one label. */
export function wildcardCovers(zone: string, host: string): boolean {
  if (!host.endsWith(`.${zone}`)) return false;
  return !host.slice(0, -zone.length - 1).includes(".");
}

/** The wildcard zone covering every one of an app's hosts, if one does (an app half covered keeps its own certificate). */
export function coveringWildcardZone(zones: readonly string[], hosts: readonly string[]): string | undefined {
  return zones.find((zone) => hosts.every((host) => wildcardCovers(zone, host)));
}
