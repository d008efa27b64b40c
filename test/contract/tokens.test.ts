/**
 * Type tokens are identity: a resource's URN carries its type, so a changed
 * token replaces the resource (and a component's children) on every existing
 * stack. The registry's values are pinned here, the one place a test spells
 * them, and nothing else in the program, its helpers or the twin spells one.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { COMPONENTS, INVOKES, SECRET_MARKER, SECRET_MARKER_TAG, TYPES, UNKNOWN_MARKER } from "../../contract/tokens.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const REGISTRY = "contract/tokens.ts";
/** Where tokens are read: every product folder and root file, the test helpers and the deployment twin (its modules; a test file may pin a value it asserts). */
const READERS = [
  "contract",
  "model",
  "builders",
  "config",
  "components",
  "synth",
  "policies",
  "tools",
  "scripts",
  "bench",
  "test/helpers",
  "test/twin",
];
const ROOT_FILES = ["index.ts", "platform.ts"];
/** `provider:module:Type` of every provider this program registers with, in a string literal. */
const TOKEN_LITERAL = /["'`](?:homelab|kubernetes|talos|proxmoxve|cloudflare|command|pulumi):[\w./-]*:[A-Za-z]\w*["'`]/g;
const MARKER_LITERAL = /["'`](?:\[secret\]|\[unknown\]|homelab:secretMarker)["'`]/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    if (e.name === "node_modules" || e.name === "tmp") return [];
    const path = `${dir}/${e.name}`;
    return e.isDirectory() ? sourceFiles(path) : /\.(ts|js|mjs|cjs)$/.test(e.name) && !e.name.endsWith(".test.ts") ? [path] : [];
  });
}

describe("the registry of type tokens and markers (contract/tokens.ts)", () => {
  it("keeps every token's value: each is a resource's identity on existing stacks", () => {
    assert.deepEqual(COMPONENTS, {
      traefik: "homelab:platform:Traefik",
      metallb: "homelab:platform:MetalLB",
      certManager: "homelab:platform:CertManager",
      gatewayApi: "homelab:platform:GatewayApi",
      etcdBackup: "homelab:platform:EtcdBackup",
      talosCluster: "homelab:cluster:TalosCluster",
      existingCluster: "homelab:cluster:ExistingCluster",
      appRoute: "homelab:routes:AppRoute",
      appNamespaces: "homelab:routes:AppNamespaces",
      wildcardCertificates: "homelab:tls:WildcardCertificates",
      lanDns: "homelab:dns:LanDns",
      cloudflareTunnel: "homelab:tunnel:CloudflareTunnel",
      zoneEdge: "homelab:cloudflare:ZoneEdge",
      cloudflareIpRanges: "homelab:cloudflare:IpRanges",
    });
    assert.deepEqual(TYPES, {
      namespace: "kubernetes:core/v1:Namespace",
      secret: "kubernetes:core/v1:Secret",
      service: "kubernetes:core/v1:Service",
      serviceAccount: "kubernetes:core/v1:ServiceAccount",
      configMap: "kubernetes:core/v1:ConfigMap",
      deployment: "kubernetes:apps/v1:Deployment",
      cronJob: "kubernetes:batch/v1:CronJob",
      job: "kubernetes:batch/v1:Job",
      podDisruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
      ingress: "kubernetes:networking.k8s.io/v1:Ingress",
      ingressClass: "kubernetes:networking.k8s.io/v1:IngressClass",
      networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
      endpointSlice: "kubernetes:discovery.k8s.io/v1:EndpointSlice",
      customResourceDefinition: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
      release: "kubernetes:helm.sh/v3:Release",
      configGroup: "kubernetes:yaml/v2:ConfigGroup",
      configFile: "kubernetes:yaml/v2:ConfigFile",
      configGroupV1: "kubernetes:yaml:ConfigGroup",
      configFileV1: "kubernetes:yaml:ConfigFile",
      ingressRoute: "kubernetes:traefik.io/v1alpha1:IngressRoute",
      ingressRouteTcp: "kubernetes:traefik.io/v1alpha1:IngressRouteTCP",
      middleware: "kubernetes:traefik.io/v1alpha1:Middleware",
      middlewareTcp: "kubernetes:traefik.io/v1alpha1:MiddlewareTCP",
      serversTransport: "kubernetes:traefik.io/v1alpha1:ServersTransport",
      tlsStore: "kubernetes:traefik.io/v1alpha1:TLSStore",
      certificate: "kubernetes:cert-manager.io/v1:Certificate",
      clusterIssuer: "kubernetes:cert-manager.io/v1:ClusterIssuer",
      issuer: "kubernetes:cert-manager.io/v1:Issuer",
      ipAddressPool: "kubernetes:metallb.io/v1beta1:IPAddressPool",
      l2Advertisement: "kubernetes:metallb.io/v1beta1:L2Advertisement",
      bgpAdvertisement: "kubernetes:metallb.io/v1beta1:BGPAdvertisement",
      httpRoute: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
      grpcRoute: "kubernetes:gateway.networking.k8s.io/v1:GRPCRoute",
      tlsRoute: "kubernetes:gateway.networking.k8s.io/v1:TLSRoute",
      referenceGrant: "kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant",
      k8sProvider: "pulumi:providers:kubernetes",
      talosSecrets: "talos:machine/secrets:Secrets",
      configurationApply: "talos:machine/configurationApply:ConfigurationApply",
      bootstrap: "talos:machine/bootstrap:Bootstrap",
      kubeconfig: "talos:cluster/kubeconfig:Kubeconfig",
      schematic: "talos:imageFactory/schematic:Schematic",
      vm: "proxmoxve:index/vmLegacy:VmLegacy",
      download: "proxmoxve:download/file:File",
      dnsRecord: "cloudflare:index/dnsRecord:DnsRecord",
      tunnel: "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared",
      tunnelConfig: "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig",
      command: "command:local:Command",
    });
    assert.deepEqual(INVOKES, {
      talosMachineConfiguration: "talos:machine/getConfiguration:getConfiguration",
      talosClientConfiguration: "talos:client/getConfiguration:getConfiguration",
      talosImageFactoryUrls: "talos:imageFactory/getUrls:getUrls",
      talosClusterHealth: "talos:cluster/getHealth:getHealth",
      cloudflareIpRanges: "cloudflare:index/getIpRanges:getIpRanges",
      cloudflareZone: "cloudflare:index/getZone:getZone",
      cloudflareZoneSetting: "cloudflare:index/getZoneSetting:getZoneSetting",
      cloudflareTunnelToken: "cloudflare:index/getZeroTrustTunnelCloudflaredToken:getZeroTrustTunnelCloudflaredToken",
    });
  });

  it("keeps the synth's markers, which the offline runner and the pack's secret rules read", () => {
    assert.deepEqual(
      { SECRET_MARKER, UNKNOWN_MARKER, SECRET_MARKER_TAG },
      { SECRET_MARKER: "[secret]", UNKNOWN_MARKER: "[unknown]", SECRET_MARKER_TAG: "homelab:secretMarker" },
    );
  });

  it("is the only place a token or marker is spelt: the program, the pack, synth, tools, the test helpers and the twin read it", () => {
    const files = [...READERS.flatMap(sourceFiles), ...ROOT_FILES].filter((f) => f !== REGISTRY);
    const spelt = files.flatMap((file) => {
      // A comment may name a token to explain; code reads the registry.
      const source = readFileSync(join(root, file), "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/^\s*\/\/.*$/gm, "");
      return [...source.matchAll(TOKEN_LITERAL), ...source.matchAll(MARKER_LITERAL)].map(
        (m) => `${relative(root, join(root, file))}: ${m[0]}`,
      );
    });
    assert.deepEqual(spelt, []);
  });

  it("holds each token once, so no two names stand for one resource type", () => {
    const values = [...Object.values(COMPONENTS), ...Object.values(TYPES), ...Object.values(INVOKES)];
    assert.deepEqual(
      values.filter((v, i) => values.indexOf(v) !== i),
      [],
    );
  });
});
