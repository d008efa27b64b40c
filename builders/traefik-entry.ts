/**
 * The ingress entry of Traefik's placement: where DNS points, which entry
 * points routes attach to, and whom NetworkPolicies must admit. Pure: plain
 * config in, plain objects out.
 */
import { activeNodes } from "../model/nodes.ts";
import { PLACEMENT, traefikHostNodes, type Placement } from "../model/placement.ts";
import type { ClusterSpec, HomelabConfig } from "../model/resolve.ts";
import type { PodSecurityLevel } from "./namespaces.ts";
import type { GatewayRouting } from "./gateway.ts";
import {
  PRIVATE_ENTRY_POINT,
  PRIVATE_ENTRY_PORT,
  SECURE_ENTRY_POINT,
  TRAEFIK_INGRESS_CLASS,
  TRAEFIK_NAMESPACE,
  TRAEFIK_RELEASE,
  TUNNEL_ENTRY_POINT,
} from "./traefik-names.ts";

type TraefikConfig = HomelabConfig["traefik"];

/** What routes and DNS need to know about the ingress (the pure part of IngressEntry). */
export interface IngressEntrySpec {
  /** The IngressClass the Traefik chart creates; every Ingress names it. */
  readonly className: string;
  readonly placement: Placement;
  /** Where DNS points: the LoadBalancer IP (deployment), every node IP (daemonset) or the VIP (controlplane). */
  readonly addresses: readonly string[];
  readonly namespace: string;
  /** Labels of the Traefik pods, for NetworkPolicy peers. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** hostNetwork placements reach app pods from host addresses, never from a pod IP of their own. */
  readonly hostNetwork: boolean;
  /** hostNetwork placements: the addresses (CIDR /32s) of the nodes Traefik runs on, which it connects from over an unencapsulated route. */
  readonly nodeSources: readonly string[];
  /**
   * hostNetwork placements: the cluster's pod network, where the CNI's tunnel
   * and bridge addresses lie that Traefik's connections to pods come from.
   * Absent when the config does not know it (provider existing without
   * cluster.network.podSubnet, which the checks allow only while no app gets a
   * NetworkPolicy).
   */
  readonly podNetwork?: string;
  /** Traefik trusts X-Forwarded-* from Cloudflare only. */
  readonly trustsCloudflare: boolean;
  /** The entry point TLS routes attach to. */
  readonly secureEntryPoint: string;
  /** The entry points public routes attach to: websecure, and the tunnel's own when its trust is narrowed. */
  readonly publicEntryPoints: readonly string[];
  /** Present when an app is private. */
  readonly private?: PrivateEntry;
  /** Present with Gateway API: the listeners private and passthrough routes attach to by name. */
  readonly gateway?: GatewayRouting;
}

/** Where private apps are served and who may reach them. */
export interface PrivateEntry {
  /** The entry point private routes attach to: `lan` (placement deployment), else websecure, shared with public routes. */
  readonly entryPoint: string;
  /** The Gateway listener port of that entry point. */
  readonly port: number;
  /** Where a LAN resolver points private hosts: the private MetalLB address, or the shared entry addresses. */
  readonly addresses: readonly string[];
  /** The ranges each private route's ipAllowList admits. */
  readonly sources: readonly string[];
}

/** Host networking is a host namespace: Pod Security `baseline` and `restricted` refuse it. */
export function traefikPodSecurity(placement: Placement): PodSecurityLevel {
  return PLACEMENT[placement].hostNetwork ? "privileged" : "restricted";
}

/** The chart's selector labels for a release (`traefik.labelselector`). */
export function traefikPodLabels(): Record<string, string> {
  return { "app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": `${TRAEFIK_RELEASE}-${TRAEFIK_NAMESPACE}` };
}

/** Where DNS points for this placement. */
export function entryAddresses(traefik: TraefikConfig, cluster: ClusterSpec): string[] {
  switch (traefik.placement) {
    case "deployment":
      return [traefik.loadBalancerIP];
    case "daemonset":
      // A retiring node is about to be wiped, or already dead: DNS stops sending clients there first.
      return activeNodes(cluster.nodes).map((n) => n.ip);
    case "controlplane":
      return [traefik.vip];
  }
}

/** The private entry of a config with private apps (see PrivateEntry). */
export function privateEntryOf(traefik: TraefikConfig, cluster: ClusterSpec): PrivateEntry | undefined {
  if (!traefik.privateEntry) return undefined;
  const { sources } = traefik.privateEntry;
  // Only placement deployment has an entry of its own for private apps (PLACEMENT's ownPrivateEntry); the others share the public one.
  if (traefik.placement === "deployment") {
    return { entryPoint: PRIVATE_ENTRY_POINT, port: PRIVATE_ENTRY_PORT, addresses: [traefik.privateEntry.loadBalancerIP], sources };
  }
  return { entryPoint: SECURE_ENTRY_POINT, port: 443, addresses: entryAddresses(traefik, cluster), sources };
}

export function ingressEntryOf(traefik: TraefikConfig, cluster: ClusterSpec): IngressEntrySpec {
  const hostNetwork = PLACEMENT[traefik.placement].hostNetwork;
  const podNetwork = hostNetwork ? cluster.network.podSubnet : undefined;
  const privateEntry = privateEntryOf(traefik, cluster);
  return {
    className: TRAEFIK_INGRESS_CLASS,
    placement: traefik.placement,
    addresses: entryAddresses(traefik, cluster),
    namespace: TRAEFIK_NAMESPACE,
    podLabels: traefikPodLabels(),
    hostNetwork,
    nodeSources: traefikHostNodes(traefik.placement, cluster.nodes).map((n) => `${n.ip}/32`),
    ...(podNetwork ? { podNetwork } : {}),
    trustsCloudflare: traefik.trustCloudflare,
    secureEntryPoint: SECURE_ENTRY_POINT,
    publicEntryPoints: traefik.tunnelEntryPoint ? [SECURE_ENTRY_POINT, TUNNEL_ENTRY_POINT] : [SECURE_ENTRY_POINT],
    ...(privateEntry ? { private: privateEntry } : {}),
  };
}
