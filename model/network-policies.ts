/**
 * Whether the stack's NetworkPolicies mean anything: which the config declares,
 * who enforces them (a NetworkPolicy on a CNI that ignores it protects nothing
 * while looking like isolation), and the pod network their peers need.
 */
import { atLeastMinor } from "../contract/talos-versions.ts";
import { DEFAULTS } from "./defaults.ts";
import { admitsTraefik } from "./apps.ts";
import type { ParsedConfig } from "./schema.ts";

/** Talos ≥ 1.13 with the stack's flannel patch. */
export const KUBE_NETWORK_POLICIES = "kube-network-policies";
/** provider existing: the config's own statement about the cluster's CNI. */
export const DECLARED_BY_CONFIG = "cluster.enforcesNetworkPolicies";

/**
 * Talos 1.13 deploys kube-network-policies beside Flannel on request
 * (`cluster.network.cni.flannel.kubeNetworkPoliciesEnabled`); Flannel alone,
 * and every older Talos, enforces no NetworkPolicy at all.
 */
export function deploysKubeNetworkPolicies(cluster: { readonly talos: { readonly configContract: string } }): boolean {
  return atLeastMinor(cluster.talos.configContract, 1, 13);
}

type EnforcementInput =
  | { readonly provider: "talos"; readonly talos: { readonly configContract: string } }
  | { readonly provider: "existing"; readonly enforcesNetworkPolicies: boolean };

/** What enforces NetworkPolicies on this cluster, or undefined when nothing does. */
export function networkPolicyEnforcer(cluster: EnforcementInput): string | undefined {
  if (cluster.provider === "talos") return deploysKubeNetworkPolicies(cluster) ? KUBE_NETWORK_POLICIES : undefined;
  return cluster.enforcesNetworkPolicies ? DECLARED_BY_CONFIG : undefined;
}

/** Whether the config declares any NetworkPolicy: an in-cluster app's allow-traefik, or a namespace's default deny. */
export function declaresNetworkPolicies(p: Pick<ParsedConfig, "apps" | "namespaces">): boolean {
  return Object.values(p.apps).some(admitsTraefik) || Object.values(p.namespaces).some((n) => n.defaultDeny);
}

/** The cluster's pod network: Talos' default, or what an existing cluster's config names. */
export function podNetworkOf(cluster: ParsedConfig["cluster"]): string | undefined {
  return cluster.provider === "talos" ? DEFAULTS.talos.podSubnet : cluster.network.podSubnet;
}
