/**
 * Namespaces with Pod Security Admission labels, for platform components and
 * app namespaces alike.
 */
import type { INamespace } from "kubernetes-models/v1/Namespace";

export type PodSecurityLevel = "privileged" | "baseline" | "restricted";

/**
 * A Namespace that enforces `podSecurity`, and audits and warns at the same
 * level so `kubectl` shows a violation before a pod is refused.
 * `enforce-version: latest` follows the cluster's own Pod Security Standards.
 */
export function namespaceManifest(
  name: string,
  podSecurity: PodSecurityLevel,
): INamespace & { metadata: { name: string; labels: Record<string, string> } } {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name,
      labels: {
        "pod-security.kubernetes.io/enforce": podSecurity,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": podSecurity,
        "pod-security.kubernetes.io/audit-version": "latest",
        "pod-security.kubernetes.io/warn": podSecurity,
        "pod-security.kubernetes.io/warn-version": "latest",
      },
    },
  };
}
