/**
 * Traefik's release, namespace, IngressClass and entry points: the names and
 * ports the chart's values, the routes, the Gateway and the tunnel agree on.
 */
export const TRAEFIK_NAMESPACE = "traefik";
export const TRAEFIK_RELEASE = "traefik";
/** The IngressClass the chart creates (and marks as the cluster default). */
export const TRAEFIK_INGRESS_CLASS = "traefik";
export const WEB_ENTRY_POINT = "web";
export const SECURE_ENTRY_POINT = "websecure";
/**
 * Placement deployment: the private apps' own entry point, served by a second
 * LoadBalancer Service (`traefik-lan`) on its own MetalLB address, which the
 * router never forwards. Public routes are not on it; private routes on nothing else.
 */
export const PRIVATE_ENTRY_POINT = "lan";
export const PRIVATE_ENTRY_PORT = 8444;
/** The chart's additionalServices key of the private entry's Service (named `traefik-lan` by the chart). */
export const PRIVATE_SERVICE = "lan";
/**
 * Tunnel entry with narrowed trust: the entry point cloudflared reaches Traefik
 * on, the only one that trusts X-Forwarded-*, admitted by a NetworkPolicy to
 * cloudflared's pods alone (builders/tunnel.ts). On no Service of the chart.
 */
export const TUNNEL_ENTRY_POINT = "tunnel";
export const TUNNEL_ENTRY_PORT = 8445;
/** Traefik's own ACME resolver, when `traefik.acme.enabled`. */
export const ACME_RESOLVER = "letsencrypt";
