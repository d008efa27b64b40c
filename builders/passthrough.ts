/** Kind tlsPassthrough: Traefik's SNI router and its TCP allow-lists. */
import type { IIngressRouteTCP } from "@kubernetes-models/traefik/traefik.io/v1alpha1/IngressRouteTCP";
import type { IMiddlewareTCP } from "@kubernetes-models/traefik/traefik.io/v1alpha1/MiddlewareTCP";
import type { AppSpec } from "../model/resolve.ts";
import type { IngressEntrySpec as RouteEntry } from "./traefik-entry.ts";
import { appLabels, traefikRouteHead } from "./route-naming.ts";
import { hostSniMatcher, routeEntryPoints } from "./route-matching.ts";
import { allowListRanges, lanOnlySources, middlewareKinds, middlewareName, type MiddlewareKind } from "./middlewares.ts";

/** The TCP middlewares a passthrough app has: allow-lists, the only ones that need no decryption. */
const TCP_MIDDLEWARES: readonly MiddlewareKind[] = ["lan-only", "ip-allow-list"];
export const tcpMiddlewareKinds = (app: AppSpec) => middlewareKinds(app).filter((k) => TCP_MIDDLEWARES.includes(k));

export function middlewareTcpManifest(app: AppSpec, kind: MiddlewareKind, entry: RouteEntry): IMiddlewareTCP {
  const sourceRange = kind === "lan-only" ? [...lanOnlySources(app, entry)] : allowListRanges(app, []);
  return {
    apiVersion: "traefik.io/v1alpha1",
    kind: "MiddlewareTCP",
    metadata: { name: middlewareName(app, kind), namespace: app.namespace, labels: appLabels(app) },
    spec: { ipAllowList: { sourceRange } },
  };
}

/**
 * Kind tlsPassthrough: one TCP router on the app's entry points, matched by
 * SNI, that hands the still-encrypted connection to the app's Service (which
 * terminates TLS with its own certificate). Traefik tries TCP routers before
 * HTTP ones on an entry point, so the host is this app's alone (the checks
 * refuse a host shared with another app).
 */
export function ingressRouteTcpManifest(app: AppSpec, entry: RouteEntry): IIngressRouteTCP {
  const backend = app.backends[0]!;
  const middlewares = tcpMiddlewareKinds(app).map((kind) => ({ name: middlewareName(app, kind), namespace: app.namespace }));
  return {
    ...traefikRouteHead(app, "IngressRouteTCP"),
    spec: {
      entryPoints: routeEntryPoints(app, entry),
      routes: [
        {
          match: hostSniMatcher(app.hosts),
          ...(middlewares.length ? { middlewares } : {}),
          services: [{ name: backend.service, port: backend.port }],
        },
      ],
      tls: { passthrough: true },
    },
  };
}
