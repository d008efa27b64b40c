/**
 * How a Traefik IngressRoute's match expression names its hosts and paths
 * (Traefik v3 rule syntax, docs "Routing > Routers > Rule"): the pack's rules
 * and the synth summary read routes this one way.
 */

/** Every `Host(...)` of an IngressRoute match. */
export const HOST_MATCH = /Host\(\s*`([^`]+)`\s*\)/g;
/** Every `HostSNI(...)` of an IngressRouteTCP match. */
export const HOST_SNI_MATCH = /HostSNI\(\s*`([^`]+)`\s*\)/g;
/** The path matcher of an IngressRoute match: [, PathPrefix | Path, path]. */
export const PATH_MATCH = /\b(PathPrefix|Path)\(\s*`([^`]+)`\s*\)/;
