/**
 * The enforcer of the stack's NetworkPolicies (model/network-policies.ts
 * networkPolicyEnforcer), written on every policy it registers: a
 * NetworkPolicy on a CNI that ignores it protects nothing while looking like isolation.
 */
import { ENFORCED_BY_ANNOTATION } from "../contract/kubernetes.ts";

export { ENFORCED_BY_ANNOTATION };

/** The manifest with the enforcer written on it. */
export function withEnforcer<M extends { metadata?: { annotations?: Record<string, string> } }>(manifest: M, enforcer: string): M {
  return {
    ...manifest,
    metadata: { ...manifest.metadata, annotations: { ...manifest.metadata?.annotations, [ENFORCED_BY_ANNOTATION]: enforcer } },
  };
}
