/**
 * The platform, wired: cluster → MetalLB → Traefik → cert-manager → routes.
 * Each component hands the next a small typed value (ClusterAccess,
 * IngressEntry, Issuers); this file only connects them.
 */
import * as pulumi from "@pulumi/pulumi";
import type { HomelabConfig } from "./config/resolve.ts";
import { ConfigError, type StackSecrets } from "./config/load.ts";
import { createCluster } from "./components/cluster.ts";
import { MetalLB } from "./components/metallb.ts";
import { Traefik } from "./components/traefik.ts";
import { GatewayApi } from "./components/gateway-api.ts";
import { CertManager } from "./components/cert-manager.ts";
import { AppNamespaces } from "./components/app-namespaces.ts";
import { AppRoute } from "./components/app-route.ts";
import { cloudflareRanges, needsCloudflareRanges, zoneId } from "./components/cloudflare.ts";

export interface PlatformOutputs {
  readonly kubeconfig: pulumi.Output<string>;
  readonly talosconfig?: pulumi.Output<string>;
  readonly apiEndpoint: pulumi.Input<string>;
  readonly nodes: readonly { name: string; role: string; ip: string }[];
  readonly ingress: { readonly className: string; readonly placement: string; readonly addresses: readonly string[] };
  readonly issuers: readonly string[];
  readonly routes: Readonly<Record<string, readonly string[]>>;
}

/** The secret config key cert-manager's DNS-01 token comes from, most specific first. */
const DNS01_TOKEN_KEYS = ["homelab:dns01Token", "cloudflare:apiToken"] as const;

export async function homelabPlatform(config: HomelabConfig, secrets: StackSecrets): Promise<PlatformOutputs> {
  const dns01 = dns01Token(secrets);
  const cluster = createCluster("cluster", config.cluster, secrets);
  // The SDK sends registrations only when the program yields: without this the
  // engine would see nothing until every app's route had been declared, and the
  // cluster (VMs, Talos: the long pole of an `up`) would start last.
  await new Promise<void>((resolve) => setImmediate(resolve));
  const k8s = { provider: cluster.provider };
  const ranges = needsCloudflareRanges(config) ? cloudflareRanges() : undefined;

  const metallb = config.metallb.enabled ? new MetalLB("metallb", { metallb: config.metallb }, k8s) : undefined;
  const gatewayApi = config.traefik.gatewayApi.enabled ? new GatewayApi("gateway-api", { config }, k8s) : undefined;
  const traefik = new Traefik("traefik", {
    traefik: config.traefik,
    cluster: cluster.spec,
    cloudflareRanges: ranges,
    ...(metallb ? { addressPools: metallb.ready } : {}),
    ...(gatewayApi ? { gatewayApi } : {}),
  }, k8s);
  const certManager = new CertManager("cert-manager", {
    certManager: config.certManager,
    zone: config.dns.zone,
    cloudflareApiToken: dns01,
    ...(gatewayApi ? { gatewayApiCrds: gatewayApi.crds } : {}),
  }, k8s);
  const namespaces = new AppNamespaces("namespaces", { namespaces: config.namespaces, apps: config.apps, entry: traefik.entry }, k8s);
  const zone = zoneId(config.dns);

  for (const app of config.apps) {
    new AppRoute(app.name, {
      app,
      entry: traefik.entry,
      issuers: certManager.issuers,
      dns: config.dns,
      zoneId: zone,
      cloudflareRanges: ranges,
      ...(app.middlewares?.basicAuth ? { basicAuthUsers: secrets.homelab(app.middlewares.basicAuth.usersSecret) } : {}),
    }, { ...k8s, dependsOn: [...namespaces.ready] });
  }

  return {
    kubeconfig: cluster.kubeconfig,
    ...(cluster.talosconfig ? { talosconfig: cluster.talosconfig } : {}),
    apiEndpoint: cluster.apiEndpoint,
    nodes: cluster.spec.nodes.map((n) => ({ name: n.name, role: n.role, ip: n.ip })),
    ingress: { className: traefik.entry.className, placement: traefik.entry.placement, addresses: traefik.entry.addresses },
    issuers: certManager.issuers.names,
    routes: Object.fromEntries(config.apps.map((a) => [a.name, a.hosts])),
  };
}

function dns01Token(secrets: StackSecrets): pulumi.Output<string> {
  for (const key of DNS01_TOKEN_KEYS) {
    const token = secrets.optional(key);
    if (token) return token;
  }
  throw new ConfigError([`${DNS01_TOKEN_KEYS.join(" / ")}: cert-manager needs a Cloudflare API token for DNS-01 (Zone:DNS:Edit); set it with: pulumi config set --secret ${DNS01_TOKEN_KEYS[1]} <token>`]);
}
