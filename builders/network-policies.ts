/**
 * Who enforces the stack's NetworkPolicies, if anyone: a NetworkPolicy on a
 * CNI that ignores it protects nothing while looking like isolation.
 */
import { deploysKubeNetworkPolicies } from "./talos-patches.ts";

import { ENFORCED_BY_ANNOTATION } from "../contract/kubernetes.ts";

/** Talos ≥ 1.13 with the stack's flannel patch. */
export const KUBE_NETWORK_POLICIES = "kube-network-policies";
/** provider existing: the config's own statement about the cluster's CNI. */
export const DECLARED_BY_CONFIG = "cluster.enforcesNetworkPolicies";

type EnforcementInput =
  | { readonly provider: "talos"; readonly talos: { readonly configContract: string } }
  | { readonly provider: "existing"; readonly enforcesNetworkPolicies: boolean };

/** What enforces NetworkPolicies on this cluster, or undefined when nothing does. */
export function networkPolicyEnforcer(cluster: EnforcementInput): string | undefined {
  if (cluster.provider === "talos") return deploysKubeNetworkPolicies(cluster) ? KUBE_NETWORK_POLICIES : undefined;
  return cluster.enforcesNetworkPolicies ? DECLARED_BY_CONFIG : undefined;
}

/** The manifest with the enforcer written on it. */
export function withEnforcer<M extends { metadata?: { annotations?: Record<string, string> } }>(manifest: M, enforcer: string): M {
  return {
    ...manifest,
    metadata: { ...manifest.metadata, annotations: { ...manifest.metadata?.annotations, [ENFORCED_BY_ANNOTATION]: enforcer } },
  };
}
