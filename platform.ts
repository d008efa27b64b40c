/**
 * The platform, wired: cluster → MetalLB → Traefik → cert-manager → routes.
 * Each component hands the next a small typed value (ClusterAccess,
 * IngressEntry, Issuers); this file only connects them.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { HomelabConfig } from "./model/resolve.ts";
import { ConfigError, type StackSecrets } from "./config/load.ts";
import { DNS01_TOKEN_KEY } from "./config/stack-keys.ts";
import { createCluster } from "./components/cluster.ts";
import { MetalLB } from "./components/metallb.ts";
import { type IngressOutputs, Traefik, ingressOutputs } from "./components/traefik.ts";
import { GatewayApi } from "./components/gateway-api.ts";
import { CertManager } from "./components/cert-manager.ts";
import { AppNamespaces } from "./components/app-namespaces.ts";
import { AppRoute } from "./components/app-route.ts";
import { EtcdBackup } from "./components/etcd-backup.ts";
import { CloudflareIpRanges, needsCloudflareRanges, zoneId, zoneSslMode } from "./components/cloudflare.ts";
import { ZoneEdge } from "./components/cloudflare-edge.ts";
import { LanDns } from "./components/lan-dns.ts";
import { WildcardCertificates } from "./components/wildcard-certificates.ts";
import { tunnelIngressRules } from "./builders/tunnel.ts";
import { lanDnsEntries, type LanDnsEntry } from "./builders/lan-dns.ts";
import { networkPolicyEnforcer } from "./model/network-policies.ts";
import { declareInBatches, sendDeclared } from "./declare-in-batches.ts";

export interface PlatformOutputs {
  readonly kubeconfig: pulumi.Output<string>;
  readonly talosconfig?: pulumi.Output<string>;
  readonly apiEndpoint: pulumi.Input<string>;
  readonly nodes: readonly { name: string; role: string; ip: string }[];
  readonly ingress: IngressOutputs;
  readonly issuers: readonly string[];
  readonly routes: Readonly<Record<string, readonly string[]>>;
  /** The S3 lifecycle configuration that expires etcd snapshots, when backups are configured. */
  readonly etcdBackupLifecycle?: string;
  /** What a LAN resolver answers for the private apps (also out/<stack>/lan-dns/ in synth). */
  readonly lanDns: readonly LanDnsEntry[];
  /** Tunnel entry: the CNAME target of the tunnelled hosts. */
  readonly tunnel?: { readonly name: string; readonly cnameTarget: pulumi.Output<string> };
}

/** The secret config key cert-manager's DNS-01 token comes from, most specific first. */
const DNS01_TOKEN_KEYS = [DNS01_TOKEN_KEY, "cloudflare:apiToken"] as const;

export async function homelabPlatform(config: HomelabConfig, secrets: StackSecrets): Promise<PlatformOutputs> {
  const dns01 = dns01Token(secrets);
  const ranges = needsCloudflareRanges(config) ? new CloudflareIpRanges("cloudflare-ip-ranges") : undefined;
  const cluster = createCluster("cluster", config.cluster, secrets, ranges?.ipv4);
  // Without this the engine would see nothing until every app's route had been
  // declared, and the cluster (VMs, Talos: the long pole of an `up`) would start
  // last; it also brings the first registration forward (bench/results.md, start-up).
  await sendDeclared();
  const k8s = { provider: cluster.provider };
  const enforcer = networkPolicyEnforcer(config.cluster);

  const metallb = config.metallb.enabled ? new MetalLB("metallb", { metallb: config.metallb }, k8s) : undefined;
  const gatewayApi = config.traefik.gatewayApi.enabled ? new GatewayApi("gateway-api", { config }, k8s) : undefined;
  const traefik = new Traefik(
    "traefik",
    {
      traefik: config.traefik,
      cluster: cluster.spec,
      cloudflareRanges: ranges,
      ...(config.tunnel ? { tunnelForwarders: config.tunnel.forwarders } : {}),
      ...(metallb ? { addressPools: metallb.ready } : {}),
      ...(gatewayApi ? { gatewayApi } : {}),
    },
    k8s,
  );
  const certManager = new CertManager(
    "cert-manager",
    {
      certManager: config.certManager,
      zone: config.dns.zone,
      cloudflareApiToken: dns01,
      ...(gatewayApi ? { gatewayApiCrds: gatewayApi.crds } : {}),
    },
    k8s,
  );
  const wildcards =
    config.certManager.wildcardZones.length > 0
      ? new WildcardCertificates(
          "wildcard-certificates",
          {
            zones: config.certManager.wildcardZones,
            issuer: config.certManager.defaultIssuer,
            issuers: certManager.issuers,
            entry: traefik.entry,
          },
          k8s,
        )
      : undefined;
  const namespaces = new AppNamespaces(
    "namespaces",
    {
      namespaces: config.namespaces,
      apps: config.apps,
      entry: traefik.entry,
      networkPolicyEnforcer: enforcer,
    },
    k8s,
  );
  const zone = zoneId(config.dns);
  const spec = config.cluster;
  const etcdBackup =
    spec.provider === "talos" && spec.backup
      ? new EtcdBackup(
          "etcd-backup",
          {
            backup: spec.backup,
            clusterName: spec.name,
            accessKeyId: secrets.homelab(spec.backup.s3.accessKeyIdSecret),
            secretAccessKey: secrets.homelab(spec.backup.s3.secretAccessKeySecret),
          },
          k8s,
        )
      : undefined;
  // Loaded by tunnel stacks only: the cloudflared Deployment, PDB and tunnel modules stay off every other stack's start path.
  const tunnel = config.tunnel
    ? new (await import("./components/cloudflare-tunnel.ts")).CloudflareTunnel(
        "tunnel",
        {
          tunnel: config.tunnel,
          dns: config.dns,
          ingressRules: tunnelIngressRules(config),
          entry: traefik.entry,
          traefik: config.traefik,
          networkPolicyEnforcer: enforcer,
        },
        k8s,
      )
    : undefined;
  const proxiedHosts = [...new Set(config.apps.filter((a) => a.proxied).flatMap((a) => a.hosts))].sort();
  if (proxiedHosts.length > 0) {
    new ZoneEdge("zone-edge", {
      zone: config.dns.zone,
      sslMode: zoneSslMode(zone),
      entry: tunnel ? "tunnel" : "portForward",
      redirectToHttps: config.traefik.redirectToHttps,
      proxiedHosts,
    });
  }
  const lanDns = lanDnsEntries(config.apps, traefik.entry.private?.addresses ?? []);
  if (lanDns.length > 0) new LanDns("lan-dns", { entries: lanDns });

  await declareInBatches(config.apps, (app) => {
    new AppRoute(
      app.name,
      {
        app,
        entry: traefik.entry,
        issuers: certManager.issuers,
        dns: config.dns,
        zoneId: zone,
        cloudflareRanges: ranges,
        ...(tunnel ? { tunnelTarget: tunnel.cnameTarget, tunnelReady: tunnel.ready } : {}),
        ...(app.middlewares?.basicAuth ? { basicAuthUsers: secrets.homelab(app.middlewares.basicAuth.usersSecret) } : {}),
      },
      { ...k8s, dependsOn: [...namespaces.ready, ...(app.wildcardZone && wildcards ? wildcards.ready : [])] },
    );
  });

  return {
    kubeconfig: cluster.kubeconfig,
    ...(cluster.talosconfig ? { talosconfig: cluster.talosconfig } : {}),
    apiEndpoint: cluster.apiEndpoint,
    nodes: cluster.spec.nodes.map((n) => ({ name: n.name, role: n.role, ip: n.ip })),
    ingress: ingressOutputs(traefik.entry),
    issuers: certManager.issuers.names,
    routes: Object.fromEntries(config.apps.map((a) => [a.name, a.hosts])),
    ...(etcdBackup ? { etcdBackupLifecycle: etcdBackup.lifecycle } : {}),
    lanDns,
    ...(tunnel && config.tunnel ? { tunnel: { name: config.tunnel.name, cnameTarget: tunnel.cnameTarget } } : {}),
  };
}

function dns01Token(secrets: StackSecrets): pulumi.Output<string> {
  for (const key of DNS01_TOKEN_KEYS) {
    const token = secrets.optional(key);
    if (token) return token;
  }
  throw new ConfigError([
    `${DNS01_TOKEN_KEYS.join(" / ")}: cert-manager needs a Cloudflare API token for DNS-01 (Zone:DNS:Edit); set it with: pulumi config set --secret ${DNS01_TOKEN_KEYS[1]} <token>`,
  ]);
}
