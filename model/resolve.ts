/**
 * Turns the parsed config into the one frozen HomelabConfig the components
 * read: per-node defaults merged, derived addresses computed, app defaults
 * applied. Derived values are computed here and nowhere else.
 */
import { DEFAULTS } from "./defaults.ts";
import type { AppConfig, EtcdBackupConfig, NodeRole, ParsedConfig, Placement } from "./schema.ts";
import { addressRange, firstAddress, firstHost, intToIp, prefixLength } from "../contract/net.ts";
import { networkPolicyEnforcer } from "../builders/network-policies.ts";
import { coveringWildcardZone } from "../builders/wildcard-certs.ts";
import { admitsTraefik } from "../builders/routes.ts";
import { own } from "./own.ts";

export interface ClusterNode {
  /** The config key: host name and resource identity. */
  readonly name: string;
  readonly role: NodeRole;
  readonly ip: string;
}

export interface TalosNode extends ClusterNode {
  readonly vmId: number;
  readonly proxmoxNode: string;
  readonly macAddress?: string;
  readonly installDisk: string;
  readonly cores: number;
  readonly sockets: number;
  readonly cpuType: string;
  readonly memory: number;
  readonly diskDatastore: string;
  readonly diskSize: number;
  readonly diskInterface: string;
  readonly bridge: string;
  readonly vlan?: number;
  /** Set while the node is being removed (schema: cluster.nodes.<name>.retire). */
  readonly retire?: "reset" | "forget";
}

/** Where etcd snapshots go, with the defaults that depend on other keys applied. */
export interface EtcdBackupSpec {
  readonly image: string;
  readonly schedule: string;
  readonly agePublicKey: string;
  readonly retentionDays: number;
  readonly s3: {
    readonly endpoint?: string;
    readonly bucket: string;
    readonly region: string;
    readonly prefix: string;
    readonly pathStyle: boolean;
    readonly accessKeyIdSecret: string;
    readonly secretAccessKeySecret: string;
  };
}

export interface TalosClusterSpec {
  readonly provider: "talos";
  readonly name: string;
  readonly talos: ParsedTalos;
  readonly network: {
    readonly subnet: string;
    readonly prefixLength: number;
    readonly gateway: string;
    readonly nameservers: readonly string[];
    readonly interface: string;
    readonly vip?: string;
    /** Talos' default pod network: the machine config leaves cluster.network.podSubnets alone. */
    readonly podSubnet: string;
  };
  /** Sorted by name, so output order never depends on YAML order. */
  readonly nodes: readonly TalosNode[];
  readonly allowSchedulingOnControlPlanes: boolean;
  /** The name of the control plane etcd is bootstrapped on and the kubeconfig comes from. */
  readonly bootstrapNode: string;
  /** The Proxmox hosts VMs may run on, when the config lists them. */
  readonly proxmoxHosts?: readonly string[];
  readonly backup?: EtcdBackupSpec;
  /** The stack declares NetworkPolicies (an app's allow-traefik or a namespace's default deny), so the CNI must enforce them. */
  readonly networkPolicies: boolean;
  /** Talos' host firewall, when enabled. */
  readonly firewall?: TalosFirewallSpec;
}

export interface TalosFirewallSpec {
  /** Sources of the Talos API and the Kubernetes API. */
  readonly adminSubnets: readonly string[];
  /** The nodes Traefik listens on :80/:443 on (host-network placements), by name; empty for the deployment placement. */
  readonly ingressNodes: readonly string[];
  /** Who may open :80/:443 on those nodes besides the cluster's pods. */
  readonly ingressSources: readonly string[];
  /** Proxied apps: Cloudflare's edge (its deploy-time ranges) may open :80/:443 too. */
  readonly ingressFromCloudflare: boolean;
  /** MetalLB's speakers gossip on 7946 between the nodes. */
  readonly metallb: boolean;
}
type ParsedTalos = Extract<ParsedConfig["cluster"], { provider: "talos" }>["talos"];

export interface ExistingClusterSpec {
  readonly provider: "existing";
  readonly name: string;
  readonly kubeconfigSecret: string;
  readonly network: { readonly subnet?: string; readonly vip?: string; readonly podSubnet?: string };
  readonly nodes: readonly ClusterNode[];
  /** What the config states; nothing here can check it. */
  readonly enforcesNetworkPolicies: boolean;
}

export type ClusterSpec = TalosClusterSpec | ExistingClusterSpec;

export interface ChartRef {
  readonly chart: string;
  readonly version: string;
  readonly repository: string;
}

export interface AppSpec extends Omit<AppConfig, "issuer" | "proxied"> {
  /** The config key: resource identity and name prefix. */
  readonly name: string;
  readonly issuer: string;
  readonly proxied: boolean;
  /** certManager.wildcardZones entry whose `*.<zone>` certificate serves all of the app's hosts (from the default issuer). */
  readonly wildcardZone?: string;
}

export interface HomelabConfig {
  readonly cluster: ClusterSpec;
  readonly metallb: {
    readonly enabled: boolean;
    readonly pools: readonly { readonly name: string; readonly addresses: readonly string[]; readonly autoAssign: boolean }[];
    readonly chart: ChartRef;
  };
  readonly traefik: Omit<
    ParsedConfig["traefik"],
    "replicas" | "trustCloudflare" | "chart" | "placement" | "loadBalancerIP" | "pool" | "gatewayApi" | "privateEntry"
  > & {
    readonly placement: Placement;
    /** Deployment placement only: the host-network placements run one pod per node they select. */
    readonly replicas?: number;
    /** Deployment placement: the MetalLB address the Service requests. */
    readonly loadBalancerIP?: string;
    readonly pool?: string;
    readonly trustCloudflare: boolean;
    readonly chart: ChartRef;
    /** Some app routes to an ExternalName Service, which Traefik's providers refuse unless allowed. */
    readonly allowExternalNameServices: boolean;
    readonly gatewayApi: Omit<ParsedConfig["traefik"]["gatewayApi"], "enabled"> & { readonly enabled: boolean };
    /** Present when an app is private: where and from where LAN clients reach the private apps. */
    readonly privateEntry?: PrivateEntrySpec;
    /**
     * Tunnel entry with the trust narrowed to cloudflared: placement deployment
     * on a cluster that enforces NetworkPolicies, where a NetworkPolicy can
     * admit cloudflared's pods alone to the entry point that trusts them.
     */
    readonly tunnelEntryPoint: boolean;
  };
  readonly certManager: Omit<ParsedConfig["certManager"], "chart"> & { readonly chart: ChartRef };
  readonly dns: ParsedConfig["dns"];
  /** Sorted by name. */
  readonly apps: readonly AppSpec[];
  readonly namespaces: readonly { readonly name: string; readonly podSecurity: "restricted" | "baseline"; readonly defaultDeny: boolean }[];
  /** Present when the entry is a Cloudflare Tunnel (tunnel.enabled). */
  readonly tunnel?: TunnelSpec;
}

export interface PrivateEntrySpec {
  /** Placement deployment: the private entry's own MetalLB address (the host-network placements share the node addresses). */
  readonly loadBalancerIP?: string;
  /** The ranges every private route's ipAllowList admits. */
  readonly sources: readonly string[];
}

export interface TunnelSpec {
  readonly name: string;
  readonly accountId?: string;
  readonly replicas: number;
  readonly image: string;
  readonly namespace: string;
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Whether the config declares any NetworkPolicy: an in-cluster app's allow-traefik, or a namespace's default deny. */
export function declaresNetworkPolicies(p: Pick<ParsedConfig, "apps" | "namespaces">): boolean {
  return Object.values(p.apps).some(admitsTraefik) || Object.values(p.namespaces).some((n) => n.defaultDeny);
}

/** The nodes a host-network Traefik listens on: every node (daemonset), the control planes (controlplane), none (deployment). */
function traefikHostNodes(p: ParsedConfig): string[] {
  const nodes = Object.entries(p.cluster.nodes);
  if (p.traefik.placement === "daemonset") return nodes.map(([name]) => name).sort();
  if (p.traefik.placement === "controlplane")
    return nodes
      .filter(([, n]) => n.role === "controlplane")
      .map(([name]) => name)
      .sort();
  return [];
}

function resolveFirewall(p: ParsedConfig): TalosFirewallSpec | undefined {
  const c = p.cluster;
  if (c.provider !== "talos" || !c.firewall.enabled) return undefined;
  const apps = Object.values(p.apps);
  return {
    adminSubnets: c.firewall.adminSubnets ?? [c.network.subnet],
    ingressNodes: traefikHostNodes(p),
    // Private apps' clients are the LAN's: they open nothing to the internet.
    ingressSources:
      c.firewall.ingressSources ??
      (apps.some((a) => !a.private && !isProxied(a, p.dns)) ? ["0.0.0.0/0"] : apps.some((a) => a.private) ? privateSources(p) : []),
    ingressFromCloudflare: apps.some((a) => isProxied(a, p.dns)),
    metallb: metallbEnabled(p),
  };
}

function resolveCluster(c: ParsedConfig["cluster"], networkPolicies: boolean, firewall: TalosFirewallSpec | undefined): ClusterSpec {
  if (c.provider === "existing") {
    return {
      provider: "existing",
      name: c.name,
      kubeconfigSecret: c.kubeconfigSecret,
      network: c.network,
      nodes: Object.entries(c.nodes)
        .map(([name, n]) => ({ name, role: n.role, ip: n.ip }))
        .sort(byName),
      enforcesNetworkPolicies: c.enforcesNetworkPolicies,
    };
  }
  const d = c.nodeDefaults;
  const nodes: TalosNode[] = Object.entries(c.nodes).map(([name, n]) => ({
    name,
    role: n.role,
    ip: n.ip,
    vmId: n.vmId,
    proxmoxNode: n.proxmoxNode,
    ...(n.macAddress ? { macAddress: n.macAddress.toUpperCase() } : {}),
    installDisk: n.installDisk ?? c.talos.installDisk,
    cores: n.cores ?? d.cores ?? DEFAULTS.node.cores,
    sockets: n.sockets ?? d.sockets ?? DEFAULTS.node.sockets,
    cpuType: n.cpuType ?? d.cpuType ?? DEFAULTS.node.cpuType,
    memory: n.memory ?? d.memory ?? DEFAULTS.node.memory,
    diskDatastore: n.diskDatastore ?? d.diskDatastore ?? DEFAULTS.node.diskDatastore,
    diskSize: n.diskSize ?? d.diskSize ?? DEFAULTS.node.diskSize,
    diskInterface: n.diskInterface ?? d.diskInterface ?? DEFAULTS.node.diskInterface,
    bridge: n.bridge ?? d.bridge ?? DEFAULTS.node.bridge,
    ...((n.vlan ?? d.vlan) !== undefined ? { vlan: (n.vlan ?? d.vlan)! } : {}),
    ...(n.retire ? { retire: n.retire } : {}),
  }));
  nodes.sort(byName);
  return {
    provider: "talos",
    name: c.name,
    talos: c.talos,
    network: {
      subnet: c.network.subnet,
      prefixLength: prefixLength(c.network.subnet),
      gateway: c.network.gateway ?? firstHost(c.network.subnet),
      nameservers: c.network.nameservers,
      interface: c.network.interface,
      ...(c.network.vip ? { vip: c.network.vip } : {}),
      podSubnet: DEFAULTS.talos.podSubnet,
    },
    nodes,
    allowSchedulingOnControlPlanes: c.allowSchedulingOnControlPlanes,
    bootstrapNode: c.bootstrapNode ?? controlPlanes({ nodes })[0]?.name ?? "",
    ...(c.proxmox.hosts ? { proxmoxHosts: c.proxmox.hosts } : {}),
    ...(c.backup ? { backup: resolveBackup(c.backup, c.name) } : {}),
    networkPolicies,
    ...(firewall ? { firewall } : {}),
  };
}

function resolveBackup(b: EtcdBackupConfig, clusterName: string): EtcdBackupSpec {
  const { pathStyle, prefix, endpoint, ...s3 } = b.s3;
  return {
    image: DEFAULTS.backup.image,
    schedule: b.schedule,
    agePublicKey: b.agePublicKey,
    retentionDays: b.retentionDays,
    s3: { ...s3, ...(endpoint ? { endpoint } : {}), prefix: prefix ?? clusterName, pathStyle: pathStyle ?? endpoint !== undefined },
  };
}

/** The nodes that stay: every node not being retired. */
export function activeNodes<N extends ClusterNode>(nodes: readonly N[]): N[] {
  return nodes.filter((n) => !(n as Partial<TalosNode>).retire);
}

/** Whether this config installs MetalLB: explicitly, or because the placement needs a LoadBalancer IP. */
export function metallbEnabled(p: ParsedConfig): boolean {
  return p.metallb.enabled ?? p.traefik.placement === "deployment";
}

/** A cluster's control-plane nodes, in the cluster's (name) order: the first bootstraps etcd. */
export function controlPlanes<N extends { readonly role: NodeRole }>(cluster: { readonly nodes: readonly N[] }): N[] {
  return cluster.nodes.filter((n) => n.role === "controlplane");
}

/** Whether an app's records go through Cloudflare's proxy: its own setting, else dns.proxied (a private app never, unless it says so). */
export function isProxied(
  app: Pick<AppConfig, "proxied"> & Partial<Pick<AppConfig, "private" | "kind">>,
  dns: Pick<ParsedConfig["dns"], "proxied">,
): boolean {
  // Cloudflare's proxy ends TLS at its edge, which a passthrough app exists to avoid: never proxied unless it says so (and the checks refuse that).
  return app.proxied ?? (app.private || isPassthrough(app) ? false : dns.proxied);
}

/** Apps routed by SNI to a backend that terminates TLS itself: no certificate, no HTTP middleware. */
export function isPassthrough(app: Partial<Pick<AppConfig, "kind">>): boolean {
  return app.kind === "tlsPassthrough" || app.kind === "tlsRoute";
}

/**
 * Whether Traefik trusts X-Forwarded-* from Cloudflare: traefik.trustCloudflare,
 * else dns.proxied. Through a tunnel every request comes from cloudflared in
 * the cluster, never from Cloudflare's ranges, so the default is off there.
 */
export function trustsCloudflare(p: Pick<ParsedConfig, "traefik" | "dns"> & Partial<Pick<ParsedConfig, "tunnel">>): boolean {
  return p.traefik.trustCloudflare ?? (p.dns.proxied && !p.tunnel?.enabled);
}

/** The cluster's pod network: Talos' default, or what an existing cluster's config names. */
export function podNetworkOf(cluster: ParsedConfig["cluster"]): string | undefined {
  return cluster.provider === "talos" ? DEFAULTS.talos.podSubnet : cluster.network.podSubnet;
}

/** Apps routed through the Gateway (Gateway API routes) rather than an Ingress, IngressRoute or IngressRouteTCP. */
export function isGatewayRoute(app: Pick<AppConfig, "kind">): boolean {
  return app.kind === "httpRoute" || app.kind === "grpcRoute" || app.kind === "tlsRoute";
}

/** Gateway API routes the Gateway terminates TLS for (HTTPS listeners). */
export function isGatewayHttpRoute(app: Pick<AppConfig, "kind">): boolean {
  return app.kind === "httpRoute" || app.kind === "grpcRoute";
}

/** Whether this config serves Gateway API: explicitly, or because an app is a Gateway API route. */
export function gatewayApiEnabled(p: Pick<ParsedConfig, "traefik" | "apps">): boolean {
  return p.traefik.gatewayApi.enabled ?? Object.values(p.apps).some(isGatewayRoute);
}

/** The pool Traefik's LoadBalancer address comes from: the named one, else the first by name. */
export function traefikPoolName(p: ParsedConfig): string | undefined {
  return p.traefik.pool ?? Object.keys(p.metallb.pools).sort()[0];
}

/** Placement deployment: the public entry's MetalLB address, the configured one or its pool's first. */
export function traefikLoadBalancerIP(p: ParsedConfig): string | undefined {
  if (p.traefik.placement !== "deployment") return undefined;
  const poolName = traefikPoolName(p);
  const pool = poolName ? own(p.metallb.pools, poolName) : undefined;
  return p.traefik.loadBalancerIP ?? (pool?.addresses[0] ? firstAddress(pool.addresses[0]) : undefined);
}

export function resolveConfig(p: ParsedConfig): HomelabConfig {
  const placement = p.traefik.placement;
  const poolName = placement === "deployment" ? traefikPoolName(p) : undefined;
  const loadBalancerIP = traefikLoadBalancerIP(p);
  const {
    chart: traefikChart,
    replicas,
    trustCloudflare: _trust,
    loadBalancerIP: _lb,
    pool: _pool,
    privateEntry: _private,
    ...traefikRest
  } = p.traefik;
  const privateEntry = resolvePrivateEntry(p, loadBalancerIP);

  const config: HomelabConfig = {
    cluster: resolveCluster(p.cluster, declaresNetworkPolicies(p), resolveFirewall(p)),
    metallb: {
      enabled: metallbEnabled(p),
      pools: Object.entries(p.metallb.pools)
        .map(([name, pl]) => ({ name, addresses: pl.addresses, autoAssign: pl.autoAssign }))
        .sort(byName),
      chart: { chart: DEFAULTS.charts.metallb.chart, ...p.metallb.chart },
    },
    traefik: {
      ...traefikRest,
      placement,
      ...(placement === "deployment" ? { replicas: replicas ?? DEFAULTS.traefik.deploymentReplicas } : {}),
      ...(loadBalancerIP ? { loadBalancerIP } : {}),
      ...(poolName ? { pool: poolName } : {}),
      trustCloudflare: trustsCloudflare(p),
      chart: { chart: DEFAULTS.charts.traefik.chart, ...traefikChart },
      allowExternalNameServices: Object.values(p.apps).some((a) => a.kind === "external" && Boolean(a.external?.externalName)),
      gatewayApi: { ...p.traefik.gatewayApi, enabled: gatewayApiEnabled(p) },
      ...(privateEntry ? { privateEntry } : {}),
      tunnelEntryPoint: narrowsTunnelTrust(p),
    },
    certManager: { ...p.certManager, chart: { chart: DEFAULTS.charts.certManager.chart, ...p.certManager.chart } },
    dns: p.dns,
    apps: Object.entries(p.apps)
      .map(([name, a]) => {
        const issuer = a.issuer ?? p.certManager.defaultIssuer;
        // The wildcard comes from the default issuer: an app naming another issuer keeps its own certificate.
        const wildcardZone =
          issuer === p.certManager.defaultIssuer && !isPassthrough(a)
            ? coveringWildcardZone(p.certManager.wildcardZones, a.hosts)
            : undefined;
        return { ...a, name, issuer, proxied: isProxied(a, p.dns), ...(wildcardZone ? { wildcardZone } : {}) };
      })
      .sort(byName),
    namespaces: Object.entries(p.namespaces)
      .map(([name, n]) => ({ name, ...n }))
      .sort(byName),
    ...(p.tunnel.enabled ? { tunnel: resolveTunnel(p) } : {}),
  };
  return deepFreeze(config);
}

/** The ranges private apps admit: traefik.privateEntry.sources, else the node subnet and the operator's admin subnets. */
export function privateSources(p: Pick<ParsedConfig, "traefik" | "cluster">): string[] {
  if (p.traefik.privateEntry.sources) return [...new Set(p.traefik.privateEntry.sources)].sort();
  const c = p.cluster;
  const admin = c.provider === "talos" ? (c.firewall.adminSubnets ?? []) : [];
  return [...new Set([...(c.network.subnet ? [c.network.subnet] : []), ...admin])].sort();
}

/**
 * The private entry's MetalLB address (placement deployment): the configured
 * one, else the first address of Traefik's pool that is not the public entry's.
 * Undefined when the pool has no second address (the checks refuse that).
 */
export function privateEntryAddress(p: ParsedConfig, publicAddress: string | undefined): string | undefined {
  if (p.traefik.placement !== "deployment") return undefined;
  if (p.traefik.privateEntry.loadBalancerIP) return p.traefik.privateEntry.loadBalancerIP;
  const poolName = traefikPoolName(p);
  const pool = poolName ? own(p.metallb.pools, poolName) : undefined;
  // Two candidates per entry are enough: at most one of them is the public entry's address.
  const candidates = (pool?.addresses ?? []).flatMap((entry) => {
    const r = addressRange(entry);
    return r.last > r.first ? [r.first, r.first + 1] : [r.first];
  });
  return candidates.map(intToIp).find((ip) => ip !== publicAddress);
}

function resolvePrivateEntry(p: ParsedConfig, publicAddress: string | undefined): PrivateEntrySpec | undefined {
  if (!Object.values(p.apps).some((a) => a.private)) return undefined;
  const loadBalancerIP = privateEntryAddress(p, publicAddress);
  return { ...(loadBalancerIP ? { loadBalancerIP } : {}), sources: privateSources(p) };
}

/** Whether the tunnel's trusted entry point can be closed to everything but cloudflared's pods (see HomelabConfig.traefik.tunnelEntryPoint). */
export function narrowsTunnelTrust(p: ParsedConfig): boolean {
  return p.tunnel.enabled && p.traefik.placement === "deployment" && networkPolicyEnforcer(p.cluster) !== undefined;
}

function resolveTunnel(p: ParsedConfig): TunnelSpec {
  const t = p.tunnel;
  return {
    name: t.name ?? p.cluster.name,
    ...(t.accountId ? { accountId: t.accountId } : {}),
    replicas: t.replicas,
    image: t.image,
    namespace: t.namespace,
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
