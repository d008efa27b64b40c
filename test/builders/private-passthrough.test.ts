/**
 * Private apps closed to the internet in every placement and entry mode, TLS
 * passthrough apps, and the tunnel entry point that trusts cloudflared alone:
 * what the config resolves to, the manifests and Traefik values it produces,
 * and every bad input refused with the key and the fix.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { configFrom, itRejectsEach, validConfig, type BadConfigCase } from "../helpers/config.ts";
import { traefikOpenPorts, traefikValues } from "../../builders/traefik-values.ts";
import { ingressEntryOf } from "../../builders/traefik-entry.ts";
import { routeManifests } from "../../builders/routes.ts";
import { gatewayPortListeners } from "../../builders/gateway.ts";
import { tunnelEntryPolicyManifest, tunnelOriginServiceManifest } from "../../builders/tunnel.ts";
import { lanDnsEntries } from "../../builders/lan-dns.ts";
import type { HomelabConfig } from "../../model/resolve.ts";

const app = (c: HomelabConfig, name: string) => c.apps.find((a) => a.name === name)!;
const entryOf = (c: HomelabConfig) => ingressEntryOf(c.traefik, c.cluster);

/** A private ingress app added to an example stack. */
const VAULT = {
  namespace: "apps",
  private: true,
  publicCertificate: true,
  hosts: ["vault.example.net"],
  backends: [{ service: "vault", port: 8200 }],
};

describe("placement deployment: the private entry is a second MetalLB address the router does not forward", () => {
  const c = validConfig("deployment-behind-metallb");

  it("resolves the private entry's address and the LAN and admin subnets as its sources", () => {
    assert.deepEqual(c.traefik.privateEntry, { loadBalancerIP: "10.0.10.241", sources: ["10.0.10.0/24", "10.99.0.0/24"] });
    assert.deepEqual(entryOf(c).private, {
      entryPoint: "lan",
      port: 8444,
      addresses: ["10.0.10.241"],
      sources: ["10.0.10.0/24", "10.99.0.0/24"],
    });
  });

  it("defaults the address to the pool's first address other than the public entry's", () => {
    const { traefik } = validConfig("deployment-behind-metallb", { "traefik.privateEntry.loadBalancerIP": undefined });
    assert.equal(traefik.placement === "deployment" && traefik.privateEntry?.loadBalancerIP, "10.0.10.241");
  });

  it("gives Traefik a lan entry point on its own LoadBalancer Service (traefik-lan), carrying :80 for the redirect and never websecure", () => {
    const v = traefikValues(c.traefik, c.cluster, undefined);
    assert.deepEqual(v.ports.lan, { port: 8444, exposedPort: 443, expose: { default: false, lan: true }, protocol: "TCP" });
    assert.deepEqual(v.ports.web.expose, { default: true, lan: true });
    assert.equal(v.ports.websecure.expose, undefined, "websecure stays on the public Service only");
    assert.ok(v.service.enabled);
    if (!v.service.enabled) return;
    assert.deepEqual(v.service.additionalServices, {
      lan: { annotations: { "metallb.io/loadBalancerIPs": "10.0.10.241" }, spec: { type: "LoadBalancer", externalTrafficPolicy: "Local" } },
    });
    assert.deepEqual(v.service.annotations, { "metallb.io/loadBalancerIPs": "10.0.10.240" });
  });

  it("routes the private passthrough app on lan alone, by SNI, behind the LAN-only MiddlewareTCP, with no certificate", () => {
    const m = routeManifests(app(c, "unifi"), entryOf(c));
    assert.deepEqual(m.ingressRouteTcp?.spec, {
      entryPoints: ["lan"],
      routes: [
        {
          match: "HostSNI(`unifi.example.com`)",
          middlewares: [{ name: "unifi-lan-only", namespace: "apps" }],
          services: [{ name: "unifi-controller", port: 8443 }],
        },
      ],
      tls: { passthrough: true },
    });
    assert.deepEqual(
      m.tcpMiddlewares.map((t) => [t.manifest.kind, t.manifest.metadata.name, t.manifest.spec]),
      [["MiddlewareTCP", "unifi-lan-only", { ipAllowList: { sourceRange: ["10.0.10.0/24", "10.99.0.0/24"] } }]],
    );
    assert.equal(m.certificate, undefined);
    assert.deepEqual([m.ingresses.length, m.middlewares.length], [0, 0]);
  });

  it("puts a private IngressRoute on lan alone, its LAN-only allow-list first on every route", () => {
    const p = validConfig("deployment-behind-metallb", { "apps.api-gateway.private": true, "apps.api-gateway.publicCertificate": true });
    const route = routeManifests(app(p, "api-gateway"), entryOf(p)).ingressRoute!;
    assert.deepEqual(route.spec.entryPoints, ["lan"]);
    assert.deepEqual(
      route.spec.routes.map((r) => r.middlewares?.map((m) => m.name)),
      [["api-gateway-lan-only", "api-gateway-rate-limit", "api-gateway-cors", "api-gateway-strip-prefix"]],
    );
  });

  it("keeps public apps on websecure only", () => {
    const m = routeManifests(app(c, "grafana"), entryOf(c));
    assert.equal(m.ingresses[0]!.manifest.metadata!.annotations!["traefik.ingress.kubernetes.io/router.entrypoints"], "websecure");
  });

  it("points the LAN resolver at the private entry", () => {
    assert.deepEqual(lanDnsEntries(c.apps, entryOf(c).private!.addresses), [{ host: "unifi.example.com", addresses: ["10.0.10.241"] }]);
  });
});

describe("host-network placements: private routes share the node addresses behind a LAN-only allow-list", () => {
  const c = validConfig("daemonset-edge-site");

  it("serves the private app on websecure with its lan-only ipAllowList first", () => {
    const m = routeManifests(app(c, "grafana"), entryOf(c));
    const annotations = m.ingresses[0]!.manifest.metadata!.annotations!;
    assert.equal(annotations["traefik.ingress.kubernetes.io/router.entrypoints"], "websecure");
    assert.equal(annotations["traefik.ingress.kubernetes.io/router.middlewares"], "apps-grafana-lan-only@kubernetescrd");
    assert.deepEqual(
      m.middlewares.map((x) => [x.kind, x.manifest.spec]),
      [["lan-only", { ipAllowList: { sourceRange: ["192.168.50.0/24"] } }]],
    );
  });

  it("adds no private Service or entry point (there is no LoadBalancer to add one to)", () => {
    const v = traefikValues(c.traefik, c.cluster, []);
    assert.deepEqual(v.service, { enabled: false });
    assert.equal(v.ports.lan, undefined);
  });

  it("warns that the allow-list admits the router, which a source-NATing port-forward would let the internet through", () => {
    const result = configFrom("daemonset-edge-site");
    assert.ok(result.ok);
    if (result.ok)
      assert.ok(
        result.warnings.some(
          (w) =>
            w.startsWith("homelab:traefik.privateEntry.sources: placement daemonset serves private apps") && w.includes("(192.168.50.1)"),
        ),
      );
  });

  it("the controlplane placement (lab) takes the same allow-list on the VIP", () => {
    const lab = validConfig("controlplane-on-vip", { "apps.vault": { ...VAULT, hosts: ["vault.example.org"] } });
    assert.deepEqual(entryOf(lab).private?.entryPoint, "websecure");
    assert.deepEqual(entryOf(lab).private?.addresses, entryOf(lab).addresses);
  });
});

describe("Gateway API: private listeners on the private entry's port, TLS passthrough listeners", () => {
  const c = validConfig("gateway-api");

  it("adds a lan wildcard listener sharing the wildcard certificate, and a TLS Passthrough listener without one", () => {
    const listeners = gatewayPortListeners(c.traefik.gatewayApi, c.dns.zone, c.traefik.placement, c.apps);
    assert.deepEqual(
      listeners.filter((l) => l.name.startsWith("lan-") || l.name.startsWith("tls-")),
      [
        {
          name: "lan-wildcard-example-com",
          hostname: "*.example.com",
          port: 8444,
          protocol: "HTTPS",
          secretName: "wildcard-example-com-tls",
        },
        { name: "tls-sso-example-com", hostname: "sso.example.com", port: 8443, protocol: "TLS" },
      ],
    );
  });

  it("attaches the private HTTPRoute to its private listener by name, through the lan-only ExtensionRef", () => {
    const entry = {
      ...entryOf(c),
      gateway: { zone: c.dns.zone, listeners: gatewayPortListeners(c.traefik.gatewayApi, c.dns.zone, c.traefik.placement, c.apps) },
    };
    const route = routeManifests(app(c, "ups"), entry).httpRoute!;
    assert.deepEqual(route.spec!.parentRefs, [
      {
        group: "gateway.networking.k8s.io",
        kind: "Gateway",
        name: "traefik-gateway",
        namespace: "traefik",
        sectionName: "lan-wildcard-example-com",
      },
    ]);
    assert.deepEqual(route.spec!.rules![0]!.filters, [
      { type: "ExtensionRef", extensionRef: { group: "traefik.io", kind: "Middleware", name: "ups-lan-only" } },
    ]);
    const tls = routeManifests(app(c, "sso"), entry).tlsRoute!;
    assert.deepEqual(
      tls.spec.parentRefs!.map((p) => p.sectionName),
      ["tls-sso-example-com"],
    );
    assert.deepEqual(tls.spec.rules, [{ backendRefs: [{ name: "keycloak", port: 8443 }] }]);
  });

  it("the chart's Gateway values carry the passthrough listener as protocol TLS, mode Passthrough, and leave the shared wildcard certificate to the public listener", async () => {
    const { traefikGatewayValues } = await import("../../builders/gateway.ts");
    const gateway = traefikGatewayValues(c).gateway;
    // gateway-shim would otherwise ask for *.example.com twice in one Certificate (cert-manager v1.21.1 certificate-shim/sync.go).
    assert.equal(gateway.annotations["cert-manager.io/ignore-tls-listeners"], "lan-wildcard-example-com");
    const l = gateway.listeners["tls-sso-example-com"];
    assert.deepEqual(l && { port: l.port, protocol: l.protocol, mode: l.mode, certificateRefs: l.certificateRefs }, {
      port: 8443,
      protocol: "TLS",
      mode: "Passthrough",
      certificateRefs: undefined,
    });
  });
});

describe("the tunnel's trust, narrowed to cloudflared", () => {
  const c = validConfig("cloudflare-tunnel");

  it("trusts the pod network on the tunnel entry point alone, which a NetworkPolicy opens to cloudflared's pods only", () => {
    assert.equal(c.traefik.tunnelEntryPoint, true);
    const forwarders = c.tunnel!.forwarders;
    assert.deepEqual(forwarders, ["10.244.0.0/16"]);
    const v = traefikValues(c.traefik, c.cluster, undefined, undefined, forwarders);
    assert.deepEqual(v.ports.tunnel, {
      port: 8445,
      expose: { default: false },
      protocol: "TCP",
      forwardedHeaders: { trustedIPs: ["10.244.0.0/16"], insecure: false },
    });
    assert.deepEqual(v.ports.websecure.forwardedHeaders, { trustedIPs: [], insecure: false });
    assert.equal(tunnelOriginServiceManifest(c.traefik).spec!.ports![0]!.targetPort, "tunnel");
    const policy = tunnelEntryPolicyManifest(c.tunnel!, traefikOpenPorts(c.traefik));
    assert.deepEqual(policy.spec.ingress, [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "cloudflared" } },
            podSelector: { matchLabels: { "app.kubernetes.io/name": "cloudflared" } },
          },
        ],
        ports: [{ port: 8445, protocol: "TCP" }],
      },
      { ports: [8000, 8080, 8443, 8444, 9100].map((port) => ({ port, protocol: "TCP" })) },
    ]);
  });

  it("attaches public routes to websecure (LAN clients) and the tunnel entry point", () => {
    const m = routeManifests(app(c, "blog"), entryOf(c));
    assert.equal(m.ingresses[0]!.manifest.metadata!.annotations!["traefik.ingress.kubernetes.io/router.entrypoints"], "websecure,tunnel");
  });

  it("trusts no forwarder where it cannot tell cloudflared apart, and says so", () => {
    const hostNetwork = configFrom("cloudflare-tunnel", {
      "traefik.placement": "daemonset",
      "traefik.replicas": undefined,
      "metallb.enabled": false,
      "metallb.pools": {},
      "apps.nas.publicRecord": undefined,
    });
    assert.ok(hostNetwork.ok, hostNetwork.ok ? "" : hostNetwork.errors.join("\n"));
    if (!hostNetwork.ok) return;
    assert.equal(hostNetwork.config.traefik.tunnelEntryPoint, false);
    assert.deepEqual(hostNetwork.config.tunnel!.forwarders, []);
    assert.equal(tunnelOriginServiceManifest(hostNetwork.config.traefik).spec!.ports![0]!.targetPort, "websecure");
    assert.ok(
      hostNetwork.warnings.some((w) =>
        w.startsWith(
          "homelab:tunnel.enabled: Traefik cannot tell cloudflared's connections from other pods': Traefik runs on the host network (placement daemonset)",
        ),
      ),
    );
  });
});

/** The edge site's nodes, VIP and gateway on a public network (TEST-NET-2): no entry address a LAN can reach. */
const PUBLIC_NODE_ADDRESSES = {
  "cluster.nodes.edge-w1.ip": "198.51.100.21",
  "cluster.network.subnet": "198.51.100.0/24",
  "cluster.nodes.edge-cp1.ip": "198.51.100.11",
  "cluster.nodes.edge-w2.ip": "198.51.100.22",
  "cluster.nodes.edge-w3.ip": "198.51.100.23",
  "cluster.network.gateway": "198.51.100.1",
  "cluster.network.vip": "198.51.100.10",
};

describe("bad private and passthrough input is refused, naming the key and the fix", () => {
  itRejectsEach(
    [
      [
        "a private app with a public record where the entry addresses are public",
        { ...PUBLIC_NODE_ADDRESSES, "apps.grafana.publicRecord": true },
        "homelab:apps.grafana.publicRecord",
        "the public record would carry the private entry's address",
      ],
      [
        "a private app in a stack whose only entry addresses are public",
        PUBLIC_NODE_ADDRESSES,
        "homelab:apps.grafana.private",
        "has no LAN-reachable entry",
      ],
      [
        "a private app sharing a host with a public app",
        { "apps.grafana.hosts": ["status.example.net"] },
        "homelab:apps.status.hosts[0]",
        "which is private while this app is public",
      ],
      [
        "a private app whose own certificate would publish its name, without the opt-in",
        { "apps.grafana.publicCertificate": false },
        "homelab:apps.grafana.publicCertificate",
        "Certificate Transparency logs",
      ],
      [
        "publicCertificate on a public app",
        { "apps.wiki.publicCertificate": true },
        "homelab:apps.wiki.publicCertificate",
        "only a private app",
      ],
      [
        "a private allow-list open to the whole internet",
        { "traefik.privateEntry.sources": ["0.0.0.0/0"] },
        "homelab:traefik.privateEntry.sources[0]",
        "admits the whole internet",
      ],
      [
        "a private TLSRoute on the host network, where no filter can hold its allow-list",
        { "traefik.gatewayApi.listeners": "wildcard", "apps.grafana.kind": "tlsRoute", "apps.grafana.publicCertificate": undefined },
        "homelab:apps.grafana.kind",
        "a TLSRoute has no filter",
      ],
    ] satisfies readonly BadConfigCase[],
    "daemonset-edge-site",
  );

  itRejectsEach([
    [
      "a private entry without a free pool address",
      { "metallb.pools.services.addresses": ["10.0.10.240"], "traefik.privateEntry.loadBalancerIP": undefined },
      "homelab:traefik.privateEntry.loadBalancerIP",
      "has none besides the public entry's",
    ],
    [
      "the private entry on the public entry's address",
      { "traefik.privateEntry.loadBalancerIP": "10.0.10.240" },
      "homelab:traefik.privateEntry.loadBalancerIP",
      "is also the public entry's address",
    ],
    [
      "the private entry outside the pool",
      { "traefik.privateEntry.loadBalancerIP": "10.0.10.100" },
      "homelab:traefik.privateEntry.loadBalancerIP",
      "is not in metallb.pools.services",
    ],
    [
      "a passthrough app with middlewares that need decryption",
      { "apps.unifi.middlewares": { basicAuth: { usersSecret: "adminUsers" }, rateLimit: { average: 1, burst: 1 } } },
      "homelab:apps.unifi.middlewares.basicAuth",
      "hands the connection to the backend still encrypted",
    ],
    [
      "a proxied passthrough app",
      { "apps.unifi.private": false, "apps.unifi.proxied": true },
      "homelab:apps.unifi.proxied",
      "ends TLS at Cloudflare's edge",
    ],
    [
      "a passthrough app with a path",
      { "apps.unifi.backends[0].path": "/admin" },
      "homelab:apps.unifi.backends[0].path",
      "never sees a path",
    ],
    [
      "a passthrough app with an issuer",
      { "apps.unifi.issuer": "letsencrypt-staging" },
      "homelab:apps.unifi.issuer",
      "gets no certificate",
    ],
    [
      "a passthrough host shared with an HTTP app",
      { "apps.unifi.private": false, "apps.unifi.hosts": ["grafana.example.com"] },
      "homelab:apps.unifi.hosts[0]",
      "a passthrough router takes every TLS connection for its SNI",
    ],
  ] satisfies readonly BadConfigCase[]);

  itRejectsEach(
    [
      [
        "a tunnelled passthrough app",
        { "apps.blog.kind": "tlsPassthrough", "apps.blog.middlewares": undefined, "apps.blog.proxied": true },
        "homelab:apps.blog.proxied",
        "the tunnel end",
      ],
    ] satisfies readonly BadConfigCase[],
    "cloudflare-tunnel",
  );

  it("a passthrough app is DNS-only by default even where dns.proxied is true", () => {
    const c = validConfig("deployment-behind-metallb", { "apps.unifi.private": false });
    assert.equal(app(c, "unifi").proxied, false);
  });
});
