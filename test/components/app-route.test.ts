import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { findResource, ofType, recordProgram, type ProgramRun, type RecordedResource } from "../../synth/recorder.ts";
import { SECRET_MARKER, COMPONENTS, TYPES } from "../../contract/tokens.ts";
import { MOCK_CLOUDFLARE_RANGES } from "../../synth/mocks.ts";
import { validConfig, fixtureStack } from "../helpers/config.ts";
import { runStack } from "../helpers/runtime-warnings.ts";
import { AppRoute } from "../../components/app-route.ts";
import { AppNamespaces } from "../../components/app-namespaces.ts";
import type { IngressEntry } from "../../components/traefik.ts";
import { KUBE_NETWORK_POLICIES } from "../../model/network-policies.ts";

/** The example stack, but grafana lives in a namespace the stack does not create (deployed with the app itself). */
const config = validConfig("deployment-behind-metallb", { "apps.grafana.namespace": "observability" });
const HTPASSWD = "admin:$apr1$mock$hash";
const T = {
  route: COMPONENTS.appRoute,
  ingress: TYPES.ingress,
  ingressRoute: TYPES.ingressRoute,
  middleware: TYPES.middleware,
  certificate: TYPES.certificate,
  serversTransport: TYPES.serversTransport,
  secret: TYPES.secret,
  service: TYPES.service,
  endpointSlice: TYPES.endpointSlice,
  networkPolicy: TYPES.networkPolicy,
  namespace: TYPES.namespace,
  dns: TYPES.dnsRecord,
  marker: "test:index:Marker",
};

/** Stands in for the resources routes wait on (Traefik's CRDs and release, the ClusterIssuers). */
class Marker extends pulumi.CustomResource {
  constructor(name: string) {
    super(T.marker, name, {});
  }
}

/** GIVEN a Traefik entry and issuers built by hand, WHEN the app namespaces are set up and five contrasting apps routed. */
function program() {
  const provider = new k8s.Provider("cluster", { kubeconfig: "apiVersion: v1\nkind: Config\n" });
  const entry: IngressEntry = {
    className: "traefik",
    placement: "deployment",
    addresses: ["10.0.10.240"],
    namespace: "traefik",
    podLabels: { "app.kubernetes.io/name": "traefik" },
    hostNetwork: false,
    nodeSources: [],
    trustsCloudflare: true,
    secureEntryPoint: "websecure",
    publicEntryPoints: ["websecure"],
    ready: [new Marker("traefik-crds"), new Marker("traefik-release")],
  };
  const issuers = {
    names: ["letsencrypt-production", "letsencrypt-staging"],
    defaultIssuer: "letsencrypt-production",
    ready: [new Marker("letsencrypt-production")],
  };
  const namespaces = new AppNamespaces(
    "namespaces",
    { namespaces: config.namespaces, apps: config.apps, entry, networkPolicyEnforcer: KUBE_NETWORK_POLICIES },
    { provider },
  );
  for (const name of ["immich", "traefik-admin", "home-assistant", "proxmox", "nas"]) {
    const app = config.apps.find((a) => a.name === name)!;
    new AppRoute(
      app.name,
      {
        app,
        entry,
        issuers,
        dns: config.dns,
        zoneId: pulumi.output("0123456789abcdef0123456789abcdef"),
        cloudflareRanges: {
          ipv4: pulumi.output([...MOCK_CLOUDFLARE_RANGES.ipv4Cidrs]),
          ipv6: pulumi.output([...MOCK_CLOUDFLARE_RANGES.ipv6Cidrs]),
        },
        ...(app.middlewares?.basicAuth ? { basicAuthUsers: pulumi.secret(HTPASSWD) } : {}),
      },
      { provider, dependsOn: [...namespaces.ready] },
    );
  }
}

describe("AppRoute under mocks", () => {
  let run: ProgramRun<void>;
  before(async () => {
    run = await recordProgram(program, { values: {}, secretKeys: [] });
  });
  const find = (type: string, name: string): RecordedResource => findResource(run, type, name);
  const childrenOf = (app: string) => run.resources.filter((r) => r.parent === `${T.route}::${app}`);

  it("names every child after its app and role, never a position", () => {
    const expected: Record<string, string[]> = {
      immich: [
        "DnsRecord immich-dns-photos.example.com-203.0.113.10",
        "Ingress immich-ingress-api",
        "Ingress immich-ingress-root",
        "Middleware immich-middleware-security-headers",
      ],
      "traefik-admin": [
        "Certificate traefik-admin-certificate",
        "DnsRecord traefik-admin-dns-admin.example.com-203.0.113.10",
        "IngressRoute traefik-admin-ingressroute",
        "Middleware traefik-admin-middleware-basic-auth",
        "Middleware traefik-admin-middleware-security-headers",
        "Secret traefik-admin-basic-auth",
      ],
      proxmox: [
        "DnsRecord proxmox-dns-pve.example.com-10.0.10.240",
        "Ingress proxmox-ingress-root",
        "Middleware proxmox-middleware-ip-allow-list",
        "ServersTransport proxmox-serverstransport",
        "Service proxmox-service",
      ],
      nas: [
        "DnsRecord nas-dns-nas.example.com-10.0.10.240",
        "EndpointSlice nas-endpointslice",
        "Ingress nas-ingress-root",
        "Service nas-service",
      ],
      "home-assistant": [
        "DnsRecord home-assistant-dns-home.example.com-203.0.113.10",
        "Ingress home-assistant-ingress-root",
        "Middleware home-assistant-middleware-ip-allow-list",
      ],
    };
    for (const [app, children] of Object.entries(expected)) {
      assert.deepStrictEqual(
        childrenOf(app)
          .map((r) => `${r.type.split(":").pop()} ${r.name}`)
          .sort(),
        children,
        app,
      );
    }
  });

  it("registers routes after Traefik, the issuers and their middlewares", () => {
    assert.deepStrictEqual(find(T.ingress, "immich-ingress-api").options.dependsOn, [
      `${T.middleware}::immich-middleware-security-headers`,
      `${T.marker}::letsencrypt-production`,
      `${T.marker}::traefik-crds`,
      `${T.marker}::traefik-release`,
    ]);
    assert.deepStrictEqual(
      find(T.ingress, "proxmox-ingress-root").options.dependsOn,
      [
        `${T.service}::proxmox-service`,
        `${T.middleware}::proxmox-middleware-ip-allow-list`,
        `${T.serversTransport}::proxmox-serverstransport`,
        `${T.marker}::letsencrypt-production`,
        `${T.marker}::traefik-crds`,
        `${T.marker}::traefik-release`,
      ].sort(),
    );
  });

  it("registers the IngressRoute after its Certificate and middlewares, and the Certificate after the issuers", () => {
    const deps = find(T.ingressRoute, "traefik-admin-ingressroute").options.dependsOn ?? [];
    for (const dep of [
      `${T.certificate}::traefik-admin-certificate`,
      `${T.middleware}::traefik-admin-middleware-basic-auth`,
      `${T.middleware}::traefik-admin-middleware-security-headers`,
      `${T.marker}::letsencrypt-production`,
      `${T.marker}::traefik-crds`,
    ])
      assert.ok(deps.includes(dep), `IngressRoute does not wait for ${dep}: ${deps.join(", ")}`);
    assert.deepStrictEqual(find(T.certificate, "traefik-admin-certificate").options.dependsOn, [`${T.marker}::letsencrypt-production`]);
    assert.ok(
      find(T.middleware, "traefik-admin-middleware-basic-auth").options.dependsOn?.includes(`${T.secret}::traefik-admin-basic-auth`),
    );
  });

  it("keeps the htpasswd lines a secret in the basic-auth Secret", () => {
    const secret = find(T.secret, "traefik-admin-basic-auth");
    assert.deepStrictEqual(secret.inputs.metadata, {
      name: "traefik-admin-basic-auth-users",
      namespace: "apps",
      labels: { "app.kubernetes.io/instance": "traefik-admin", "app.kubernetes.io/managed-by": "pulumi" },
    });
    assert.equal(secret.inputs.type, "Opaque");
    const data = secret.inputs.stringData;
    assert.deepEqual(data, { users: SECRET_MARKER });
    assert.ok(!JSON.stringify(run.resources).includes("$apr1$"), "htpasswd line in plain text");
  });

  it("fills the allow-list with Cloudflare's ranges from the deploy-time lookup", () => {
    const mw = find(T.middleware, "home-assistant-middleware-ip-allow-list");
    assert.deepStrictEqual(mw.inputs.spec, { ipAllowList: { sourceRange: [...MOCK_CLOUDFLARE_RANGES.ipv4Cidrs].sort() } });
  });

  it("creates Cloudflare records with the full name, automatic TTL when proxied, and no Kubernetes provider", () => {
    const record = find(T.dns, "immich-dns-photos.example.com-203.0.113.10");
    assert.deepStrictEqual(record.inputs, {
      zoneId: "0123456789abcdef0123456789abcdef",
      name: "photos.example.com",
      type: "A",
      content: "203.0.113.10",
      proxied: true,
      ttl: 1,
      comment: "managed by pulumi homelab/homelab",
    });
    assert.deepStrictEqual(find(T.dns, "nas-dns-nas.example.com-10.0.10.240").inputs.ttl, 300);
    for (const r of ofType(run, T.dns))
      assert.ok(!r.options.provider?.startsWith(TYPES.k8sProvider), `${r.name} uses ${r.options.provider}`);
  });

  it("publishes a host only after its routes exist", () => {
    assert.deepStrictEqual(find(T.dns, "immich-dns-photos.example.com-203.0.113.10").options.dependsOn, [
      `${T.ingress}::immich-ingress-api`,
      `${T.ingress}::immich-ingress-root`,
    ]);
    assert.deepStrictEqual(find(T.dns, "traefik-admin-dns-admin.example.com-203.0.113.10").options.dependsOn, [
      `${T.ingressRoute}::traefik-admin-ingressroute`,
    ]);
  });

  it("leaves the NetworkPolicies to the namespaces: no app registers one", () => {
    const routeChildren = run.resources.filter((r) => r.parent?.startsWith(`${T.route}::`));
    assert.ok(routeChildren.length > 20);
    assert.deepStrictEqual(
      routeChildren.filter((r) => r.type === T.networkPolicy),
      [],
    );
  });

  it("gives every Kubernetes child the cluster's provider", () => {
    const kube = run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
    assert.ok(kube.length > 20);
    for (const r of kube) assert.equal(r.options.provider, "pulumi:providers:kubernetes::cluster", `${r.type} ${r.name}`);
  });

  it("routes an external NAS through a Service and EndpointSlice it owns", () => {
    assert.deepStrictEqual(find(T.service, "nas-service").inputs.spec, {
      type: "ClusterIP",
      ports: [{ name: "http", port: 5000, protocol: "TCP", targetPort: 5000 }],
    });
    const slice = find(T.endpointSlice, "nas-endpointslice").inputs as { endpoints: unknown; ports: unknown };
    assert.deepStrictEqual(slice.endpoints, [{ addresses: ["10.0.10.5"], conditions: { ready: true } }]);
    assert.deepStrictEqual(slice.ports, [{ name: "http", port: 5000, protocol: "TCP" }]);
  });
});

describe("AppNamespaces under mocks", () => {
  let run: ProgramRun<void>;
  before(async () => {
    run = await recordProgram(program, { values: {}, secretKeys: [] });
  });
  const PARENT = "homelab:routes:AppNamespaces::namespaces";

  it("creates each configured namespace with its Pod Security level, and default-deny where asked", () => {
    const monitoring = findResource(run, T.namespace, "namespaces-monitoring").inputs.metadata as {
      name: string;
      labels: Record<string, string>;
    };
    assert.equal(monitoring.name, "monitoring");
    assert.equal(monitoring.labels["pod-security.kubernetes.io/enforce"], "baseline");
    assert.deepStrictEqual(findResource(run, T.networkPolicy, "namespaces-apps-default-deny").inputs, {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: {
        name: "default-deny-ingress",
        namespace: "apps",
        labels: { "app.kubernetes.io/managed-by": "pulumi" },
        annotations: { "homelab.pulumi.com/enforced-by": "kube-network-policies" },
      },
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    });
  });

  it("admits Traefik with one policy per namespace holding an in-cluster app, keyed by the namespace, created or not", () => {
    // apps: six in-cluster apps (and two external); media: immich, jellyfin; observability: grafana, not created by the stack;
    // monitoring: created, but no app left in it.
    assert.deepStrictEqual(
      run.resources
        .filter((r) => r.parent === PARENT)
        .map((r) => `${r.type.split(":").pop()} ${r.name}`)
        .sort(),
      [
        "Namespace namespaces-apps",
        "Namespace namespaces-media",
        "Namespace namespaces-monitoring",
        "NetworkPolicy namespaces-apps-allow-traefik",
        "NetworkPolicy namespaces-apps-default-deny",
        "NetworkPolicy namespaces-media-allow-traefik",
        "NetworkPolicy namespaces-media-default-deny",
        "NetworkPolicy namespaces-observability-allow-traefik",
      ],
    );
    assert.deepStrictEqual(findResource(run, T.networkPolicy, "namespaces-media-allow-traefik").inputs, {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: {
        name: "allow-traefik",
        namespace: "media",
        labels: { "app.kubernetes.io/component": "allow-traefik", "app.kubernetes.io/managed-by": "pulumi" },
        annotations: { "homelab.pulumi.com/enforced-by": "kube-network-policies" },
      },
      spec: {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "traefik" } },
                podSelector: { matchLabels: { "app.kubernetes.io/name": "traefik" } },
              },
            ],
          },
        ],
      },
    });
    assert.equal(
      (findResource(run, T.networkPolicy, "namespaces-observability-allow-traefik").inputs.metadata as { namespace: string }).namespace,
      "observability",
    );
  });

  it("creates a policy after its namespace when the stack creates it, and the default deny only after the allow", () => {
    assert.deepStrictEqual(findResource(run, T.networkPolicy, "namespaces-media-allow-traefik").options.dependsOn, [
      `${T.namespace}::namespaces-media`,
    ]);
    assert.equal(findResource(run, T.networkPolicy, "namespaces-observability-allow-traefik").options.dependsOn, undefined);
    assert.deepStrictEqual(findResource(run, T.networkPolicy, "namespaces-media-default-deny").options.dependsOn, [
      `${T.namespace}::namespaces-media`,
      `${T.networkPolicy}::namespaces-media-allow-traefik`,
    ]);
  });

  it("makes every route wait for the namespaces and their policies", () => {
    const expected = [
      `${T.namespace}::namespaces-apps`,
      `${T.namespace}::namespaces-media`,
      `${T.namespace}::namespaces-monitoring`,
      `${T.networkPolicy}::namespaces-apps-allow-traefik`,
      `${T.networkPolicy}::namespaces-apps-default-deny`,
      `${T.networkPolicy}::namespaces-media-allow-traefik`,
      `${T.networkPolicy}::namespaces-media-default-deny`,
      `${T.networkPolicy}::namespaces-observability-allow-traefik`,
    ];
    for (const route of ofType(run, T.route)) assert.deepStrictEqual(route.options.dependsOn, expected, route.name);
  });
});

describe("the whole program, host-network placements", () => {
  /** allow-traefik policies by resource name: their parent and ipBlock CIDRs per rule. */
  const allowTraefikOf = (run: ProgramRun<unknown>) =>
    Object.fromEntries(
      ofType(run, T.networkPolicy)
        .filter((r) => r.name.endsWith("-allow-traefik"))
        .map((r) => [
          r.name,
          {
            parent: r.parent,
            cidrs: (r.inputs.spec as { ingress: { from: { ipBlock: { cidr: string } }[] }[] }).ingress.map((rule) =>
              rule.from.map((p) => p.ipBlock.cidr),
            ),
          },
        ]),
    );
  const PARENT = "homelab:routes:AppNamespaces::namespaces";

  it("GIVEN k3s (existing cluster, daemonset) THEN the apps namespace's one policy admits the three nodes and the configured pod network 10.42.0.0/16", async () => {
    const run = await runStack(fixtureStack("existing-cluster"), "k3s");
    assert.deepStrictEqual(allowTraefikOf(run), {
      "namespaces-apps-allow-traefik": {
        parent: PARENT,
        cidrs: [["10.42.0.0/16", "192.168.1.20/32", "192.168.1.21/32", "192.168.1.22/32"]],
      },
    });
  });

  it("GIVEN lab (Talos, controlplane) THEN each app namespace's policy admits the control planes and Talos' pod network 10.244.0.0/16", async () => {
    const run = await runStack(fixtureStack("controlplane-on-vip"), "lab");
    const cidrs = [["10.20.0.11/32", "10.20.0.12/32", "10.20.0.13/32", "10.244.0.0/16"]];
    assert.deepStrictEqual(allowTraefikOf(run), {
      "namespaces-monitoring-allow-traefik": { parent: PARENT, cidrs },
      "namespaces-tools-allow-traefik": { parent: PARENT, cidrs },
    });
  });
});
