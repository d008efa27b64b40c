/**
 * The NetworkPolicies of the apps' namespaces (allow-traefik, default deny),
 * each with its enforcer written on it (model/network-policies.ts
 * networkPolicyEnforcer): a NetworkPolicy on a CNI that ignores it protects
 * nothing while looking like isolation.
 */
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicySpec } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import type { AppSpec } from "../model/resolve.ts";
import { admitsTraefik } from "../model/apps.ts";
import type { IngressEntrySpec as RouteEntry } from "./traefik-entry.ts";
import { byAddress, prefixLength } from "../contract/net.ts";
import { byString, sortedUnique } from "./route-naming.ts";

import { ENFORCED_BY_ANNOTATION } from "../contract/kubernetes.ts";

/** The manifest with the enforcer written on it. */
export function withEnforcer<M extends { metadata?: { annotations?: Record<string, string> } }>(manifest: M, enforcer: string): M {
  return {
    ...manifest,
    metadata: { ...manifest.metadata, annotations: { ...manifest.metadata?.annotations, [ENFORCED_BY_ANNOTATION]: enforcer } },
  };
}

// ── the namespaces' policies for Traefik ─────────────────────────────────────

/** `10.0.10.21` or `10.0.10.21/32` → `10.0.10.21/32`. */
const asCidr = (source: string) => (source.includes("/") ? source : `${source}/32`);
const byCidr = (a: string, b: string) => byAddress(a.split("/")[0]!, b.split("/")[0]!) || prefixLength(a) - prefixLength(b);

/**
 * Who Traefik's connections to app pods come from. A pod-network Traefik
 * (deployment placement) is matched by its namespace and pod labels.
 *
 * A hostNetwork Traefik (daemonset, controlplane) has no pod identity, and its
 * packets carry the address of the interface the route to the pod leaves by,
 * not necessarily the node's LAN address: to a pod on another node over an
 * overlay that is the CNI's tunnel interface (flannel VXLAN or WireGuard: the
 * `.0` of the node's pod CIDR, 10.42.x.0 on k3s, 10.244.x.0 on Talos; Calico
 * IPIP/VXLAN: an address from its pool), over plain routes (flannel host-gw,
 * Calico BGP) the node's own address. So the peers are the nodes' /32s and the
 * whole pod network, since each node's share of it is assigned at runtime. A
 * pod on Traefik's own node is reached through the bridge (cni0, the `.1`),
 * which Kubernetes always admits (traffic from the pod's own node is allowed
 * whatever its address; kube-router, k3s' enforcer, accepts every locally
 * sourced packet).
 *
 * The price: a policy cannot tell the tunnel addresses from the pods around
 * them, so in these placements it admits every pod of the cluster, on every
 * port (it cannot narrow ports either, see allowTraefikManifest); default
 * deny then keeps out only traffic from outside the cluster, and the config
 * warns about that. Cilium differs: ipBlock never selects its pods, so the pod
 * network admits nothing there, and selects nodes only with
 * `policy-cidr-match-mode: nodes`, without which no ipBlock admits a
 * host-network Traefik at all.
 */
export function traefikPeers(entry: RouteEntry): INetworkPolicyPeer[] {
  if (entry.hostNetwork) {
    if (!entry.podNetwork) {
      throw new Error(
        "a host-network Traefik's NetworkPolicy peers need the pod network: set cluster.network.podSubnet (the config checks require it)",
      );
    }
    return sortedUnique([...entry.nodeSources.map(asCidr), entry.podNetwork])
      .sort(byCidr)
      .map((cidr) => ({ ipBlock: { cidr } }));
  }
  return [
    {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": entry.namespace } },
      podSelector: { matchLabels: Object.fromEntries(Object.entries(entry.podLabels).sort(([a], [b]) => byString(a, b))) },
    },
  ];
}

/** A NetworkPolicy whose podSelector is spelt out (Kubernetes defaults it; Pulumi's types require it). */
export type NetworkPolicyManifest = INetworkPolicy & { spec: INetworkPolicySpec & Required<Pick<INetworkPolicySpec, "podSelector">> };

/** The allow-traefik policy's name, the same in every namespace. */
const ALLOW_TRAEFIK_POLICY = "allow-traefik";

/**
 * The namespaces that get an allow-traefik policy: every one holding an
 * in-cluster app that keeps `networkPolicy`, sorted. An external app's
 * backend is not a pod, so it needs none.
 */
export function allowTraefikNamespaces(apps: readonly Pick<AppSpec, "kind" | "namespace" | "networkPolicy" | "external">[]): string[] {
  return sortedUnique(apps.filter(admitsTraefik).map((a) => a.namespace));
}

/**
 * Lets Traefik reach the namespace's pods, so routes keep working in a
 * default-deny namespace. It selects every pod of the namespace and no ports:
 * the config names an app's Service, not its pod labels, and Service ports,
 * while a NetworkPolicy matches pod labels and container (target) ports; a
 * guessed selector or port would silently blackhole the route. Selecting every
 * pod makes one policy per namespace do for all its apps (per-app copies would
 * differ only in name). The peers are what this policy restricts: Traefik's
 * pods, or for a host-network Traefik the addresses it connects from (see
 * traefikPeers).
 */
export function allowTraefikManifest(namespace: string, entry: RouteEntry): NetworkPolicyManifest {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: {
      name: ALLOW_TRAEFIK_POLICY,
      namespace,
      labels: { "app.kubernetes.io/component": ALLOW_TRAEFIK_POLICY, "app.kubernetes.io/managed-by": "pulumi" },
    },
    spec: {
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [{ from: traefikPeers(entry) }],
    },
  };
}

/**
 * Denies all ingress to the namespace's pods except what another policy allows
 * (the namespace's allow-traefik policy). Egress stays open: apps still reach
 * DNS, databases and the internet.
 */
export function defaultDenyManifest(namespace: string): NetworkPolicyManifest {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "default-deny-ingress", namespace, labels: { "app.kubernetes.io/managed-by": "pulumi" } },
    spec: { podSelector: {}, policyTypes: ["Ingress"] },
  };
}
