/** Well-known Kubernetes labels the program sets and the pack's rules look for. */

export const CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane";
