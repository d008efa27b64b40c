/**
 * Pulumi mocks shared by the offline synth, the tests and the benchmarks:
 * realistic outputs for every provider resource and invoke the program uses,
 * so `apply` chains run as they would in a real preview. An invoke the table
 * does not know fails loudly instead of returning nothing.
 */
import type * as pulumi from "@pulumi/pulumi";
import { TYPES, INVOKES } from "../contract/tokens.ts";

type Outputs = Record<string, unknown>;

/** The project's name (Pulumi.yaml): the mock URNs, synth's document and bare config keys use it. */
export const PROJECT = "homelab";

/** A fixed stand-in for Cloudflare's published ranges (the real list is looked up at deploy time). */
export const MOCK_CLOUDFLARE_RANGES = {
  ipv4Cidrs: ["173.245.48.0/20", "103.21.244.0/22", "104.16.0.0/13"],
  ipv6Cidrs: ["2400:cb00::/32", "2606:4700::/32"],
} as const;

const MOCK_ZONE_ID = "0123456789abcdef0123456789abcdef";
const MOCK_ACCOUNT_ID = "fedcba9876543210fedcba9876543210";
/** Cloudflare names a tunnel by a UUID, which its CNAME target `<id>.cfargotunnel.com` carries. */
export const MOCK_TUNNEL_ID = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
/** A stand-in tunnel token (base64 JSON of account, tunnel and secret, like the real one); it must never appear in synth output. */
export const MOCK_TUNNEL_TOKEN = Buffer.from(
  JSON.stringify({ a: MOCK_ACCOUNT_ID, t: MOCK_TUNNEL_ID, s: "bW9jay10dW5uZWwtc2VjcmV0" }),
).toString("base64");
/** The zone's SSL/TLS mode the mock lookup answers: Full (strict), the setting the stack expects. */
export const MOCK_ZONE_SSL_MODE = "strict";

const mockCert = (name: string) => Buffer.from(`-----BEGIN CERTIFICATE-----\nmock-${name}\n-----END CERTIFICATE-----\n`).toString("base64");

const clientConfiguration = {
  caCertificate: mockCert("talos-ca"),
  clientCertificate: mockCert("talos-admin"),
  clientKey: "mock-talos-admin-key",
};

function mockKubeconfig(host: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: homelab`,
    "  cluster:",
    `    server: ${host}`,
    `    certificate-authority-data: ${mockCert("k8s-ca")}`,
    "contexts:",
    "- name: admin@homelab",
    "  context: { cluster: homelab, user: admin@homelab }",
    "current-context: admin@homelab",
    "users:",
    "- name: admin@homelab",
    "  user:",
    `    client-certificate-data: ${mockCert("k8s-admin")}`,
    "    client-key-data: bW9jay1rZXk=",
    "",
  ].join("\n");
}

/** Outputs a real provider would add to a resource of this type. */
export function mockResourceOutputs(type: string, inputs: Outputs): Outputs {
  switch (type) {
    case TYPES.talosSecrets:
      return {
        talosVersion: inputs.talosVersion ?? "v1.13.9",
        clientConfiguration,
        machineSecrets: {
          cluster: { id: "mock-cluster-id", secret: "mock-cluster-secret" },
          secrets: { bootstrapToken: "mock.bootstraptoken", secretboxEncryptionSecret: "mock-secretbox" },
          trustdinfo: { token: "mock.trustdtoken" },
          certs: {
            etcd: { cert: mockCert("etcd"), key: "mock-etcd-key" },
            k8s: { cert: mockCert("k8s"), key: "mock-k8s-key" },
            k8sAggregator: { cert: mockCert("aggregator"), key: "mock-aggregator-key" },
            k8sServiceaccount: { key: "mock-sa-key" },
            os: { cert: mockCert("os"), key: "mock-os-key" },
          },
        },
      };
    case TYPES.configurationApply:
      return { machineConfiguration: inputs.machineConfigurationInput, resolvedApplyMode: inputs.applyMode ?? "auto" };
    case TYPES.kubeconfig: {
      const host = `https://${String(inputs.endpoint ?? inputs.node)}:6443`;
      return {
        kubeconfigRaw: mockKubeconfig(host),
        kubernetesClientConfiguration: {
          host,
          caCertificate: mockCert("k8s-ca"),
          clientCertificate: mockCert("k8s-admin"),
          clientKey: "mock-key",
        },
      };
    }
    case TYPES.schematic:
      return { id: "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba" };
    // The provider names a downloaded file by its volume id, which VM disks reference.
    case TYPES.download:
      return { id: `${String(inputs.datastoreId)}:${String(inputs.contentType)}/${String(inputs.fileName)}` };
    case TYPES.tunnel:
      return {
        id: MOCK_TUNNEL_ID,
        accountTag: inputs.accountId,
        status: "inactive",
        tunType: "cfd_tunnel",
        remoteConfig: inputs.configSrc === "cloudflare",
        createdAt: "2026-12-03T00:00:00Z",
      };
    case TYPES.release:
      return { status: { status: "deployed", namespace: inputs.namespace, name: inputs.name, version: inputs.version } };
    default:
      return {};
  }
}

/** Answers for the invokes the program makes. */
export function mockInvokeResult(token: string, args: Outputs): Outputs {
  switch (token) {
    case INVOKES.cloudflareIpRanges:
      return { ...MOCK_CLOUDFLARE_RANGES, id: "cloudflare-ip-ranges", chinaIpv4Cidrs: [], chinaIpv6Cidrs: [] };
    case INVOKES.cloudflareZone: {
      const filter = args.filter as { name?: string } | undefined;
      return {
        id: MOCK_ZONE_ID,
        zoneId: MOCK_ZONE_ID,
        name: filter?.name ?? "example.com",
        account: { id: MOCK_ACCOUNT_ID, name: "homelab" },
      };
    }
    case INVOKES.cloudflareZoneSetting:
      return {
        id: String(args.settingId),
        settingId: args.settingId,
        zoneId: args.zoneId,
        value: args.settingId === "ssl" ? MOCK_ZONE_SSL_MODE : "on",
        editable: true,
        enabled: true,
        modifiedOn: "2026-12-03T00:00:00Z",
        timeRemaining: 0,
      };
    case INVOKES.cloudflareTunnelToken:
      return { accountId: args.accountId, tunnelId: args.tunnelId, token: MOCK_TUNNEL_TOKEN };
    case INVOKES.talosMachineConfiguration:
      return {
        ...args,
        machineConfiguration: `version: v1alpha1\nmachine:\n  type: ${String(args.machineType)}\n  token: mock.machinetoken\ncluster:\n  clusterName: ${String(args.clusterName)}\n  controlPlane:\n    endpoint: ${String(args.clusterEndpoint)}\n`,
      };
    case INVOKES.talosClientConfiguration:
      return {
        ...args,
        talosConfig: `context: ${String(args.clusterName)}\ncontexts:\n  ${String(args.clusterName)}:\n    endpoints: ${JSON.stringify(args.endpoints ?? [])}\n    nodes: ${JSON.stringify(args.nodes ?? [])}\n    ca: ${clientConfiguration.caCertificate}\n    crt: ${clientConfiguration.clientCertificate}\n    key: mock\n`,
      };
    // The provider's health data source answers with its inputs and a fixed id once every check passes.
    case INVOKES.talosClusterHealth:
      return { ...args, id: "cluster_health" };
    case INVOKES.talosImageFactoryUrls: {
      const base = `https://factory.talos.dev/image/${String(args.schematicId)}/${String(args.talosVersion)}`;
      const platform = String(args.platform ?? "metal");
      const arch = String(args.architecture ?? "amd64");
      return {
        ...args,
        urls: {
          iso: `${base}/${platform}-${arch}.iso`,
          diskImage: `${base}/${platform}-${arch}.raw.zst`,
          installer: `factory.talos.dev/${platform}-installer/${String(args.schematicId)}:${String(args.talosVersion)}`,
        },
      };
    }
    default:
      throw new Error(`Mock not implemented: ${token}`);
  }
}

export const homelabMocks: pulumi.runtime.Mocks = {
  newResource(args) {
    const outputs = mockResourceOutputs(args.type, args.inputs);
    // Some providers' ids are data (an Image Factory schematic id is the schematic's hash).
    const id = args.custom ? String(outputs.id ?? `${args.name}-id`) : "";
    return { id, state: { ...args.inputs, ...outputs } };
  },
  call(args) {
    return mockInvokeResult(args.token, args.inputs);
  },
};
