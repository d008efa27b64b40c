/**
 * The platform services' pure builders: Traefik's Helm values in each
 * placement, its ingress entry, MetalLB's pools, cert-manager's values and
 * ClusterIssuers, and the namespaces' Pod Security labels.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { configFrom, validConfig } from "../helpers/config.ts";
import { namespaceManifest } from "../../builders/namespaces.ts";
import { traefikCrdUrls, traefikValues, TRAEFIK_CRD_FILES } from "../../builders/traefik-values.ts";
import { ingressEntryOf, traefikPodSecurity } from "../../builders/traefik-entry.ts";
import { ipAddressPoolManifest, l2AdvertisementManifest, metallbValues } from "../../builders/metallb.ts";
import { certManagerValues, clusterIssuerManifests } from "../../builders/cert-manager.ts";
import { MOCK_CLOUDFLARE_RANGES } from "../../synth/mocks.ts";

const CLOUDFLARE = [...MOCK_CLOUDFLARE_RANGES.ipv4Cidrs, ...MOCK_CLOUDFLARE_RANGES.ipv6Cidrs];
const CLOUDFLARE_SORTED = [...CLOUDFLARE].sort();
const CONTROL_PLANE_TOLERATION = { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" };
const POD_LABELS = { "app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": "traefik-traefik" };

/** The example stacks, one per placement. */
const homelab = validConfig("deployment-behind-metallb"); // deployment
const edge = validConfig("daemonset-edge-site"); // daemonset
const lab = validConfig("controlplane-on-vip"); // controlplane
const k3s = validConfig("existing-cluster"); // daemonset on an existing cluster

/** As the component calls it: Cloudflare's ranges only when the config trusts Cloudflare. */
function valuesOf(config: typeof homelab) {
  return traefikValues(config.traefik, config.cluster, config.traefik.trustCloudflare ? CLOUDFLARE : undefined);
}

describe("namespaceManifest", () => {
  it("enforces, audits and warns at one Pod Security level, tracking the latest standard", () => {
    assert.deepStrictEqual(namespaceManifest("traefik", "privileged"), {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: "traefik",
        labels: {
          "pod-security.kubernetes.io/enforce": "privileged",
          "pod-security.kubernetes.io/enforce-version": "latest",
          "pod-security.kubernetes.io/audit": "privileged",
          "pod-security.kubernetes.io/audit-version": "latest",
          "pod-security.kubernetes.io/warn": "privileged",
          "pod-security.kubernetes.io/warn-version": "latest",
        },
      },
    });
  });

  it("gives Traefik's namespace `restricted` behind a Service and `privileged` on the host network", () => {
    assert.equal(traefikPodSecurity("deployment"), "restricted");
    assert.equal(traefikPodSecurity("daemonset"), "privileged");
    assert.equal(traefikPodSecurity("controlplane"), "privileged");
  });
});

describe("traefikValues, placement deployment (homelab stack)", () => {
  const values = valuesOf(homelab);

  it("runs the configured replicas as a Deployment that surges instead of dropping a replica", () => {
    assert.deepStrictEqual(values.deployment, { kind: "Deployment", replicas: 2 });
    assert.deepStrictEqual(values.updateStrategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    assert.equal(values.hostNetwork, false);
  });

  it("requests the MetalLB addresses on LoadBalancer Services that keep the client address: the public entry's and the private entry's", () => {
    const lb = (ip: string) => ({
      annotations: { "metallb.io/loadBalancerIPs": ip },
      spec: { type: "LoadBalancer", externalTrafficPolicy: "Local" },
    });
    assert.deepStrictEqual(values.service, { enabled: true, ...lb("10.0.10.240"), additionalServices: { lan: lb("10.0.10.241") } });
  });

  it("spreads the replicas over nodes and keeps one through a drain", () => {
    assert.deepStrictEqual(values.topologySpreadConstraints, [
      {
        maxSkew: 1,
        topologyKey: "kubernetes.io/hostname",
        whenUnsatisfiable: "DoNotSchedule",
        nodeTaintsPolicy: "Honor",
        labelSelector: { matchLabels: POD_LABELS },
      },
    ]);
    assert.deepStrictEqual(values.podDisruptionBudget, { enabled: true, maxUnavailable: 1 });
    assert.equal(values.tolerations, undefined);
    assert.equal(values.nodeSelector, undefined);
  });

  it("listens on the chart's unprivileged ports, so the restricted profile holds: non-root 65532, no capabilities", () => {
    assert.equal(values.ports.web.port, undefined);
    assert.equal(values.ports.web.hostPort, undefined);
    assert.deepStrictEqual(values.podSecurityContext, {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: "RuntimeDefault" },
    });
    assert.deepStrictEqual(values.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
  });

  it("hands routes the LoadBalancer IP as the public entry address and the private entry beside it", () => {
    assert.deepStrictEqual(ingressEntryOf(homelab.traefik, homelab.cluster), {
      className: "traefik",
      placement: "deployment",
      addresses: ["10.0.10.240"],
      namespace: "traefik",
      podLabels: POD_LABELS,
      hostNetwork: false,
      nodeSources: [],
      trustsCloudflare: true,
      secureEntryPoint: "websecure",
      publicEntryPoints: ["websecure"],
      private: { entryPoint: "lan", port: 8444, addresses: ["10.0.10.241"], sources: ["10.0.10.0/24", "10.99.0.0/24"] },
    });
  });
});

describe("traefikValues, placement daemonset (edge stack)", () => {
  const values = valuesOf(edge);

  it("runs a DaemonSet on the host network that still resolves cluster Services", () => {
    assert.deepStrictEqual(values.deployment, { kind: "DaemonSet", dnsPolicy: "ClusterFirstWithHostNet" });
    assert.equal(values.hostNetwork, true);
    assert.deepStrictEqual(values.service, { enabled: false });
  });

  it("binds 80/443 with hostPort equal to port, and moves metrics off node-exporter's :9100", () => {
    assert.deepStrictEqual([values.ports.web.port, values.ports.web.hostPort], [80, 80]);
    assert.deepStrictEqual([values.ports.websecure.port, values.ports.websecure.hostPort], [443, 443]);
    assert.deepStrictEqual(values.ports.metrics, { port: 9101, hostPort: 9101, hostIP: "127.0.0.1" });
  });

  it("keeps the internal entry points (ping/API :8080, metrics :9101) on loopback, off every node address", () => {
    assert.deepStrictEqual(values.ports.traefik, { port: 8080, hostPort: 8080, hostIP: "127.0.0.1" });
    assert.equal(values.ports.metrics?.hostIP, "127.0.0.1");
  });

  it("rolls one node at a time without surging (host ports cannot surge)", () => {
    assert.deepStrictEqual(values.updateStrategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    assert.deepStrictEqual(values.podDisruptionBudget, { enabled: false });
  });

  it("tolerates the control-plane taint, so every node DNS points at runs Traefik", () => {
    assert.deepStrictEqual(values.tolerations, [CONTROL_PLANE_TOLERATION]);
    assert.equal(values.nodeSelector, undefined);
  });

  it("adds NET_BIND_SERVICE and nothing else, as root because a non-root process never gets the capability", () => {
    assert.deepStrictEqual(values.podSecurityContext, {
      runAsNonRoot: false,
      runAsUser: 0,
      runAsGroup: 0,
      seccompProfile: { type: "RuntimeDefault" },
    });
    assert.deepStrictEqual(values.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"], add: ["NET_BIND_SERVICE"] },
    });
  });

  it("hands routes every node's address, in node-name order, and the nodes and Talos' pod network as traffic sources", () => {
    const entry = ingressEntryOf(edge.traefik, edge.cluster);
    assert.deepStrictEqual(entry.addresses, ["192.168.50.11", "192.168.50.21", "192.168.50.22", "192.168.50.23"]);
    assert.deepStrictEqual(entry.nodeSources, ["192.168.50.11/32", "192.168.50.21/32", "192.168.50.22/32", "192.168.50.23/32"]);
    assert.equal(entry.podNetwork, "10.244.0.0/16");
    assert.equal(entry.hostNetwork, true);
  });

  it("on an existing cluster (k3s stack), hands routes the pod network the config names", () => {
    const entry = ingressEntryOf(k3s.traefik, k3s.cluster);
    assert.deepStrictEqual(entry.nodeSources, ["192.168.1.21/32", "192.168.1.22/32", "192.168.1.20/32"]);
    assert.equal(entry.podNetwork, "10.42.0.0/16");
  });

  it("on an existing cluster whose pod network the config omits, hands routes none (allowed while no app gets a NetworkPolicy)", () => {
    const withoutPolicies = validConfig("existing-cluster", {
      "cluster.network.podSubnet": undefined,
      namespaces: {},
      "apps.whoami.networkPolicy": false,
      "apps.notes.networkPolicy": false,
    });
    assert.equal("podNetwork" in ingressEntryOf(withoutPolicies.traefik, withoutPolicies.cluster), false);
  });
});

describe("traefikValues, placement controlplane (lab stack)", () => {
  const values = valuesOf(lab);

  it("runs Traefik on every control plane and nowhere else, so the node holding the VIP always has one", () => {
    assert.deepStrictEqual(values.deployment, { kind: "DaemonSet", dnsPolicy: "ClusterFirstWithHostNet" });
    assert.deepStrictEqual(values.nodeSelector, { "node-role.kubernetes.io/control-plane": "" });
    assert.deepStrictEqual(values.tolerations, [CONTROL_PLANE_TOLERATION]);
    assert.deepStrictEqual(values.updateStrategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  });

  it("uses the host network on 80/443 with no Service, and publishes the VIP in Ingress status", () => {
    assert.equal(values.hostNetwork, true);
    assert.deepStrictEqual(values.service, { enabled: false });
    assert.deepStrictEqual([values.ports.web.hostPort, values.ports.websecure.hostPort], [80, 443]);
    assert.deepStrictEqual(values.providers.kubernetesIngress.ingressEndpoint, { ip: "10.20.0.10" });
    assert.deepStrictEqual(values.securityContext.capabilities, { drop: ["ALL"], add: ["NET_BIND_SERVICE"] });
  });

  it("hands routes the VIP as the only entry address and the control planes and Talos' pod network as traffic sources", () => {
    const entry = ingressEntryOf(lab.traefik, lab.cluster);
    assert.deepStrictEqual(entry.addresses, ["10.20.0.10"]);
    assert.deepStrictEqual(entry.nodeSources, ["10.20.0.11/32", "10.20.0.12/32", "10.20.0.13/32"]);
    assert.equal(entry.podNetwork, "10.244.0.0/16");
    assert.equal(entry.trustsCloudflare, false);
  });
});

describe("traefikValues, common to every placement", () => {
  for (const [stack, config] of [
    ["homelab", homelab],
    ["edge", edge],
    ["lab", lab],
  ] as const) {
    const values = valuesOf(config);

    it(`${stack}: serves one default IngressClass with the Ingress and CRD providers, no cross-namespace references`, () => {
      assert.deepStrictEqual(values.ingressClass, { enabled: true, isDefaultClass: true, name: "traefik" });
      assert.equal(values.providers.kubernetesCRD.enabled, true);
      assert.equal(values.providers.kubernetesCRD.allowCrossNamespace, false);
      assert.equal(values.providers.kubernetesIngress.enabled, true);
    });

    it(`${stack}: exposes neither dashboard nor API`, () => {
      assert.deepStrictEqual(values.api, { dashboard: false });
      assert.deepStrictEqual(values.ingressRoute, { dashboard: { enabled: false } });
    });

    it(`${stack}: takes its resources, log level and access logs from the config`, () => {
      assert.deepStrictEqual(values.resources, config.traefik.resources);
      assert.deepStrictEqual(values.log, { level: config.traefik.logLevel });
      assert.deepStrictEqual(values.accessLog, { enabled: config.traefik.accessLogs });
      assert.deepStrictEqual(values.global, { checkNewVersion: false, sendAnonymousUsage: false });
    });
  }

  it("redirects web to websecure permanently, unless redirectToHttps is off", () => {
    assert.deepStrictEqual(valuesOf(homelab).ports.web.http, {
      redirections: { entryPoint: { to: "websecure", scheme: "https", permanent: true } },
    });
    const off = validConfig("deployment-behind-metallb", { "traefik.redirectToHttps": false });
    assert.equal(valuesOf(off).ports.web.http, undefined);
  });

  it("trusts forwarded headers from the looked-up Cloudflare ranges only (sorted), never insecurely", () => {
    const values = valuesOf(homelab);
    assert.deepStrictEqual(values.ports.web.forwardedHeaders, { trustedIPs: CLOUDFLARE_SORTED, insecure: false });
    assert.deepStrictEqual(values.ports.websecure.forwardedHeaders, { trustedIPs: CLOUDFLARE_SORTED, insecure: false });
    assert.equal(values.ports.web.proxyProtocol, undefined);
  });

  it("trusts no forwarder when Traefik does not trust Cloudflare", () => {
    assert.deepStrictEqual(valuesOf(lab).ports.websecure.forwardedHeaders, { trustedIPs: [], insecure: false });
  });

  it("accepts PROXY protocol from the same ranges when enabled", () => {
    const values = valuesOf(validConfig("daemonset-edge-site", { "traefik.proxyProtocol": true }));
    assert.deepStrictEqual(values.ports.web.proxyProtocol, { trustedIPs: CLOUDFLARE_SORTED, insecure: false });
    assert.deepStrictEqual(values.ports.websecure.proxyProtocol, { trustedIPs: CLOUDFLARE_SORTED, insecure: false });
  });

  it("allows ExternalName Services, in both providers, only when an app routes to one", () => {
    for (const [config, allowed] of [
      [homelab, true],
      [edge, false],
    ] as const) {
      const providers = valuesOf(config).providers;
      assert.deepStrictEqual(
        [providers.kubernetesIngress.allowExternalNameServices, providers.kubernetesCRD.allowExternalNameServices],
        [allowed, allowed],
      );
    }
  });

  it("turns access logs off and sets the log level as configured", () => {
    const values = valuesOf(validConfig("controlplane-on-vip", { "traefik.accessLogs": false }));
    assert.deepStrictEqual([values.accessLog, values.log], [{ enabled: false }, { level: "WARN" }]);
  });

  it("has no ACME resolver, storage or bypass unless traefik.acme is enabled", () => {
    const values = valuesOf(homelab);
    assert.equal(values.certificatesResolvers, undefined);
    assert.equal(values.persistence, undefined);
    assert.equal(values.ports.web.allowACMEByPass, undefined);
  });

  it("GIVEN one control plane and traefik.acme enabled, THEN one resolver stores on a volume and HTTP-01 bypasses the redirect", () => {
    const single = validConfig("controlplane-on-vip", {
      "cluster.nodes": { "lab-cp1": { role: "controlplane", ip: "10.20.0.11", vmId: 3011, proxmoxNode: "pve1" } },
      "traefik.acme": { enabled: true, email: "acme@example.org" },
    });
    const values = valuesOf(single);
    assert.deepStrictEqual(values.certificatesResolvers, {
      letsencrypt: { acme: { email: "acme@example.org", storage: "/data/acme.json", httpChallenge: { entryPoint: "web" } } },
    });
    assert.deepStrictEqual(values.persistence, { enabled: true });
    assert.equal(values.ports.web.allowACMEByPass, true);
  });

  it("GIVEN three control planes, WHEN traefik.acme is enabled, THEN the config is rejected (three pods, one ACME storage)", () => {
    const result = configFrom("controlplane-on-vip", { "traefik.acme": { enabled: true, email: "acme@example.org" } });
    assert.equal(result.ok, false);
    assert.deepStrictEqual(!result.ok && result.errors, [
      "homelab:traefik.acme.enabled: Traefik's ACME storage cannot be shared between the Traefik pods of 3 control planes; leave acme disabled (cert-manager issues certificates) or run exactly one Traefik pod (placement controlplane with one control plane listed) (got true)",
    ]);
  });
});

describe("traefikCrdUrls", () => {
  it("points every traefik.io CRD at the chart's release tag, so a chart bump upgrades them", () => {
    const urls = traefikCrdUrls(homelab.traefik.crdsSource, "41.3.0");
    assert.equal(urls.length, TRAEFIK_CRD_FILES.length);
    assert.equal(
      urls[0],
      "https://raw.githubusercontent.com/traefik/traefik-helm-chart/v41.3.0/traefik/crds/traefik.io_ingressroutes.yaml",
    );
    assert.ok(urls.every((u) => u.includes("/v41.3.0/traefik/crds/traefik.io_")));
  });
});

describe("MetalLB", () => {
  it("turns off the FRR-K8s BGP backend (L2 announcements need only the speaker) and admits objects while the validating webhook does not serve yet", () => {
    // The webhook serves only after the controller's certificate rotation, after the release is
    // ready: with the chart's default Fail the pools of the same `up` are refused (test/twin).
    assert.deepStrictEqual(metallbValues(), { frrk8s: { enabled: false }, crds: { validationFailurePolicy: "Ignore" } });
  });

  it("renders each pool in MetalLB's namespace and one advertisement naming every pool, sorted", () => {
    const pools = [
      { name: "services", addresses: ["10.0.10.240/28"], autoAssign: true },
      { name: "reserved", addresses: ["10.0.10.230-10.0.10.235"], autoAssign: false },
    ];
    assert.deepStrictEqual(ipAddressPoolManifest(pools[1]!), {
      apiVersion: "metallb.io/v1beta1",
      kind: "IPAddressPool",
      metadata: { name: "reserved", namespace: "metallb-system" },
      spec: { addresses: ["10.0.10.230-10.0.10.235"], autoAssign: false },
    });
    assert.deepStrictEqual(l2AdvertisementManifest(pools), {
      apiVersion: "metallb.io/v1beta1",
      kind: "L2Advertisement",
      metadata: { name: "l2", namespace: "metallb-system" },
      spec: { ipAddressPools: ["reserved", "services"] },
    });
  });
});

describe("cert-manager", () => {
  it("installs and keeps its CRDs, and self-checks DNS-01 through public resolvers only", () => {
    assert.deepStrictEqual(certManagerValues(homelab.certManager), {
      crds: { enabled: true, keep: true },
      dns01RecursiveNameservers: "1.1.1.1:53,9.9.9.9:53",
      dns01RecursiveNameserversOnly: true,
    });
  });

  it("renders one Let's Encrypt ClusterIssuer per configured issuer, answering DNS-01 through the token Secret", () => {
    assert.deepStrictEqual(clusterIssuerManifests(homelab.certManager, "example.com"), [
      {
        apiVersion: "cert-manager.io/v1",
        kind: "ClusterIssuer",
        metadata: { name: "letsencrypt-production" },
        spec: {
          acme: {
            server: "https://acme-v02.api.letsencrypt.org/directory",
            email: "admin@example.com",
            privateKeySecretRef: { name: "letsencrypt-production-account-key" },
            solvers: [
              {
                selector: { dnsZones: ["example.com"] },
                dns01: { cloudflare: { apiTokenSecretRef: { name: "cloudflare-api-token", key: "api-token" } } },
              },
            ],
          },
        },
      },
      {
        apiVersion: "cert-manager.io/v1",
        kind: "ClusterIssuer",
        metadata: { name: "letsencrypt-staging" },
        spec: {
          acme: {
            server: "https://acme-staging-v02.api.letsencrypt.org/directory",
            email: "admin@example.com",
            privateKeySecretRef: { name: "letsencrypt-staging-account-key" },
            solvers: [
              {
                selector: { dnsZones: ["example.com"] },
                dns01: { cloudflare: { apiTokenSecretRef: { name: "cloudflare-api-token", key: "api-token" } } },
              },
            ],
          },
        },
      },
    ]);
  });

  it("scopes an issuer's solver to its configured zones", () => {
    const production = clusterIssuerManifests(lab.certManager, lab.dns.zone).find((i) => i.metadata.name === "letsencrypt-production")!;
    assert.deepStrictEqual(production.spec.acme?.solvers?.[0]?.selector, { dnsZones: ["lab.example.org"] });
  });
});
