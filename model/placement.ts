/**
 * What each Traefik placement (traefik.placement) means, in one table: every
 * check, resolve step and builder that depends on the placement reads it here
 * (or narrows on the resolved HomelabConfig["traefik"] union) instead of
 * comparing the placement's name.
 */
import { DEFAULTS } from "./defaults.ts";
import { controlPlanes } from "./nodes.ts";
import type { NodeRole } from "./schema/cluster.ts";

export const PLACEMENTS = ["deployment", "daemonset", "controlplane"] as const;
export type Placement = (typeof PLACEMENTS)[number];

/** Whether a string read back from synth output or state names a placement. */
export function isPlacement(value: string): value is Placement {
  return (PLACEMENTS as readonly string[]).includes(value);
}

export interface PlacementMeaning {
  /**
   * Traefik binds :80/:443 on the nodes it runs on (hostNetwork) and has no
   * Service in front: a host namespace, so its namespace is Pod Security
   * privileged, its pods are no NetworkPolicy subject, and a rollout cannot surge.
   */
  readonly hostNetwork: boolean;
  /**
   * The nodes Traefik runs and listens on with the host network: none (its
   * pods are scheduled anywhere, behind a Service), every node, or the control
   * planes. The host firewall opens :80/:443 on these nodes; their addresses
   * are the NetworkPolicy peers of a host-network Traefik.
   */
  readonly hostNodes: "none" | "every" | "controlPlanes";
  /**
   * Where DNS points (the ingress entry): a MetalLB LoadBalancer IP from
   * traefik.pool, every active node's address, or the control planes' Talos
   * VIP (cluster.network.vip), which only a control plane can hold.
   */
  readonly entry: "loadBalancerIP" | "nodeAddresses" | "vip";
  /** traefik.replicas applies: a Deployment of that many replicas (else one pod per node of hostNodes). */
  readonly replicas: boolean;
  /**
   * Private apps get an entry of their own, a second MetalLB address the router
   * never forwards; else they share the public entry behind a LAN-only allow-list.
   */
  readonly ownPrivateEntry: boolean;
}

export const PLACEMENT = {
  deployment: { hostNetwork: false, hostNodes: "none", entry: "loadBalancerIP", replicas: true, ownPrivateEntry: true },
  daemonset: { hostNetwork: true, hostNodes: "every", entry: "nodeAddresses", replicas: false, ownPrivateEntry: false },
  controlplane: { hostNetwork: true, hostNodes: "controlPlanes", entry: "vip", replicas: false, ownPrivateEntry: false },
} as const satisfies Readonly<Record<Placement, PlacementMeaning>>;

/** Whether the placement needs MetalLB: its entry is a LoadBalancer IP (and so MetalLB is installed unless metallb.enabled says otherwise). */
export function needsLoadBalancer(placement: Placement): boolean {
  return PLACEMENT[placement].entry === "loadBalancerIP";
}

/** The nodes a host-network Traefik runs and listens on (PlacementMeaning.hostNodes), in the order given. */
export function traefikHostNodes<N extends { readonly role: NodeRole }>(placement: Placement, nodes: readonly N[]): N[] {
  switch (PLACEMENT[placement].hostNodes) {
    case "every":
      return [...nodes];
    case "controlPlanes":
      return controlPlanes({ nodes });
    case "none":
      return [];
  }
}

/** The replicas of a Traefik whose placement takes them (PlacementMeaning.replicas): traefik.replicas, else the default. */
export function deploymentReplicas(traefik: { readonly replicas?: number | undefined }): number {
  return traefik.replicas ?? DEFAULTS.traefik.deploymentReplicas;
}

/**
 * How many Traefik pods run, counted as the policy pack counts them
 * (traefik-acme-single-replica): the replicas, one per listed control plane,
 * or undefined where the cluster's every node decides (a DaemonSet).
 */
export function traefikPodCount(p: {
  readonly traefik: { readonly placement: Placement; readonly replicas?: number | undefined };
  readonly cluster: { readonly nodes: Readonly<Record<string, { readonly role: NodeRole }>> };
}): number | undefined {
  switch (PLACEMENT[p.traefik.placement].hostNodes) {
    case "none":
      return deploymentReplicas(p.traefik);
    case "controlPlanes":
      return Object.values(p.cluster.nodes).filter((n) => n.role === "controlplane").length;
    case "every":
      return undefined;
  }
}
