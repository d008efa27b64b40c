import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { itRejectsEach, validConfig } from "../helpers/config.ts";
import type { AppSpec, HomelabConfig } from "../../model/resolve.ts";
import { routeManifests, type RouteEntry } from "../../builders/routes.ts";
import { ingressManifests } from "../../builders/ingress.ts";
import { grpcRouteManifest, httpRouteManifest, SECURITY_HEADERS } from "../../builders/http-routes.ts";
import {
  gatewayApiCrdUrl,
  gatewayHosts,
  gatewayListeners,
  gatewayPortListeners,
  listenerFor,
  traefikGatewayValues,
} from "../../builders/gateway.ts";
import { traefikValues } from "../../builders/traefik-values.ts";
import { ingressEntryOf } from "../../builders/traefik-entry.ts";
import { certManagerValues } from "../../builders/cert-manager.ts";

const gateway = validConfig("gateway-api");
const appOf = (config: HomelabConfig, name: string): AppSpec => {
  const app = config.apps.find((a) => a.name === name);
  assert.ok(app, `no app ${name}`);
  return app;
};
/** The gateway stack's entry with its Gateway's listeners, which routes name (its `*.example.com` listener serves the converted homelab apps too). */
const entry: RouteEntry = {
  ...ingressEntryOf(gateway.traefik, gateway.cluster),
  gateway: {
    zone: gateway.dns.zone,
    listeners: gatewayPortListeners(gateway.traefik.gatewayApi, gateway.dns.zone, gateway.traefik.placement, gateway.apps),
  },
};
const PARENT = {
  group: "gateway.networking.k8s.io",
  kind: "Gateway",
  name: "traefik-gateway",
  namespace: "traefik",
  sectionName: "wildcard-example-com",
};
const LABELS = (app: string) => ({ "app.kubernetes.io/instance": app, "app.kubernetes.io/managed-by": "pulumi" });

describe("Gateway API CRDs and the Gateway", () => {
  it("applies the pinned release's standard-channel bundle, so a version bump upgrades the CRDs", () => {
    assert.equal(
      gatewayApiCrdUrl(gateway.traefik.gatewayApi),
      "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml",
    );
    assert.equal(
      gatewayApiCrdUrl({ crdsSource: "https://mirror.lan/gw/", version: "v1.6.0" }),
      "https://mirror.lan/gw/v1.6.0/standard-install.yaml",
    );
  });

  it("is on by default only when an app is a Gateway API route", () => {
    assert.equal(gateway.traefik.gatewayApi.enabled, true);
    assert.equal(validConfig("deployment-behind-metallb").traefik.gatewayApi.enabled, false);
    assert.equal(validConfig("deployment-behind-metallb", { "apps.grafana.kind": "httpRoute" }).traefik.gatewayApi.enabled, true);
  });

  it("gives each host its own HTTPS listener and certificate (perHost)", () => {
    assert.deepEqual(gatewayListeners({ listeners: "perHost" }, "example.com", ["a.example.com", "b.c.example.com"]), [
      { name: "a-example-com", hostname: "a.example.com", secretName: "a-example-com-tls" },
      { name: "b-c-example-com", hostname: "b.c.example.com", secretName: "b-c-example-com-tls" },
    ]);
  });

  it("serves first-level hosts from the zone wildcard and gives the apex and deeper hosts listeners of their own (wildcard)", () => {
    const listeners = gatewayListeners({ listeners: "wildcard" }, "example.com", [
      "example.com",
      "grafana.example.com",
      "grpc.ml.lab.example.com",
    ]);
    assert.deepEqual(
      listeners.map((l) => l.hostname),
      ["*.example.com", "example.com", "grpc.ml.lab.example.com"],
    );
    assert.equal(listenerFor("grafana.example.com", listeners, "example.com")!.name, "wildcard-example-com");
    assert.equal(listenerFor("grpc.ml.lab.example.com", listeners, "example.com")!.name, "grpc-ml-lab-example-com");
    assert.equal(listenerFor("example.com", listeners, "example.com")!.name, "example-com");
    assert.equal(
      listenerFor("other.lab.example.com", listeners, "example.com"),
      undefined,
      "a *.example.com certificate does not cover a second-level host",
    );
  });

  it("renders the chart's Gateway with HTTPS listeners on websecure, allowedRoutes limited to the app namespaces, and the default issuer for the gateway-shim", () => {
    const values = traefikGatewayValues(gateway);
    assert.deepEqual(values.provider, { enabled: true });
    assert.equal(values.gateway.name, "traefik-gateway");
    // The private entry's wildcard listener shares the public one's Secret, which gateway-shim then issues once.
    assert.deepEqual(values.gateway.annotations, {
      "cert-manager.io/cluster-issuer": "letsencrypt-production",
      "cert-manager.io/ignore-tls-listeners": "lan-wildcard-example-com",
    });
    assert.equal(values.gateway.listeners.web, null, "the chart's plain-HTTP default listener is removed");
    assert.deepEqual(values.gateway.listeners["wildcard-example-com"], {
      port: 8443,
      protocol: "HTTPS",
      hostname: "*.example.com",
      namespacePolicy: {
        from: "Selector",
        selector: {
          matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["apps", "media", "ml", "monitoring"] }],
        },
      },
      certificateRefs: [{ kind: "Secret", group: "", name: "wildcard-example-com-tls" }],
    });
    assert.deepEqual(Object.keys(values.gateway.listeners).sort(), [
      "grpc-ml-lab-example-com",
      "lan-wildcard-example-com",
      "tls-sso-example-com",
      "web",
      "wildcard-example-com",
    ]);
    assert.equal(gatewayHosts(gateway.apps).length, 12);
  });

  it("binds listeners to the websecure entry point's port in every placement, and reports the VIP as the controlplane Gateway's address", () => {
    const daemonset = validConfig("daemonset-edge-site", { "apps.git.kind": "httpRoute" });
    const d = traefikGatewayValues(daemonset);
    assert.ok(
      Object.values(d.gateway.listeners)
        .filter(Boolean)
        .every((l) => l!.port === 443),
    );
    assert.deepEqual(d.provider, { enabled: true, statusAddress: { service: { enabled: false } } });
    const lab = validConfig("controlplane-on-vip");
    const labApps = { ...lab, apps: lab.apps.map((a) => ({ ...a, kind: "httpRoute" as const })) };
    const c = traefikGatewayValues(labApps);
    assert.ok(
      Object.values(c.gateway.listeners)
        .filter(Boolean)
        .every((l) => l!.port === 443),
    );
    assert.deepEqual(c.provider, { enabled: true, statusAddress: { ip: "10.20.0.10", service: { enabled: false } } });
  });

  it("hands the values to the Traefik chart beside the existing providers, and turns on cert-manager's gateway-shim", () => {
    const values = traefikValues(gateway.traefik, gateway.cluster, undefined, traefikGatewayValues(gateway));
    assert.deepEqual(values.providers.kubernetesGateway, { enabled: true });
    assert.equal(values.providers.kubernetesIngress.enabled, true);
    assert.deepEqual(values.gatewayClass, { enabled: true, name: "traefik" });
    assert.deepEqual(certManagerValues(gateway.certManager, true).config, {
      apiVersion: "controller.config.cert-manager.io/v1alpha1",
      kind: "ControllerConfiguration",
      gatewayAPI: { enabled: true },
    });
    assert.equal(certManagerValues(gateway.certManager).config, undefined);
  });
});

// ── routing equivalence: which backend a request reaches ────────────────────

/** Traefik's Ingress routing: every router whose Host and PathPrefix (character prefix) or Path match, highest priority annotation wins. */
function ingressBackend(ingresses: ReturnType<typeof ingressManifests>, host: string, path: string): string | undefined {
  const candidates = ingresses.flatMap(({ manifest }) =>
    manifest
      .spec!.rules!.filter((r) => r.host === host)
      .flatMap((r) =>
        r.http!.paths.map((p) => ({
          priority: Number(manifest.metadata!.annotations!["traefik.ingress.kubernetes.io/router.priority"]),
          matches: p.pathType === "Exact" ? path === p.path : path.startsWith(p.path!),
          service: p.backend.service!.name,
        })),
      ),
  );
  return candidates.filter((c) => c.matches).sort((a, b) => b.priority - a.priority)[0]?.service;
}

/**
 * Gateway API's HTTPRoute precedence (spec, HTTPRouteRule): an Exact match
 * first, then the longest PathPrefix; PathPrefix matches whole path
 * elements (`/api` matches `/api` and `/api/x`, never `/apix`).
 */
function httpRouteBackend(route: ReturnType<typeof httpRouteManifest>, host: string, path: string): string | undefined {
  if (!route.spec.hostnames!.includes(host)) return undefined;
  const elementPrefix = (prefix: string) =>
    prefix === "/" || path === prefix || path.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`);
  const candidates = route.spec.rules!.flatMap((rule) =>
    rule.matches!.map((m) => ({ type: m.path!.type!, value: m.path!.value!, service: rule.backendRefs![0]!.name })),
  );
  const exact = candidates.find((c) => c.type === "Exact" && c.value === path);
  if (exact) return exact.service;
  return candidates.filter((c) => c.type === "PathPrefix" && elementPrefix(c.value)).sort((a, b) => b.value.length - a.value.length)[0]
    ?.service;
}

describe("an Ingress app becomes an HTTPRoute app by changing only kind", () => {
  const homelab = validConfig("deployment-behind-metallb");
  const converted = validConfig("deployment-behind-metallb", { "apps.immich.kind": "httpRoute", "apps.paperless.kind": "httpRoute" });

  it("routes client + API on one host exactly as the Ingresses do, for every request on a path-element boundary", () => {
    // GIVEN the example's immich and paperless apps, as Ingresses and as HTTPRoutes
    for (const name of ["immich", "paperless"]) {
      const ingresses = ingressManifests(appOf(homelab, name), entry);
      const route = httpRouteManifest(appOf(converted, name), entry);
      const host = appOf(homelab, name).hosts[0]!;
      // WHEN requests for the UI, the API and their subpaths arrive
      const requests = [
        "/",
        "/index.html",
        "/photos/1",
        "/api",
        "/api/",
        "/api/assets/1",
        "/api/v2/x",
        "/graphql",
        "/graphql/",
        "/graphql/schema",
        "/static/api",
      ];
      // THEN each reaches the same Service under both kinds
      for (const path of requests)
        assert.equal(httpRouteBackend(route, host, path), ingressBackend(ingresses, host, path), `${name} ${host}${path}`);
    }
  });

  it("differs only where Traefik's Ingress PathPrefix matches inside a path element, which Gateway API's PathPrefix never does", () => {
    const ingresses = ingressManifests(appOf(homelab, "immich"), entry);
    const route = httpRouteManifest(appOf(converted, "immich"), entry);
    assert.equal(ingressBackend(ingresses, "photos.example.com", "/apix"), "immich-server");
    assert.equal(httpRouteBackend(route, "photos.example.com", "/apix"), "immich-web");
  });

  it("keeps hosts, paths, Services and ports, and attaches to the stack's Gateway", () => {
    assert.deepEqual(httpRouteManifest(appOf(converted, "immich"), entry), {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "HTTPRoute",
      metadata: { name: "immich", namespace: "media", labels: LABELS("immich") },
      spec: {
        parentRefs: [PARENT],
        hostnames: ["photos.example.com"],
        rules: [
          {
            matches: [{ path: { type: "PathPrefix", value: "/api" } }],
            filters: [{ type: "ResponseHeaderModifier", responseHeaderModifier: { set: [...SECURITY_HEADERS] } }],
            backendRefs: [{ name: "immich-server", port: 2283 }],
          },
          {
            matches: [{ path: { type: "PathPrefix", value: "/" } }],
            filters: [{ type: "ResponseHeaderModifier", responseHeaderModifier: { set: [...SECURITY_HEADERS] } }],
            backendRefs: [{ name: "immich-web", port: 3000 }],
          },
        ],
      },
    });
  });

  it("registers no Ingress, and Traefik Middlewares only for what Gateway API has no filter for", () => {
    const m = routeManifests(appOf(gateway, "api-gateway"), entry);
    assert.deepEqual(m.ingresses, []);
    assert.deepEqual(
      m.middlewares.map((x) => x.kind),
      ["rate-limit"],
      "cors and strip-prefix are native filters",
    );
    assert.deepEqual(m.httpRoute!.spec.rules![0]!.filters, [
      { type: "ExtensionRef", extensionRef: { group: "traefik.io", kind: "Middleware", name: "api-gateway-rate-limit" } },
      {
        type: "CORS",
        cors: {
          allowOrigins: ["https://app.example.com"],
          allowMethods: ["GET", "OPTIONS", "POST"],
          allowHeaders: ["*"],
          maxAge: 3600,
          allowCredentials: false,
        },
      },
      { type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } } },
    ]);
    const admin = routeManifests(appOf(gateway, "traefik-admin"), entry);
    assert.deepEqual(
      admin.middlewares.map((x) => x.kind),
      ["basic-auth"],
    );
    assert.ok(admin.basicAuthSecret, "basic auth still reads its htpasswd Secret");
    assert.equal(
      routeManifests(appOf(gateway, "legacy-blog"), entry).httpRoute!.spec.rules![0]!.filters![0]!.extensionRef!.name,
      "legacy-blog-redirect",
    );
  });

  it("routes to an external service through a Service and EndpointSlice it owns", () => {
    const m = routeManifests(appOf(gateway, "nas"), entry);
    assert.equal(m.externalService!.spec!.ports![0]!.appProtocol, undefined, "plain HTTP needs no appProtocol");
    assert.deepEqual(m.endpointSlice!.endpoints, [{ addresses: ["10.0.10.5"], conditions: { ready: true } }]);
    assert.deepEqual(m.httpRoute!.spec.rules![0]!.backendRefs, [{ name: "nas", port: 5000 }]);
  });
});

describe("GRPCRoute", () => {
  it("matches a gRPC service for a model server's h2c port", () => {
    assert.deepEqual(grpcRouteManifest(appOf(gateway, "model-grpc"), entry).spec, {
      parentRefs: [{ ...PARENT, sectionName: "grpc-ml-lab-example-com" }],
      hostnames: ["grpc.ml.lab.example.com"],
      rules: [
        {
          matches: [{ method: { type: "Exact", service: "inference.GRPCInferenceService" } }],
          filters: [{ type: "ExtensionRef", extensionRef: { group: "traefik.io", kind: "Middleware", name: "model-grpc-ip-allow-list" } }],
          backendRefs: [{ name: "triton", port: 8001 }],
        },
      ],
    });
  });

  it("matches one method, or every call for /", () => {
    const app = {
      ...appOf(gateway, "model-grpc"),
      middlewares: undefined,
      backends: [
        { path: "/", pathType: "Prefix" as const, service: "fallback", port: 9000 },
        { path: "/inference.GRPCInferenceService/ModelInfer", pathType: "Exact" as const, service: "triton", port: 8001 },
      ],
    };
    assert.deepEqual(grpcRouteManifest(app, entry).spec.rules, [
      {
        matches: [{ method: { type: "Exact", service: "inference.GRPCInferenceService", method: "ModelInfer" } }],
        backendRefs: [{ name: "triton", port: 8001 }],
      },
      { backendRefs: [{ name: "fallback", port: 9000 }] },
    ]);
  });

  it("declares an external h2c server's port as kubernetes.io/h2c", () => {
    const config = validConfig("gateway-api", { "apps.nas.kind": "grpcRoute", "apps.nas.external.scheme": "h2c" });
    assert.equal(routeManifests(appOf(config, "nas"), entry).externalService!.spec!.ports![0]!.appProtocol, "kubernetes.io/h2c");
  });
});

describe("what Gateway API cannot express is refused with the key and the fix", () => {
  const manyHosts = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`apps.many.hosts[${i}]`, `h${i}.example.com`]));
  itRejectsEach(
    [
      [
        "more hosts than a Gateway has listeners (hosts no listener would cover)",
        {
          "traefik.gatewayApi.listeners": "perHost",
          "apps.many": { kind: "httpRoute", namespace: "apps", hosts: ["x.example.com"], backends: [{ service: "x", port: 80 }] },
          ...manyHosts,
        },
        "homelab:traefik.gatewayApi.listeners",
        "holds at most 64, so the rest would have no listener; set listeners: wildcard",
      ],
      [
        "a GRPCRoute on a plain-HTTP backend without h2c",
        { "apps.model-grpc.backends[0].protocol": "http" },
        "homelab:apps.model-grpc.backends[0].protocol",
        "set protocol: h2c (with appProtocol: kubernetes.io/h2c on the Service port) or https",
      ],
      [
        "a GRPCRoute to an external plain-HTTP service",
        { "apps.nas.kind": "grpcRoute" },
        "homelab:apps.nas.external.scheme",
        "set scheme: h2c",
      ],
      [
        "a filter GRPCRoute does not have (regex redirect)",
        { "apps.model-grpc.middlewares.redirect": { regex: "^/(.*)", replacement: "/v2/${1}" } },
        "homelab:apps.model-grpc.middlewares.redirect",
        "GRPCRoute has no filter for redirect",
      ],
      [
        "a strip prefix URLRewrite cannot express (not a backend's own path)",
        { "apps.api-gateway.middlewares.stripPrefix": ["/v1/api"] },
        "homelab:apps.api-gateway.middlewares.stripPrefix[0]",
        "URLRewrite replaces only the prefix a rule matched",
      ],
      [
        "sticky sessions on an HTTPRoute",
        { "apps.grafana.sticky": { cookie: "g" } },
        "homelab:apps.grafana.sticky",
        "no session persistence",
      ],
      ["a named Service port", { "apps.grafana.backends[0].port": "http" }, "homelab:apps.grafana.backends[0].port", "use the port number"],
      [
        "an issuer other than the Gateway's",
        { "apps.grafana.issuer": "letsencrypt-staging" },
        "homelab:apps.grafana.issuer",
        "one issuer per Gateway",
      ],
      [
        "a gRPC path that is no service or method",
        { "apps.model-grpc.backends[0].path": "/v2/models/ready" },
        "homelab:apps.model-grpc.backends[0].path",
        "use /, /<package.Service> or /<package.Service>/<Method>",
      ],
      [
        "a host shared by an HTTPRoute and a GRPCRoute",
        { "apps.model-rest.hosts": ["grpc.ml.lab.example.com"] },
        "homelab:apps.model-rest.hosts[0]",
        "one host takes one route kind",
      ],
      [
        "an HTTPRoute app while the Gateway is turned off",
        { "traefik.gatewayApi.enabled": false },
        "homelab:apps.grafana.kind",
        "traefik.gatewayApi.enabled: false turns off",
      ],
      // A browser origin every route kind takes (the schema refuses one without a scheme for all of them), but the CRD's pattern has no IPv6 literal.
      [
        "a CORS origin the CORS filter refuses",
        { "apps.api-gateway.middlewares.cors.origins": ["http://[fd00::10]:8080"] },
        "homelab:apps.api-gateway.middlewares.cors.origins[0]",
        "Gateway API's CORS filter takes * or an origin scheme://host[:port], not http://[fd00::10]:8080",
      ],
      [
        "an external service by DNS name",
        { "apps.nas.external": { externalName: "nas.lan", port: 5000 } },
        "homelab:apps.nas.external.externalName",
        "set external.addresses",
      ],
      [
        "an external https service (no BackendTLSPolicy)",
        { "apps.nas.external.scheme": "https" },
        "homelab:apps.nas.external.scheme",
        "BackendTLSPolicy",
      ],
    ],
    "gateway-api",
  );

  itRejectsEach([
    [
      "an Ingress and an HTTPRoute on one host",
      {
        "apps.status": {
          kind: "httpRoute",
          namespace: "apps",
          hosts: ["grafana.example.com"],
          backends: [{ path: "/status", service: "status", port: 80 }],
        },
      },
      "homelab:apps.status.hosts[0]",
      "one host takes one route kind",
    ],
  ]);
});
