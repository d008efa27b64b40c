import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { configFrom, fixtureRaw, itRejectsEach, validConfig, type BadConfigCase } from "../helpers/config.ts";
import type { AppSpec } from "../../model/resolve.ts";
import { routeManifests, type RouteEntry } from "../../builders/routes.ts";
import { backendSlug, routePriority } from "../../builders/route-naming.ts";
import { hostMatcher } from "../../builders/route-matching.ts";
import { ingressManifests } from "../../builders/ingress.ts";
import { allowTraefikManifest, allowTraefikNamespaces, traefikPeers } from "../../builders/network-policies.ts";
import { dnsRecords, managedByComment } from "../../builders/dns.ts";
import { cidrRange, rangeContains } from "../../contract/net.ts";

// ── fixtures: the example stack's apps, and one IngressEntry per placement ──

const config = validConfig("deployment-behind-metallb");
const appNamed = (name: string, apps: readonly AppSpec[] = config.apps): AppSpec => {
  const app = apps.find((a) => a.name === name);
  assert.ok(app, `the example stack has no app ${name}`);
  return app;
};

const TRAEFIK_PODS = { "app.kubernetes.io/instance": "traefik-traefik", "app.kubernetes.io/name": "traefik" };
const LAN_SOURCES = ["10.0.10.0/24", "10.99.0.0/24"];
const base = {
  className: "traefik",
  namespace: "traefik",
  podLabels: TRAEFIK_PODS,
  trustsCloudflare: true,
  secureEntryPoint: "websecure",
  publicEntryPoints: ["websecure"],
};

/** MetalLB gives the Traefik Service one address, and the private entry (unifi's) another; Traefik pods live on the pod network. */
const deployment: RouteEntry = {
  ...base,
  placement: "deployment",
  addresses: ["10.0.10.240"],
  hostNetwork: false,
  nodeSources: [],
  private: { entryPoint: "lan", port: 8444, addresses: ["10.0.10.241"], sources: LAN_SOURCES },
};
/** Traefik on every node's host network; DNS round-robins over the nodes. Pods live in Talos' default pod network. */
const daemonset: RouteEntry = {
  ...base,
  placement: "daemonset",
  addresses: ["10.0.10.22", "10.0.10.11", "10.0.10.13", "10.0.10.21", "10.0.10.12"],
  hostNetwork: true,
  nodeSources: ["10.0.10.22/32", "10.0.10.11/32", "10.0.10.13/32", "10.0.10.21/32", "10.0.10.12/32"],
  podNetwork: "10.244.0.0/16",
  private: {
    entryPoint: "websecure",
    port: 443,
    addresses: ["10.0.10.22", "10.0.10.11", "10.0.10.13", "10.0.10.21", "10.0.10.12"],
    sources: LAN_SOURCES,
  },
};
/** One hostNetwork Traefik on whichever control plane holds the VIP. */
const controlplane: RouteEntry = {
  ...base,
  placement: "controlplane",
  addresses: ["10.0.10.10"],
  hostNetwork: true,
  nodeSources: ["10.0.10.13/32", "10.0.10.11/32", "10.0.10.12/32"],
  podNetwork: "10.244.0.0/16",
  private: { entryPoint: "websecure", port: 443, addresses: ["10.0.10.10"], sources: LAN_SOURCES },
};

const CLOUDFLARE_V4 = ["173.245.48.0/20", "103.21.244.0/22", "104.16.0.0/13"];
const LABELS = (app: string) => ({ "app.kubernetes.io/instance": app, "app.kubernetes.io/managed-by": "pulumi" });

describe("router priorities", () => {
  it("scores the catch-all lowest, longer paths higher and Exact above the Prefix of the same path", () => {
    assert.equal(routePriority({ path: "/", pathType: "Prefix" }), 2);
    assert.equal(routePriority({ path: "/api", pathType: "Prefix" }), 8);
    assert.equal(routePriority({ path: "/api", pathType: "Exact" }), 9);
    assert.equal(routePriority({ path: "/graphql", pathType: "Prefix" }), 16);
  });

  it("always lets the more specific of two overlapping paths win", () => {
    const path = fc.stringMatching(/^\/[a-z0-9/_-]{0,20}$/);
    fc.assert(
      fc.property(path, fc.stringMatching(/^[a-z0-9/_-]{1,10}$/), fc.constantFrom("Prefix", "Exact"), (prefix, rest, type) => {
        const longer = routePriority({ path: prefix + rest, pathType: type as "Prefix" | "Exact" });
        return (
          longer > routePriority({ path: prefix, pathType: "Prefix" }) &&
          routePriority({ path: prefix, pathType: "Exact" }) > routePriority({ path: prefix, pathType: "Prefix" })
        );
      }),
    );
  });

  it("names each backend's Ingress after its path, not its position", () => {
    assert.equal(backendSlug("/"), "root");
    assert.equal(backendSlug("/api"), "api");
    assert.equal(backendSlug("/api/v2/"), "api-v2");
    assert.equal(backendSlug("/GraphQL"), "graphql");
  });
});

describe("Ingress routes", () => {
  it("GIVEN client + API on one host WHEN rendered THEN one Ingress per backend, /api prioritised over /, the issuer annotation on one", () => {
    const immich = appNamed("immich");
    const ingresses = ingressManifests(immich, deployment);
    const common = {
      "traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
      "traefik.ingress.kubernetes.io/router.middlewares": "media-immich-security-headers@kubernetescrd",
      "traefik.ingress.kubernetes.io/router.tls": "true",
    };
    const ingress = (slug: string, path: string, service: string, port: number, annotations: Record<string, string>) => ({
      slug,
      manifest: {
        apiVersion: "networking.k8s.io/v1",
        kind: "Ingress",
        metadata: { name: `immich-${slug}`, namespace: "media", labels: LABELS("immich"), annotations },
        spec: {
          ingressClassName: "traefik",
          tls: [{ hosts: ["photos.example.com"], secretName: "immich-tls" }],
          rules: [
            {
              host: "photos.example.com",
              http: { paths: [{ path, pathType: "Prefix", backend: { service: { name: service, port: { number: port } } } }] },
            },
          ],
        },
      },
    });
    assert.deepStrictEqual(ingresses, [
      ingress("root", "/", "immich-web", 3000, {
        "cert-manager.io/cluster-issuer": "letsencrypt-production",
        ...common,
        "traefik.ingress.kubernetes.io/router.priority": "2",
      }),
      ingress("api", "/api", "immich-server", 2283, { ...common, "traefik.ingress.kubernetes.io/router.priority": "8" }),
    ]);
  });

  it("gives every backend of a three-path app its own computed priority", () => {
    const priorities = Object.fromEntries(
      ingressManifests(appNamed("paperless"), deployment).map((i) => [
        i.manifest.metadata!.name,
        i.manifest.metadata!.annotations!["traefik.ingress.kubernetes.io/router.priority"],
      ]),
    );
    assert.deepStrictEqual(priorities, { "paperless-root": "2", "paperless-api": "8", "paperless-graphql": "16" });
  });

  it("covers every host of an app with one TLS block and one rule per host, hosts sorted", () => {
    const [blog] = ingressManifests(appNamed("legacy-blog"), deployment);
    assert.deepStrictEqual(blog!.manifest.spec!.tls, [{ hosts: ["blog.example.com", "www.example.com"], secretName: "legacy-blog-tls" }]);
    assert.deepStrictEqual(
      blog!.manifest.spec!.rules!.map((r) => r.host),
      ["blog.example.com", "www.example.com"],
    );
    assert.equal(
      blog!.manifest.metadata!.annotations!["traefik.ingress.kubernetes.io/router.middlewares"],
      "apps-legacy-blog-redirect@kubernetescrd",
    );
  });

  it("attaches middlewares in the order Traefik should run them, by provider-qualified name", () => {
    const app: AppSpec = {
      ...appNamed("grafana"),
      middlewares: {
        stripPrefix: ["/x"],
        basicAuth: { usersSecret: "adminUsers" },
        ipAllowList: { cloudflare: false, ranges: ["10.0.0.0/8"] },
        rateLimit: { average: 1, burst: 2 },
        securityHeaders: true,
      },
    };
    const [ingress] = ingressManifests(app, deployment);
    assert.equal(
      ingress!.manifest.metadata!.annotations!["traefik.ingress.kubernetes.io/router.middlewares"],
      "monitoring-grafana-ip-allow-list@kubernetescrd,monitoring-grafana-rate-limit@kubernetescrd,monitoring-grafana-security-headers@kubernetescrd,monitoring-grafana-basic-auth@kubernetescrd,monitoring-grafana-strip-prefix@kubernetescrd",
    );
  });

  it("uses a named Service port as a name, not a number", () => {
    const app: AppSpec = { ...appNamed("grafana"), backends: [{ path: "/", pathType: "Prefix", service: "grafana", port: "http" }] };
    const [ingress] = ingressManifests(app, deployment);
    assert.deepStrictEqual(ingress!.manifest.spec!.rules![0]!.http!.paths[0]!.backend.service, { name: "grafana", port: { name: "http" } });
  });
});

describe("IngressRoutes", () => {
  it("GIVEN strip-prefix, CORS and a rate limit WHEN rendered THEN one rule route referencing them, TLS from its own Certificate", () => {
    const m = routeManifests(appNamed("api-gateway"), deployment);
    assert.deepStrictEqual(m.ingressRoute, {
      apiVersion: "traefik.io/v1alpha1",
      kind: "IngressRoute",
      metadata: { name: "api-gateway", namespace: "apps", labels: LABELS("api-gateway") },
      spec: {
        entryPoints: ["websecure"],
        routes: [
          {
            kind: "Rule",
            match: "Host(`api.example.com`) && PathPrefix(`/v1`)",
            priority: 6,
            middlewares: [
              { name: "api-gateway-rate-limit", namespace: "apps" },
              { name: "api-gateway-cors", namespace: "apps" },
              { name: "api-gateway-strip-prefix", namespace: "apps" },
            ],
            services: [{ name: "api-v1", port: 8080 }],
          },
        ],
        tls: { secretName: "api-gateway-tls" },
      },
    });
    assert.deepStrictEqual(m.certificate, {
      apiVersion: "cert-manager.io/v1",
      kind: "Certificate",
      metadata: { name: "api-gateway-tls", namespace: "apps", labels: LABELS("api-gateway") },
      spec: {
        secretName: "api-gateway-tls",
        dnsNames: ["api.example.com"],
        issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: "letsencrypt-production" },
      },
    });
    assert.deepStrictEqual(m.ingresses, []);
  });

  it("renders the middlewares themselves with the configured values", () => {
    const m = routeManifests(appNamed("api-gateway"), deployment);
    assert.deepStrictEqual(Object.fromEntries(m.middlewares.map(({ kind, manifest }) => [kind, manifest.spec])), {
      "rate-limit": { rateLimit: { average: 50, burst: 100, sourceCriterion: { ipStrategy: { depth: 1 } } } },
      cors: {
        headers: {
          accessControlAllowOriginList: ["https://app.example.com"],
          accessControlAllowMethods: ["GET", "OPTIONS", "POST"],
          accessControlAllowHeaders: ["*"],
          accessControlMaxAge: 3600,
          accessControlAllowCredentials: false,
          addVaryHeader: true,
        },
      },
      "strip-prefix": { stripPrefix: { prefixes: ["/v1"] } },
    });
  });

  it("matches any of several hosts, and orders routes from the most specific path", () => {
    const app: AppSpec = {
      ...appNamed("api-gateway"),
      hosts: ["b.example.com", "a.example.com"],
      backends: [
        { path: "/", pathType: "Prefix", service: "web", port: 80 },
        { path: "/api/health", pathType: "Exact", service: "api", port: 8080 },
        { path: "/api", pathType: "Prefix", service: "api", port: 8080 },
      ],
      middlewares: undefined,
    };
    const routes = routeManifests(app, deployment).ingressRoute!.spec.routes;
    assert.deepStrictEqual(
      routes.map((r) => [r.match, r.priority]),
      [
        ["(Host(`a.example.com`) || Host(`b.example.com`)) && Path(`/api/health`)", 23],
        ["(Host(`a.example.com`) || Host(`b.example.com`)) && PathPrefix(`/api`)", 8],
        ["(Host(`a.example.com`) || Host(`b.example.com`)) && PathPrefix(`/`)", 2],
      ],
    );
    assert.equal(routes[0]!.middlewares, undefined);
    assert.equal(hostMatcher(["one.example.com"]), "Host(`one.example.com`)");
  });

  it("sets the sticky cookie on the route's service for a Socket.io app", () => {
    const route = routeManifests(appNamed("chat"), deployment).ingressRoute!;
    assert.deepStrictEqual(route.spec.routes[0]!.services, [
      { name: "chat", port: 3000, sticky: { cookie: { name: "chat_affinity", secure: true, httpOnly: true, sameSite: "lax" } } },
    ]);
  });

  it("protects the admin app with basic auth from an Opaque Secret's users key, dropping the header before the app", () => {
    const m = routeManifests(appNamed("traefik-admin"), deployment);
    assert.deepStrictEqual(m.basicAuthSecret, {
      manifest: {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "traefik-admin-basic-auth-users", namespace: "apps", labels: LABELS("traefik-admin") },
        type: "Opaque",
      },
      key: "users",
    });
    assert.deepStrictEqual(
      m.middlewares.map((x) => [x.kind, x.manifest.spec]),
      [
        [
          "security-headers",
          {
            headers: {
              stsSeconds: 31_536_000,
              stsIncludeSubdomains: true,
              frameDeny: true,
              contentTypeNosniff: true,
              referrerPolicy: "strict-origin-when-cross-origin",
            },
          },
        ],
        ["basic-auth", { basicAuth: { secret: "traefik-admin-basic-auth-users", removeHeader: true } }],
      ],
    );
  });
});

describe("TLS pairing", () => {
  for (const app of config.apps) {
    it(`pairs ${app.name}'s TLS Secret with exactly its hosts and its issuer`, () => {
      const m = routeManifests(app, deployment);
      const hosts = [...app.hosts].sort();
      if (app.kind === "tlsPassthrough") {
        // The backend serves its own certificate: no Secret, no Certificate, no issuer annotation.
        assert.deepStrictEqual([m.certificate, m.ingresses.length, m.ingressRouteTcp!.spec.tls], [undefined, 0, { passthrough: true }]);
      } else if (app.kind === "ingressRoute") {
        assert.equal(m.ingressRoute!.spec.tls!.secretName, m.certificate!.spec!.secretName);
        assert.deepStrictEqual(m.certificate!.spec!.dnsNames, hosts);
        assert.equal(m.certificate!.spec!.issuerRef.name, app.issuer);
        for (const route of m.ingressRoute!.spec.routes) {
          const matched = [...route.match.matchAll(/Host\(`([^`]+)`\)/g)].map((x) => x[1]);
          assert.deepStrictEqual(matched, hosts);
        }
      } else {
        assert.ok(m.ingresses.length > 0);
        for (const { manifest } of m.ingresses) {
          assert.deepStrictEqual(manifest.spec!.tls, [{ hosts, secretName: `${app.name}-tls` }]);
          assert.deepStrictEqual(
            manifest.spec!.rules!.map((r) => r.host),
            hosts,
          );
        }
        const issuers = m.ingresses.map((i) => i.manifest.metadata!.annotations!["cert-manager.io/cluster-issuer"]).filter(Boolean);
        assert.deepStrictEqual(issuers, [app.issuer]);
      }
    });
  }
});

/** Every manifest of an app's route, with the deploy-time Cloudflare lookup answered by `cf`. */
function withRanges(app: AppSpec, entry: RouteEntry, cf: readonly string[]) {
  const m = routeManifests(app, entry);
  return {
    ...m,
    middlewares: m.middlewares.map(({ specWithCloudflareRanges, ...x }) => ({
      ...x,
      spec: specWithCloudflareRanges?.(cf) ?? x.manifest.spec,
    })),
  };
}

describe("IP allow-lists", () => {
  it("admits only Cloudflare's ranges, from the deploy-time lookup, matched against the connecting address", () => {
    const m = routeManifests(appNamed("home-assistant"), deployment);
    assert.deepStrictEqual(
      m.middlewares.map((x) => x.specWithCloudflareRanges?.(CLOUDFLARE_V4)),
      [{ ipAllowList: { sourceRange: ["103.21.244.0/22", "104.16.0.0/13", "173.245.48.0/20"] } }],
    );
  });

  it("admits configured ranges for an unproxied external app", () => {
    const m = routeManifests(appNamed("proxmox"), deployment);
    assert.deepStrictEqual(
      m.middlewares.map((x) => x.manifest.spec),
      [{ ipAllowList: { sourceRange: ["10.0.10.0/24"] } }],
    );
    assert.equal(m.middlewares[0]!.specWithCloudflareRanges, undefined, "no deploy-time lookup for an allow-list without cloudflare");
  });

  it("limits rates per visitor: X-Forwarded-For behind a trusted Cloudflare, the peer otherwise", () => {
    const rateLimited = (proxied: boolean, entry: RouteEntry) =>
      routeManifests({ ...appNamed("api-gateway"), proxied }, entry).middlewares.find((x) => x.kind === "rate-limit")!.manifest.spec
        .rateLimit;
    assert.deepStrictEqual(rateLimited(true, deployment), { average: 50, burst: 100, sourceCriterion: { ipStrategy: { depth: 1 } } });
    assert.deepStrictEqual(rateLimited(false, deployment), { average: 50, burst: 100 });
    assert.deepStrictEqual(rateLimited(true, { ...deployment, trustsCloudflare: false }), { average: 50, burst: 100 });
  });
});

describe("external services", () => {
  it("routes to a NAS by address through a selector-less Service and its EndpointSlice (v1 Endpoints are deprecated from 1.33)", () => {
    const m = routeManifests(appNamed("nas"), deployment);
    assert.deepStrictEqual(m.externalService, {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "nas", namespace: "apps", labels: LABELS("nas") },
      spec: { type: "ClusterIP", ports: [{ name: "http", port: 5000, protocol: "TCP", targetPort: 5000 }] },
    });
    assert.deepStrictEqual(m.endpointSlice, {
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: "nas",
        namespace: "apps",
        labels: { ...LABELS("nas"), "kubernetes.io/service-name": "nas", "endpointslice.kubernetes.io/managed-by": "pulumi" },
      },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.0.10.5"], conditions: { ready: true } }],
      ports: [{ name: "http", port: 5000, protocol: "TCP" }],
    });
    assert.equal(m.ingresses[0]!.manifest.spec!.rules![0]!.http!.paths[0]!.backend.service!.name, "nas");
    assert.equal(m.serversTransport, undefined, "plain http by address: nothing to verify or skip");
  });

  it("routes to the Proxmox UI by name over https, skipping verification of its self-signed certificate", () => {
    const m = routeManifests(appNamed("proxmox"), deployment);
    assert.deepStrictEqual(m.externalService, {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "proxmox",
        namespace: "apps",
        labels: LABELS("proxmox"),
        annotations: {
          "traefik.ingress.kubernetes.io/service.serversscheme": "https",
          "traefik.ingress.kubernetes.io/service.serverstransport": "apps-proxmox-transport@kubernetescrd",
        },
      },
      spec: { type: "ExternalName", externalName: "pve1.lan", ports: [{ name: "https", port: 8006, protocol: "TCP" }] },
    });
    assert.deepStrictEqual(m.serversTransport, {
      apiVersion: "traefik.io/v1alpha1",
      kind: "ServersTransport",
      metadata: { name: "proxmox-transport", namespace: "apps", labels: LABELS("proxmox") },
      spec: { insecureSkipVerify: true },
    });
    assert.equal(m.endpointSlice, undefined);
  });

  it("puts sticky-cookie annotations on the Service it owns", () => {
    const app: AppSpec = { ...appNamed("nas"), sticky: { cookie: "nas_session", secure: true, httpOnly: false, sameSite: "strict" } };
    assert.deepStrictEqual(routeManifests(app, deployment).externalService!.metadata!.annotations, {
      "traefik.ingress.kubernetes.io/service.sticky.cookie": "true",
      "traefik.ingress.kubernetes.io/service.sticky.cookie.httponly": "false",
      "traefik.ingress.kubernetes.io/service.sticky.cookie.name": "nas_session",
      "traefik.ingress.kubernetes.io/service.sticky.cookie.samesite": "strict",
      "traefik.ingress.kubernetes.io/service.sticky.cookie.secure": "true",
    });
  });
});

describe("network policies", () => {
  const POLICY_LABELS = { "app.kubernetes.io/component": "allow-traefik", "app.kubernetes.io/managed-by": "pulumi" };
  const ipBlocks = (...cidrs: string[]) => cidrs.map((cidr) => ({ ipBlock: { cidr } }));

  it("lets the Traefik pods in by namespace and pod labels in the deployment placement", () => {
    assert.deepStrictEqual(allowTraefikManifest("monitoring", deployment), {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "allow-traefik", namespace: "monitoring", labels: POLICY_LABELS },
      spec: {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "traefik" } },
                podSelector: { matchLabels: TRAEFIK_PODS },
              },
            ],
          },
        ],
      },
    });
  });

  it("admits every node and the pod network when Traefik runs on the host network of all of them (daemonset)", () => {
    assert.deepStrictEqual(allowTraefikManifest("media", daemonset), {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "allow-traefik", namespace: "media", labels: POLICY_LABELS },
      spec: {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [{ from: ipBlocks("10.0.10.11/32", "10.0.10.12/32", "10.0.10.13/32", "10.0.10.21/32", "10.0.10.22/32", "10.244.0.0/16") }],
      },
    });
  });

  it("admits the control planes and the pod network when Traefik follows the VIP on their host network (controlplane)", () => {
    assert.deepStrictEqual(allowTraefikManifest("apps", controlplane), {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "allow-traefik", namespace: "apps", labels: POLICY_LABELS },
      spec: {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [{ from: ipBlocks("10.0.10.11/32", "10.0.10.12/32", "10.0.10.13/32", "10.244.0.0/16") }],
      },
    });
  });

  it("puts one policy in each namespace holding an in-cluster app, sorted, whatever the order of apps", () => {
    // GIVEN the example stack: apps (paperless, chat, … and the external nas, proxmox), media (immich, jellyfin), monitoring (grafana)
    assert.deepStrictEqual(allowTraefikNamespaces(config.apps), ["apps", "media", "monitoring"]);
    assert.deepStrictEqual(allowTraefikNamespaces([...config.apps].reverse()), ["apps", "media", "monitoring"]);
  });

  it("keeps a namespace's policy while one of its in-cluster apps keeps networkPolicy, and drops it when all opt out", () => {
    const optedOut = (names: readonly string[]) => config.apps.map((a) => (names.includes(a.name) ? { ...a, networkPolicy: false } : a));
    assert.deepStrictEqual(allowTraefikNamespaces(optedOut(["immich"])), ["apps", "media", "monitoring"]);
    assert.deepStrictEqual(allowTraefikNamespaces(optedOut(["immich", "jellyfin", "grafana"])), ["apps"]);
  });

  it("puts none where every app is external: their backends are no pods", () => {
    const externalOnly = config.apps.filter((a) => a.kind === "external").map((a) => ({ ...a, namespace: "lan" }));
    assert.deepStrictEqual(
      externalOnly.map((a) => a.name),
      ["nas", "proxmox"],
    );
    assert.deepStrictEqual(allowTraefikNamespaces(externalOnly), []);
  });

  /** Whether a policy's peers admit a packet from `ip`. */
  const admits = (entry: RouteEntry, ip: string) =>
    traefikPeers(entry).some((peer) => peer.ipBlock !== undefined && rangeContains(cidrRange(peer.ipBlock.cidr), ip));

  it("admits every source a host-network Traefik's connections carry, not only the node's LAN address", () => {
    // GIVEN Traefik on the host network of node 10.0.10.21, whose pod CIDR is 10.244.3.0/24
    for (const entry of [daemonset, controlplane]) {
      // THEN a connection to a pod on another node through flannel's VXLAN or WireGuard tunnel (source: flannel.1 = 10.244.3.0) is admitted,
      assert.ok(admits(entry, "10.244.3.0"), entry.placement);
      // and one over plain routes (flannel host-gw, Calico BGP: source is the node's address) too.
      assert.ok(admits(entry, "10.0.10.11"), entry.placement);
      // A LAN client outside the cluster is not.
      assert.ok(!admits(entry, "10.0.10.50"), entry.placement);
    }
  });

  it("refuses to render a host-network policy without the pod network, which the config checks require", () => {
    const { podNetwork: _, ...unknownPodNetwork } = daemonset;
    assert.throws(() => traefikPeers(unknownPodNetwork), /peers need the pod network: set cluster\.network\.podSubnet/);
  });

  it("accepts bare node addresses as /32 peers", () => {
    assert.deepStrictEqual(traefikPeers({ ...controlplane, nodeSources: ["10.0.10.11"] }), ipBlocks("10.0.10.11/32", "10.244.0.0/16"));
  });
});

describe("DNS records", () => {
  const comment = managedByComment("homelab", "homelab");
  // Entry addresses as DNS targets: a zone whose entry is reachable as it is (no port-forwarding public address).
  const direct = { ...config.dns, publicAddress: undefined };
  const targets = (entry: RouteEntry, app = appNamed("grafana")) =>
    dnsRecords(app, entry.addresses, direct, comment).map((r) => [r.key, r.content]);

  it("points a proxied host at the public address that forwards to the entry, an unproxied one at the entry", () => {
    assert.deepStrictEqual(
      dnsRecords(appNamed("grafana"), daemonset.addresses, config.dns, comment).map((r) => [r.key, r.content, r.proxied]),
      [["grafana.example.com-203.0.113.10", "203.0.113.10", true]],
    );
    assert.deepStrictEqual(
      dnsRecords(appNamed("nas"), deployment.addresses, config.dns, comment).map((r) => [r.key, r.content, r.proxied]),
      [["nas.example.com-10.0.10.240", "10.0.10.240", false]],
    );
  });

  it("points a host at the MetalLB address (deployment)", () => {
    assert.deepStrictEqual(dnsRecords(appNamed("grafana"), deployment.addresses, direct, comment), [
      {
        key: "grafana.example.com-10.0.10.240",
        name: "grafana.example.com",
        type: "A",
        content: "10.0.10.240",
        proxied: true,
        ttl: 1,
        comment: "managed by pulumi homelab/homelab",
      },
    ]);
  });

  it("points a host at every node, in address order, for round-robin (daemonset)", () => {
    assert.deepStrictEqual(
      targets(daemonset),
      ["10.0.10.11", "10.0.10.12", "10.0.10.13", "10.0.10.21", "10.0.10.22"].map((ip) => [`grafana.example.com-${ip}`, ip]),
    );
  });

  it("points a host at the control-plane VIP (controlplane)", () => {
    assert.deepStrictEqual(targets(controlplane), [["grafana.example.com-10.0.10.10", "10.0.10.10"]]);
  });

  it("uses the zone's TTL for unproxied hosts and one record per host of a multi-host app", () => {
    const nas = dnsRecords(appNamed("nas"), deployment.addresses, direct, comment);
    assert.deepStrictEqual(
      nas.map((r) => [r.proxied, r.ttl]),
      [[false, 300]],
    );
    assert.deepStrictEqual(targets(deployment, appNamed("legacy-blog")), [
      ["blog.example.com-10.0.10.240", "10.0.10.240"],
      ["www.example.com-10.0.10.240", "10.0.10.240"],
    ]);
  });
});

describe("deterministic output", () => {
  const shuffled = validConfig("deployment-behind-metallb").apps.map(
    (a): AppSpec => ({ ...a, hosts: [...a.hosts].reverse(), backends: [...a.backends].reverse() }),
  );

  it("renders identical manifests, records and summaries whatever the order of hosts and backends", () => {
    for (const entry of [deployment, daemonset, controlplane]) {
      const shuffledEntry = { ...entry, addresses: [...entry.addresses].reverse(), nodeSources: [...entry.nodeSources].reverse() };
      for (const app of config.apps) {
        const other = appNamed(app.name, shuffled);
        assert.deepStrictEqual(
          withRanges(other, shuffledEntry, [...CLOUDFLARE_V4].reverse()),
          withRanges(app, entry, CLOUDFLARE_V4),
          app.name,
        );
        assert.deepStrictEqual(
          dnsRecords(other, shuffledEntry.addresses, config.dns, "c"),
          dnsRecords(app, entry.addresses, config.dns, "c"),
          app.name,
        );
      }
      assert.deepStrictEqual(allowTraefikManifest("apps", shuffledEntry), allowTraefikManifest("apps", entry), entry.placement);
    }
  });

  it("renders identical manifests whatever the order of apps in the stack file", () => {
    const apps = fixtureRaw().raw.apps as Record<string, unknown>;
    const reversed = validConfig("deployment-behind-metallb", { apps: Object.fromEntries(Object.entries(apps).reverse()) });
    assert.deepStrictEqual(
      reversed.apps.map((a) => withRanges(a, deployment, CLOUDFLARE_V4)),
      config.apps.map((a) => withRanges(a, deployment, CLOUDFLARE_V4)),
    );
  });
});

describe("route config checks", () => {
  /** [scenario, changes to the example stack, key path the error must name, what the message must say] */
  const BAD: readonly BadConfigCase[] = [
    ["sticky sessions on a plain Ingress", { "apps.chat.kind": "ingress" }, "homelab:apps.chat.sticky", "set kind: ingressRoute"],
    [
      "an external app's backend on another port",
      { "apps.nas.backends": [{ service: "nas", port: 80 }] },
      "homelab:apps.nas.backends[0].port",
      "use port 5000",
    ],
    [
      "an external app naming two Services",
      {
        "apps.nas.backends": [
          { service: "nas", port: 5000 },
          { path: "/photo", service: "photos", port: 5000 },
        ],
      },
      "homelab:apps.nas.backends[1].service",
      "use nas here too",
    ],
    [
      "skipping verification of a plain-http backend",
      { "apps.nas.external.insecureSkipVerify": true },
      "homelab:apps.nas.external.insecureSkipVerify",
      "set scheme: https",
    ],
    [
      "credentialed CORS for any origin",
      { "apps.api-gateway.middlewares.cors": { origins: ["*"], credentials: true } },
      "homelab:apps.api-gateway.middlewares.cors.origins",
      "list the allowed origins",
    ],
    [
      "no policy in a default-deny namespace",
      { "apps.paperless.networkPolicy": false },
      "homelab:apps.paperless.networkPolicy",
      "blocks Traefik",
    ],
    [
      "a namespace Kubernetes already has",
      { "namespaces.default": { podSecurity: "baseline" } },
      "homelab:namespaces.default",
      "remove it from namespaces",
    ],
    [
      "two paths with one Ingress name",
      {
        "apps.grafana.backends": [
          { path: "/api", service: "grafana", port: 80 },
          { path: "/api/", service: "grafana", port: 80 },
        ],
      },
      "homelab:apps.grafana.backends[1].path",
      "would be named grafana-api",
    ],
  ];
  itRejectsEach(BAD);

  it("warns, without failing, when a proxied host's allow-list names no Cloudflare range", () => {
    const result = configFrom("deployment-behind-metallb", { "apps.home-assistant.middlewares.ipAllowList": { ranges: ["10.0.10.0/24"] } });
    assert.ok(result.ok, result.ok ? "" : result.errors.join("\n"));
    assert.ok(
      result.warnings.some(
        (w) => w.startsWith("homelab:apps.home-assistant.middlewares.ipAllowList.ranges: ") && w.includes("add cloudflare: true"),
      ),
      result.warnings.join("\n"),
    );
  });
});
