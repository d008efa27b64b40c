/**
 * The Talos machine-config decisions, as plain values: which patch documents
 * each node gets, in the shape the cluster's config contract (not the installed
 * release: a 1.14 node runs a v1.13 contract unchanged) accepts, plus the Image
 * Factory schematic and the addresses the cluster is reached on. No Pulumi here.
 */
import { stringify } from "yaml";
import type { TalosClusterSpec, TalosNode } from "../model/resolve.ts";
import type { NodeRole } from "../model/schema.ts";
import { atLeastMinor } from "../contract/talos-versions.ts";

import { KUBERNETES_API_PORT } from "../contract/talos.ts";
import { activeNodes, controlPlanes } from "../model/nodes.ts";
import { deploysKubeNetworkPolicies } from "../model/network-policies.ts";

/** The label Talos (machine config 1.8+) puts on control planes; MetalLB will not announce from nodes that carry it. */
export const EXCLUDE_FROM_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers";

const QEMU_GUEST_AGENT = "siderolabs/qemu-guest-agent";

/** A Talos machine-config patch document: the partial v1alpha1 config or a typed document. */
export type TalosPatch = Record<string, unknown>;

/**
 * From Talos 1.12 addresses, routes, resolvers, hostname and the VIP are their
 * own documents; `machine.network` is deprecated there and gone from the 1.13 schema.
 */
function usesNetworkDocuments(contract: string): boolean {
  return atLeastMinor(contract, 1, 12);
}

/** Talos' host firewall documents (NetworkDefaultActionConfig, NetworkRuleConfig) exist from 1.6. */
export function hasHostFirewall(cluster: { readonly talos: { readonly configContract: string } }): boolean {
  return atLeastMinor(cluster.talos.configContract, 1, 6);
}

/**
 * The one control plane that bootstraps etcd: cluster.bootstrapNode, by default
 * the first by name, so reordering the config never moves it.
 */
export function bootstrapNode(cluster: TalosClusterSpec): TalosNode {
  const node = cluster.nodes.find((n) => n.name === cluster.bootstrapNode && n.role === "controlplane");
  if (!node) throw new Error(`cluster ${cluster.name} has no control plane ${cluster.bootstrapNode || "(none)"} to bootstrap`);
  return node;
}

/** `https://<VIP>:6443`, or the bootstrap node's address when the cluster has no VIP. */
export function clusterEndpoint(cluster: TalosClusterSpec): string {
  return `https://${cluster.network.vip ?? bootstrapNode(cluster).ip}:${KUBERNETES_API_PORT}`;
}

/**
 * Where talosctl connects: the control planes' own addresses. Never the VIP, which
 * answers only once etcd is bootstrapped and moves during control-plane failover;
 * never a retiring control plane, which is about to be wiped (or is already dead).
 */
export function talosEndpoints(cluster: TalosClusterSpec): string[] {
  return activeNodes(controlPlanes(cluster)).map((n) => n.ip);
}

/**
 * Proxmox presents virtio NICs with predictable names (`ens18`); the `eth0` style
 * names the config may use exist only with `net.ifnames=0` on the kernel command
 * line. Baked into the schematic, the installer keeps it across installs and upgrades.
 */
function needsLegacyInterfaceNames(cluster: TalosClusterSpec): boolean {
  return /^eth\d+$/.test(cluster.network.interface);
}

export function hasQemuGuestAgent(cluster: TalosClusterSpec): boolean {
  return cluster.talos.extensions.includes(QEMU_GUEST_AGENT);
}

/** The Image Factory schematic: the same id names the boot image and the installer. */
export function talosSchematic(cluster: TalosClusterSpec): TalosPatch {
  return {
    customization: {
      ...(needsLegacyInterfaceNames(cluster) ? { extraKernelArgs: ["net.ifnames=0"] } : {}),
      systemExtensions: { officialExtensions: [...cluster.talos.extensions].sort() },
    },
  };
}

export function schematicYaml(cluster: TalosClusterSpec): string {
  return stringify(talosSchematic(cluster), { lineWidth: 0 });
}

/**
 * The VIP as the config contract expects it, for control planes only:
 * Talos refuses a shared IP on a worker ("virtual (shared) IP is not allowed on
 * non-controlplane nodes"). Up to 1.11 it is the interface's `vip`; from 1.12 a
 * Layer2VIPConfig document named after the address.
 */
export function controlPlaneVipPatch(cluster: TalosClusterSpec, node: TalosNode): TalosPatch | undefined {
  const vip = cluster.network.vip;
  if (node.role !== "controlplane" || !vip) return undefined;
  if (usesNetworkDocuments(cluster.talos.configContract)) {
    return { apiVersion: "v1alpha1", kind: "Layer2VIPConfig", name: vip, link: cluster.network.interface };
  }
  return { ip: vip };
}

/** Settings common to every Talos version: install target and cluster-wide choices. */
function machineAndCluster(cluster: TalosClusterSpec, node: TalosNode, installerImage: string, network?: TalosPatch): TalosPatch {
  return {
    machine: {
      ...(network ? { network } : {}),
      install: { disk: node.installDisk, image: installerImage },
    },
    cluster: {
      controlPlane: { endpoint: clusterEndpoint(cluster) },
      ...(cluster.networkPolicies && deploysKubeNetworkPolicies(cluster)
        ? { network: { cni: { name: "flannel", flannel: { kubeNetworkPoliciesEnabled: true } } } }
        : {}),
      ...(node.role === "controlplane" && cluster.allowSchedulingOnControlPlanes ? { allowSchedulingOnControlPlanes: true } : {}),
    },
  };
}

function legacyPatches(cluster: TalosClusterSpec, node: TalosNode, installerImage: string): TalosPatch[] {
  const net = cluster.network;
  const vip = controlPlaneVipPatch(cluster, node);
  const network = {
    hostname: node.name,
    interfaces: [
      {
        interface: net.interface,
        addresses: [`${node.ip}/${net.prefixLength}`],
        routes: [{ network: "0.0.0.0/0", gateway: net.gateway }],
        ...(vip ? { vip } : {}),
      },
    ],
    nameservers: [...net.nameservers],
  };
  return [machineAndCluster(cluster, node, installerImage, network)];
}

function documentPatches(cluster: TalosClusterSpec, node: TalosNode, installerImage: string): TalosPatch[] {
  const net = cluster.network;
  const vip = controlPlaneVipPatch(cluster, node);
  return [
    machineAndCluster(cluster, node, installerImage),
    // Talos 1.12+ generates `HostnameConfig{auto: stable}`; a static name must switch `auto` off or validation fails.
    { apiVersion: "v1alpha1", kind: "HostnameConfig", auto: "off", hostname: node.name },
    {
      apiVersion: "v1alpha1",
      kind: "LinkConfig",
      name: net.interface,
      up: true,
      addresses: [{ address: `${node.ip}/${net.prefixLength}` }],
      routes: [{ gateway: net.gateway }],
    },
    { apiVersion: "v1alpha1", kind: "ResolverConfig", nameservers: net.nameservers.map((address) => ({ address })) },
    ...(vip ? [vip] : []),
  ];
}

/**
 * Every patch document one node's configuration apply carries: hostname,
 * static address and default route on the configured interface, nameservers,
 * install disk and installer image, the cluster endpoint, and on control planes
 * the VIP and (when enabled) scheduling.
 */
export function talosNodePatches(cluster: TalosClusterSpec, node: TalosNode, installerImage: string): TalosPatch[] {
  return usesNetworkDocuments(cluster.talos.configContract)
    ? documentPatches(cluster, node, installerImage)
    : legacyPatches(cluster, node, installerImage);
}

/**
 * Patches applied when a role's machine configuration is generated. With
 * workloads on control planes, the exclude-from-external-load-balancers label
 * must go, or MetalLB never announces from them (and a cluster of control planes
 * only announces nothing). The `$patch: delete` directive is a patch instruction,
 * not config, so it goes here, where the generated config still holds the label,
 * rather than into the per-node documents.
 */
export function rolePatches(cluster: TalosClusterSpec, role: NodeRole): TalosPatch[] {
  const labelGenerated = atLeastMinor(cluster.talos.configContract, 1, 8);
  if (role !== "controlplane" || !cluster.allowSchedulingOnControlPlanes || !labelGenerated) return [];
  return [{ machine: { nodeLabels: { [EXCLUDE_FROM_LB_LABEL]: { $patch: "delete" } } } }];
}

/**
 * One YAML document per string, as the Talos provider's `configPatches` takes
 * them. Rendered as YAML 1.1 so strings Go's YAML would read as booleans (`off`)
 * are quoted.
 */
export function patchesYaml(patches: readonly TalosPatch[]): string[] {
  return patches.map((p) => stringify(p, { lineWidth: 0, version: "1.1" }));
}
