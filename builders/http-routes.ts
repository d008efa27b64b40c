/**
 * Gateway API routes of an app (kinds httpRoute and grpcRoute): one HTTPRoute
 * or GRPCRoute, attached to the stack's Gateway, with a rule per backend.
 * The app's middlewares become Gateway API's own filters where one does the
 * same thing (URLRewrite for strip prefix, ResponseHeaderModifier for the
 * security headers, CORS), and ExtensionRefs to the app's Traefik Middlewares
 * for the rest (allow-list, rate limit, regex redirect, basic auth). What
 * neither expresses is refused by the config checks (config/checks/gateway.ts).
 */
import type { IHTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";
import type { IHTTPRouteFilter } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRouteFilter";
import type { IGRPCRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/GRPCRoute";
import type { IGRPCRouteFilter } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/GRPCRouteFilter";
import type { IGRPCRouteMatch } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/GRPCRouteMatch";
import type { AppSpec } from "../model/resolve.ts";
import { gatewayParentRef, routeListeners, secureListenerPort } from "./gateway.ts";
import type { ITLSRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/TLSRoute";
import { appLabels, orderedBackends, sortedHosts, sortedUnique, type Backend } from "./route-naming.ts";
import { middlewareKinds, middlewareName, type MiddlewareKind } from "./middlewares.ts";
import type { IngressEntrySpec as RouteEntry } from "./traefik-entry.ts";

/** The middlewares a Gateway API route reaches through ExtensionRef: Gateway API has no filter of their kind. */
export const EXTENSION_REF_MIDDLEWARES: readonly MiddlewareKind[] = ["lan-only", "ip-allow-list", "rate-limit", "redirect", "basic-auth"];

/** The headers of the security-headers middleware, as Traefik's headers middleware sends them on HTTPS. */
export const SECURITY_HEADERS: readonly { readonly name: string; readonly value: string }[] = [
  { name: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { name: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains" },
  { name: "X-Content-Type-Options", value: "nosniff" },
  { name: "X-Frame-Options", value: "DENY" },
];

/** The security-headers middleware as Gateway API's ResponseHeaderModifier, for HTTPRoutes and GRPCRoutes alike. */
function securityHeadersFilter() {
  return { type: "ResponseHeaderModifier" as const, responseHeaderModifier: { set: SECURITY_HEADERS.map((h) => ({ ...h })) } };
}

function extensionRef(app: Pick<AppSpec, "name">, kind: MiddlewareKind) {
  return { type: "ExtensionRef" as const, extensionRef: { group: "traefik.io", kind: "Middleware", name: middlewareName(app, kind) } };
}

/** A route's kind and metadata: named after the app, in its namespace. */
function routeHead<K extends "HTTPRoute" | "GRPCRoute" | "TLSRoute">(app: AppSpec, kind: K) {
  return {
    apiVersion: "gateway.networking.k8s.io/v1" as const,
    kind,
    metadata: { name: app.name, namespace: app.namespace, labels: appLabels(app) },
  };
}

type GatewayEntry = Pick<RouteEntry, "namespace" | "placement" | "private" | "gateway">;

/**
 * The stack's Gateway as parent, by the listeners that serve the app's hosts
 * on its entry's port, and the app's hosts. A route without a sectionName
 * attaches to every listener its hosts match: a private host would ride the
 * public `*.<zone>` listener too, and a public host the private entry's.
 */
function routeAttachment(app: AppSpec, entry: GatewayEntry) {
  if (!entry.gateway)
    throw new Error(`apps.${app.name}: the ingress entry carries no Gateway listeners (the GatewayApi component hands them over)`);
  const port = app.private ? entry.private!.port : secureListenerPort(entry.placement);
  const sections = routeListeners(app, entry.gateway.listeners, entry.gateway.zone, port);
  return { parentRefs: sections.map((section) => gatewayParentRef(entry.namespace, section)), hostnames: sortedHosts(app) };
}

/**
 * Kind tlsRoute: routed by SNI through a TLS listener in Passthrough mode
 * (Traefik v3.7 serves TLSRoute v1 without its experimental channel:
 * traefik/traefik pkg/provider/kubernetes/gateway/kubernetes.go, v3.7.9,
 * supportedRouteKinds), to the one backend, which terminates TLS itself.
 */
export function tlsRouteManifest(app: AppSpec, entry: GatewayEntry): ITLSRoute {
  return {
    ...routeHead(app, "TLSRoute"),
    spec: {
      ...routeAttachment(app, entry),
      rules: [{ backendRefs: backendRefs(app, app.backends[0]!) }],
    },
  };
}

/** A Prefix backend whose own path is listed in stripPrefix: URLRewrite replaces exactly the matched prefix. */
export function stripsOwnPrefix(app: Pick<AppSpec, "middlewares">, backend: Pick<Backend, "path" | "pathType">): boolean {
  return backend.pathType === "Prefix" && (app.middlewares?.stripPrefix ?? []).includes(backend.path);
}

/** A rule's one backendRef: the backend's Service by numeric port; the config checks refuse named ports on Gateway API routes. */
function backendRefs(app: Pick<AppSpec, "name">, backend: Backend) {
  if (typeof backend.port !== "number")
    throw new Error(`apps.${app.name}: Gateway API routes need numeric Service ports (the config checks require them)`);
  return [{ name: backend.service, port: backend.port }];
}

/** Filters in the order Traefik would run the app's middlewares (builders/routes.ts MIDDLEWARE_ORDER). */
function httpFilters(app: AppSpec, backend: Backend): IHTTPRouteFilter[] {
  return middlewareKinds(app).flatMap((kind): IHTTPRouteFilter[] => {
    switch (kind) {
      case "security-headers":
        return [securityHeadersFilter()];
      case "cors": {
        const cors = app.middlewares!.cors!;
        return [
          {
            type: "CORS",
            cors: {
              allowOrigins: sortedUnique(cors.origins),
              allowMethods: sortedUnique(cors.methods) as NonNullable<NonNullable<IHTTPRouteFilter["cors"]>["allowMethods"]>,
              allowHeaders: sortedUnique(cors.headers),
              maxAge: cors.maxAge,
              allowCredentials: cors.credentials,
            },
          },
        ];
      }
      case "strip-prefix":
        // ReplacePrefixMatch "/" turns /api/x into /x and /api into /, as Traefik's stripPrefix does.
        return stripsOwnPrefix(app, backend)
          ? [{ type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } }]
          : [];
      default:
        return [extensionRef(app, kind)];
    }
  });
}

/**
 * One rule per backend. Gateway API picks the rule for a request by its own
 * precedence (an Exact path over any prefix, then the longest prefix, per
 * request, across every route on the hostname), so no priority is set:
 * the most specific path wins, as routePriority makes it win for Ingresses.
 */
export function httpRouteManifest(app: AppSpec, entry: GatewayEntry): IHTTPRoute {
  return {
    ...routeHead(app, "HTTPRoute"),
    spec: {
      ...routeAttachment(app, entry),
      rules: orderedBackends(app).map((backend) => {
        const filters = httpFilters(app, backend);
        return {
          matches: [{ path: { type: backend.pathType === "Exact" ? "Exact" : "PathPrefix", value: backend.path } }],
          ...(filters.length ? { filters } : {}),
          backendRefs: backendRefs(app, backend),
        };
      }),
    },
  };
}

/** `/` all methods; `/pkg.Service` that service; `/pkg.Service/Method` one method. */
export const GRPC_PATH = /^\/(?:((?:[A-Za-z_][A-Za-z_0-9]*\.)*[A-Za-z_][A-Za-z_0-9]*)(?:\/([A-Za-z_][A-Za-z_0-9]*))?)?$/;

function grpcMatches(app: Pick<AppSpec, "name">, backend: Backend): IGRPCRouteMatch[] {
  const m = GRPC_PATH.exec(backend.path);
  if (!m) throw new Error(`apps.${app.name}: ${backend.path} is not a gRPC service or method path (the config checks require one)`);
  const [, service, method] = m;
  if (!service) return [];
  return [{ method: { type: "Exact", service, ...(method ? { method } : {}) } }];
}

function grpcFilters(app: AppSpec): IGRPCRouteFilter[] {
  return middlewareKinds(app).map((kind): IGRPCRouteFilter => {
    if (kind === "security-headers") return securityHeadersFilter();
    if (!EXTENSION_REF_MIDDLEWARES.includes(kind) || kind === "redirect")
      throw new Error(`apps.${app.name}: GRPCRoute has no filter for ${kind} (the config checks refuse it)`);
    return extensionRef(app, kind);
  });
}

/** One rule per backend; Gateway API prefers a method match over a service match over none. */
export function grpcRouteManifest(app: AppSpec, entry: GatewayEntry): IGRPCRoute {
  const filters = grpcFilters(app);
  return {
    ...routeHead(app, "GRPCRoute"),
    spec: {
      ...routeAttachment(app, entry),
      rules: orderedBackends(app).map((backend) => {
        const matches = grpcMatches(app, backend);
        return {
          ...(matches.length ? { matches } : {}),
          ...(filters.length ? { filters } : {}),
          backendRefs: backendRefs(app, backend),
        };
      }),
    },
  };
}
