/** Well-known Kubernetes labels the program sets and the pack's rules look for. */

export const CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane";

/** Written on every NetworkPolicy the stack registers, so the pack and a reader of the cluster see what the isolation rests on. */
export const ENFORCED_BY_ANNOTATION = "homelab.pulumi.com/enforced-by";
