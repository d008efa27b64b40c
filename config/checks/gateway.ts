/** Rules of the Gateway API routes (HTTPRoute, GRPCRoute) and the Gateway's hosts. */
import type { ParsedConfig } from "../../model/schema.ts";
import { K8S_LIMITS } from "../../model/formats.ts";
import { gatewayHosts, gatewayListeners, MAX_LISTENERS } from "../../builders/gateway.ts";
import { GRPC_PATH, stripsOwnPrefix } from "../../builders/http-routes.ts";
import type { Add } from "./issue.ts";
import type { ParsedApp } from "./parsed.ts";
import { gatewayApiEnabled } from "../../model/entry.ts";
import { isGatewayRoute, isPassthrough } from "../../model/apps.ts";

/** The HTTP methods a Gateway API CORS filter can allow (its CRD's enum). */
const CORS_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*"]);
/** A CORS origin as the Gateway API CRD accepts it: `*` or scheme://host[:port]. */
const CORS_ORIGIN = /^\*$|^https?:\/\/((\*\.)?([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+|\*)(:[0-9]{1,5})?$/;

/** What a Gateway API route can express, and what Traefik's Gateway provider and cert-manager's gateway-shim need. */
export function checkGatewayRoute(c: ParsedConfig, name: string, app: ParsedApp, add: Add): void {
  const at = (...rest: (string | number)[]) => ["apps", name, ...rest];
  const grpc = app.kind === "grpcRoute";
  if (c.traefik.gatewayApi.enabled === false) {
    add(
      at("kind"),
      `kind ${app.kind} attaches to the Gateway, which traefik.gatewayApi.enabled: false turns off; remove that setting or use kind ingress`,
    );
  }
  if (app.issuer && app.issuer !== c.certManager.defaultIssuer) {
    add(
      at("issuer"),
      `the Gateway's certificates come from cert-manager's gateway-shim, which takes one issuer per Gateway: certManager.defaultIssuer (${c.certManager.defaultIssuer}); remove issuer, make ${app.issuer} the default issuer, or use kind ingress`,
    );
  }
  if (app.sticky) {
    add(
      at("sticky"),
      "Gateway API v1.5.1's standard channel has no session persistence (sessionPersistence is experimental) and Traefik's Gateway provider reads no sticky cookie; use kind ingressRoute or drop sticky",
    );
  }
  app.backends.forEach((b, i) => {
    if (b.path.length > K8S_LIMITS.gatewayPath)
      add(
        at("backends", i, "path"),
        `Gateway API takes a path match of at most ${K8S_LIMITS.gatewayPath} characters (this one has ${b.path.length}); shorten it`,
      );
    if (typeof b.port !== "number")
      add(at("backends", i, "port"), `Gateway API backendRefs name a Service port by number, not by name (${b.port}); use the port number`);
    if (grpc && !GRPC_PATH.test(b.path))
      add(
        at("backends", i, "path"),
        `a GRPCRoute matches gRPC services and methods, not URL paths: use /, /<package.Service> or /<package.Service>/<Method> (${b.path} is none of them)`,
      );
    if (grpc && !app.external && (b.protocol ?? "http") === "http") {
      add(
        at("backends", i, "protocol"),
        "a GRPCRoute speaks HTTP/2 to its backend, which a plain-HTTP (HTTP/1.1) Service port does not; set protocol: h2c (with appProtocol: kubernetes.io/h2c on the Service port) or https, or use kind httpRoute",
      );
    }
  });
  const ext = app.external;
  if (ext?.externalName)
    add(
      at("external", "externalName"),
      "Gateway API routes reach an external service through the EndpointSlice this stack owns, so they need its addresses; set external.addresses or use kind external",
    );
  if (ext?.scheme === "https")
    add(
      at("external", "scheme"),
      "an https backend of a Gateway API route needs a BackendTLSPolicy with the CA to verify it, which this stack does not build; use kind external (Ingress) for https services",
    );
  if (grpc && ext?.scheme === "http")
    add(
      at("external", "scheme"),
      "a GRPCRoute speaks HTTP/2 to its backend; set scheme: h2c for a cleartext gRPC server, or use kind httpRoute",
    );
  const m = app.middlewares;
  if (!m) return;
  if (grpc) {
    for (const key of ["stripPrefix", "cors", "redirect"] as const) {
      if (m[key])
        add(
          at("middlewares", key),
          `GRPCRoute has no filter for ${key} (its filters are header modifiers, request mirror and ExtensionRef, and a gRPC path is a method name); remove it or use kind httpRoute`,
        );
    }
    return;
  }
  m.stripPrefix?.forEach((prefix, i) => {
    if (!app.backends.some((b) => b.path === prefix && stripsOwnPrefix(app, b))) {
      add(
        at("middlewares", "stripPrefix", i),
        `Gateway API's URLRewrite replaces only the prefix a rule matched, and no Prefix backend has path ${prefix}; strip a backend's own path, or use kind ingress`,
      );
    }
  });
  m.cors?.origins.forEach((origin, i) => {
    if (!CORS_ORIGIN.test(origin))
      add(at("middlewares", "cors", "origins", i), `Gateway API's CORS filter takes * or an origin scheme://host[:port], not ${origin}`);
  });
  m.cors?.methods.forEach((method, i) => {
    if (!CORS_METHODS.has(method))
      add(
        at("middlewares", "cors", "methods", i),
        `Gateway API's CORS filter allows the methods ${[...CORS_METHODS].join(", ")}, not ${method}`,
      );
  });
}

/**
 * The Gateway's listeners cover every host of its routes by construction, up
 * to the 64 listeners a Gateway holds; and a host is served by one route
 * kind: Traefik ranks a Gateway route and an Ingress on one host by
 * unrelated priorities, and Gateway API never merges an HTTPRoute with a
 * GRPCRoute on a hostname.
 */
export function checkGatewayHosts(c: ParsedConfig, add: Add): void {
  if (!gatewayApiEnabled(c)) return;
  const apps = Object.entries(c.apps).map(([name, a]) => ({ name, ...a }));
  const listeners = gatewayListeners(c.traefik.gatewayApi, c.dns.zone, gatewayHosts(apps));
  if (listeners.length > MAX_LISTENERS) {
    add(
      ["traefik", "gatewayApi", "listeners"],
      `the Gateway would need ${listeners.length} HTTPS listeners for its hosts, and holds at most ${MAX_LISTENERS}, so the rest would have no listener; set listeners: wildcard`,
    );
  }
  const kindOfHost = new Map<string, { name: string; kind: string }>();
  // Passthrough hosts belong to one app whatever the kinds (private-passthrough.ts).
  for (const app of apps.filter((a) => !isPassthrough(a)).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const group = isGatewayRoute(app) ? app.kind : "ingress";
    app.hosts.forEach((host, i) => {
      const owner = kindOfHost.get(host);
      if (owner && owner.kind !== group && (isGatewayRoute(app) || owner.kind !== "ingress")) {
        add(
          ["apps", app.name, "hosts", i],
          `${host} is also a host of apps.${owner.name}, which is routed as ${owner.kind === "ingress" ? "an Ingress or IngressRoute" : `a ${owner.kind}`}: one host takes one route kind (Traefik does not rank an Ingress against a Gateway route, and Gateway API never merges HTTPRoutes with GRPCRoutes); give both apps the same kind or different hosts`,
        );
      } else if (!owner) kindOfHost.set(host, { name: app.name, kind: group });
    });
  }
}
