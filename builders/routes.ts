/**
 * Per-app route manifests, computed from the app's config and the IngressEntry
 * Traefik hands over: Ingress or IngressRoute (ingress.ts), Gateway API routes
 * (http-routes.ts), TLS passthrough (passthrough.ts), Middlewares
 * (middlewares.ts), the cert-manager Certificate and external Services
 * (external-services.ts). Plain values in, plain typed objects out; the
 * AppRoute component only registers them. Names: route-naming.ts.
 */
import type { IService } from "kubernetes-models/v1/Service";
import type { IEndpointSlice } from "kubernetes-models/discovery.k8s.io/v1/EndpointSlice";
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { IIngressRoute } from "@kubernetes-models/traefik/traefik.io/v1alpha1/IngressRoute";
import type { IServersTransport } from "@kubernetes-models/traefik/traefik.io/v1alpha1/ServersTransport";
import type { IIngressRouteTCP } from "@kubernetes-models/traefik/traefik.io/v1alpha1/IngressRouteTCP";
import type { IMiddlewareTCP } from "@kubernetes-models/traefik/traefik.io/v1alpha1/MiddlewareTCP";
import type { ITLSRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/TLSRoute";
import type { ICertificate } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate";
import type { IHTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";
import type { IGRPCRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/GRPCRoute";
import type { AppSpec } from "../model/resolve.ts";
import { EXTENSION_REF_MIDDLEWARES, grpcRouteManifest, httpRouteManifest, tlsRouteManifest } from "./http-routes.ts";
import type { IngressEntrySpec as RouteEntry } from "./traefik-entry.ts";
import { basicAuthSecret, middlewareEntry, middlewareKinds, type MiddlewareEntry, type MiddlewareKind } from "./middlewares.ts";
import { certificateManifest, ingressManifests, ingressRouteManifest, type IngressManifest } from "./ingress.ts";
import { ingressRouteTcpManifest, middlewareTcpManifest, tcpMiddlewareKinds } from "./passthrough.ts";
import { endpointSliceManifest, externalServiceManifest, serversTransportManifest } from "./external-services.ts";
import { isGatewayRoute, isPassthrough } from "../model/apps.ts";

export type { RouteEntry };

export interface RouteManifests {
  /** kind ingress and external. */
  readonly ingresses: readonly IngressManifest[];
  /** kind ingressRoute, with the Certificate its TLS Secret comes from (none when a wildcard serves the app). */
  readonly ingressRoute?: IIngressRoute;
  readonly certificate?: ICertificate;
  /** In the order Traefik runs them. */
  readonly middlewares: readonly MiddlewareEntry[];
  /** basicAuth's Secret without its data: the `key` value is a Pulumi secret, supplied by the component. */
  readonly basicAuthSecret?: { readonly manifest: ISecret; readonly key: string };
  /** kinds httpRoute and grpcRoute: the Gateway API route. */
  readonly httpRoute?: IHTTPRoute;
  readonly grpcRoute?: IGRPCRoute;
  /** kind tlsPassthrough: the SNI router and its allow-lists (MiddlewareTCP). */
  readonly ingressRouteTcp?: IIngressRouteTCP;
  readonly tcpMiddlewares: readonly { readonly kind: MiddlewareKind; readonly manifest: IMiddlewareTCP }[];
  /** kind tlsRoute: the Gateway API TLSRoute. */
  readonly tlsRoute?: ITLSRoute;
  readonly externalService?: IService;
  readonly endpointSlice?: IEndpointSlice;
  readonly serversTransport?: IServersTransport;
}

export function routeManifests(app: AppSpec, entry: RouteEntry): RouteManifests {
  const isRoute = app.kind === "ingressRoute";
  const gateway = isGatewayRoute(app);
  const external = Boolean(app.external);
  if (isPassthrough(app)) {
    const tcp = app.kind === "tlsPassthrough";
    return {
      ingresses: [],
      // A TLSRoute has no filters: its private entry alone keeps it off the internet (the checks keep private ones in placement deployment).
      middlewares: [],
      tcpMiddlewares: tcp ? tcpMiddlewareKinds(app).map((kind) => ({ kind, manifest: middlewareTcpManifest(app, kind, entry) })) : [],
      ...(tcp ? { ingressRouteTcp: ingressRouteTcpManifest(app, entry) } : { tlsRoute: tlsRouteManifest(app, entry) }),
    };
  }
  const endpointSlice = external ? endpointSliceManifest(app) : undefined;
  const serversTransport = external ? serversTransportManifest(app) : undefined;
  // A Gateway API route does with its own filters what they can do; only the rest stay Traefik Middlewares.
  const kinds = middlewareKinds(app).filter((kind) => !gateway || EXTENSION_REF_MIDDLEWARES.includes(kind));
  return {
    ingresses: isRoute || gateway ? [] : ingressManifests(app, entry),
    ...(isRoute
      ? { ingressRoute: ingressRouteManifest(app, entry), ...(app.wildcardZone ? {} : { certificate: certificateManifest(app) }) }
      : {}),
    ...(app.kind === "httpRoute" ? { httpRoute: httpRouteManifest(app, entry) } : {}),
    ...(app.kind === "grpcRoute" ? { grpcRoute: grpcRouteManifest(app, entry) } : {}),
    middlewares: kinds.map((kind) => middlewareEntry(app, kind, entry)),
    tcpMiddlewares: [],
    ...(app.middlewares?.basicAuth ? { basicAuthSecret: basicAuthSecret(app) } : {}),
    ...(external ? { externalService: externalServiceManifest(app) } : {}),
    ...(endpointSlice ? { endpointSlice } : {}),
    ...(serversTransport ? { serversTransport } : {}),
  };
}
