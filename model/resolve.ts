/**
 * Turns the parsed config into the one frozen HomelabConfig the components
 * read: per-node defaults merged, derived addresses computed, app defaults
 * applied. Derived values are computed here and nowhere else.
 */
import { DEFAULTS } from "./defaults.ts";
import type { ChartRef } from "../contract/charts.ts";
import type { AppConfig, EtcdBackupConfig, ParsedConfig } from "./schema.ts";
import { prefixLength } from "../contract/net.ts";
import { appIssuer, appWildcardZone, isProxied } from "./apps.ts";
import { metallbEnabled, narrowsTunnelTrust, privateSources } from "./entry.ts";
import { established } from "./established.ts";
import { declaresNetworkPolicies, podNetworkOf } from "./network-policies.ts";
import { bootstrapNodeName, nodeGateway } from "./nodes.ts";
import { traefikHostNodes } from "./placement.ts";
import { resolveTraefik, type TraefikSpec } from "./traefik.ts";

type ParsedTalosCluster = Extract<ParsedConfig["cluster"], { provider: "talos" }>;
type ParsedExistingCluster = Extract<ParsedConfig["cluster"], { provider: "existing" }>;
type ParsedTalosNode = ParsedTalosCluster["nodes"][string];
/** The keys a Talos node may leave to cluster.nodeDefaults or the cluster's own defaults; resolve fills every one. */
type DefaultedNodeKey = Exclude<keyof ParsedTalosNode, "role" | "ip" | "vmId" | "proxmoxNode" | "macAddress" | "vlan" | "retire">;

export interface ClusterNode extends Readonly<Pick<ParsedExistingCluster["nodes"][string], "role" | "ip">> {
  /** The config key: host name and resource identity. */
  readonly name: string;
}

/** A Talos VM: its keys, sizing and install disk filled from cluster.nodeDefaults and the defaults. */
export interface TalosNode
  extends ClusterNode,
    Readonly<Omit<ParsedTalosNode, "role" | "ip" | DefaultedNodeKey>>,
    Readonly<Required<Pick<ParsedTalosNode, DefaultedNodeKey>>> {}

/** Where etcd snapshots go, with the defaults that depend on other keys applied. */
export interface EtcdBackupSpec extends Readonly<Omit<EtcdBackupConfig, "s3">> {
  readonly image: string;
  readonly s3: Readonly<Omit<EtcdBackupConfig["s3"], "prefix" | "pathStyle">> & { readonly prefix: string; readonly pathStyle: boolean };
}

export interface TalosClusterSpec {
  readonly provider: "talos";
  readonly name: string;
  readonly talos: ParsedTalosCluster["talos"];
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

export interface ExistingClusterSpec {
  readonly provider: "existing";
  readonly name: string;
  readonly kubeconfigSecret: string;
  readonly network: Readonly<ParsedExistingCluster["network"]>;
  readonly nodes: readonly ClusterNode[];
  /** What the config states; nothing here can check it. */
  readonly enforcesNetworkPolicies: boolean;
}

export type ClusterSpec = TalosClusterSpec | ExistingClusterSpec;

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
    readonly pools: readonly ({ readonly name: string } & Readonly<ParsedConfig["metallb"]["pools"][string]>)[];
    readonly chart: ChartRef;
  };
  readonly traefik: TraefikSpec;
  readonly certManager: Omit<ParsedConfig["certManager"], "chart"> & { readonly chart: ChartRef };
  readonly dns: ParsedConfig["dns"];
  /** Sorted by name. */
  readonly apps: readonly AppSpec[];
  readonly namespaces: readonly ({ readonly name: string } & Readonly<ParsedConfig["namespaces"][string]>)[];
  /** Present when the entry is a Cloudflare Tunnel (tunnel.enabled). */
  readonly tunnel?: TunnelSpec;
}

export interface TunnelSpec extends Readonly<Omit<ParsedConfig["tunnel"], "enabled" | "name">> {
  /** tunnel.name, else cluster.name. */
  readonly name: string;
  /**
   * The sources Traefik trusts X-Forwarded-* from in tunnel mode, on the tunnel
   * entry point alone. cloudflared's pod addresses change with every rollout, so
   * no address list names it: its connections come from the pod network, where
   * any pod could claim any client address. So the tunnel entry point trusts
   * the pod network, and a NetworkPolicy (tunnelEntryPolicyManifest) admits
   * cloudflared's pods alone to that port: the trust is narrowed by who can
   * connect, not by address.
   *
   * That needs Traefik in pods (placement deployment) on a cluster that enforces
   * NetworkPolicies. A host-network Traefik is no policy subject
   * (kube-network-policies v1.1.0 skips host-network pods), and cloudflared's
   * connections to it arrive from pod addresses or, masqueraded, from node
   * addresses every host process shares: nothing tells cloudflared apart, so
   * there Traefik trusts no forwarder (apps see cloudflared as the client; the
   * config warns).
   */
  readonly forwarders: readonly string[];
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function resolveFirewall(p: ParsedConfig): TalosFirewallSpec | undefined {
  const c = p.cluster;
  if (c.provider !== "talos" || !c.firewall.enabled) return undefined;
  const apps = Object.values(p.apps);
  return {
    adminSubnets: c.firewall.adminSubnets ?? [c.network.subnet],
    ingressNodes: traefikHostNodes(
      p.traefik.placement,
      Object.entries(c.nodes).map(([name, n]) => ({ name, role: n.role })),
    )
      .map((n) => n.name)
      .sort(),
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
      gateway: nodeGateway(c.network),
      nameservers: c.network.nameservers,
      interface: c.network.interface,
      ...(c.network.vip ? { vip: c.network.vip } : {}),
      podSubnet: DEFAULTS.talos.podSubnet,
    },
    nodes,
    allowSchedulingOnControlPlanes: c.allowSchedulingOnControlPlanes,
    bootstrapNode: bootstrapNodeName(c) ?? "",
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

export function resolveConfig(p: ParsedConfig): HomelabConfig {
  const config: HomelabConfig = {
    cluster: resolveCluster(p.cluster, declaresNetworkPolicies(p), resolveFirewall(p)),
    metallb: {
      enabled: metallbEnabled(p),
      pools: Object.entries(p.metallb.pools)
        .map(([name, pl]) => ({ name, addresses: pl.addresses, autoAssign: pl.autoAssign }))
        .sort(byName),
      chart: { chart: DEFAULTS.charts.metallb.chart, ...p.metallb.chart },
    },
    traefik: resolveTraefik(p),
    certManager: { ...p.certManager, chart: { chart: DEFAULTS.charts.certManager.chart, ...p.certManager.chart } },
    dns: p.dns,
    apps: Object.entries(p.apps)
      .map(([name, a]) => {
        const wildcardZone = appWildcardZone(a, p.certManager);
        return { ...a, name, issuer: appIssuer(a, p.certManager), proxied: isProxied(a, p.dns), ...(wildcardZone ? { wildcardZone } : {}) };
      })
      .sort(byName),
    namespaces: Object.entries(p.namespaces)
      .map(([name, n]) => ({ name, ...n }))
      .sort(byName),
    ...(p.tunnel.enabled ? { tunnel: resolveTunnel(p) } : {}),
  };
  return deepFreeze(config);
}

function resolveTunnel(p: ParsedConfig): TunnelSpec {
  const t = p.tunnel;
  return {
    name: t.name ?? p.cluster.name,
    ...(t.accountId ? { accountId: t.accountId } : {}),
    replicas: t.replicas,
    image: t.image,
    namespace: t.namespace,
    forwarders: narrowsTunnelTrust(p) ? [established(podNetworkOf(p.cluster), "cluster.network.podSubnet")] : [],
  };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
