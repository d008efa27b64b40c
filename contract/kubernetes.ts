/** Well-known Kubernetes labels and annotations the program sets and the pack's rules look for. */

export const CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane";

/** Written on every NetworkPolicy the stack registers, so the pack and a reader of the cluster see what the isolation rests on. */
export const ENFORCED_BY_ANNOTATION = "homelab.pulumi.com/enforced-by";

/** The Pod Security level a namespace enforces (Kubernetes Pod Security Admission). */
export const POD_SECURITY_ENFORCE_LABEL = "pod-security.kubernetes.io/enforce";

/** The addresses a Service asks MetalLB for (MetalLB 0.14+ annotation, comma-separated). */
export const METALLB_LOAD_BALANCER_IPS_ANNOTATION = "metallb.io/loadBalancerIPs";

/** cert-manager's ingress-shim and gateway-shim: which issuer signs an Ingress's or a Gateway's certificates. */
export const CLUSTER_ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer";
export const ISSUER_ANNOTATION = "cert-manager.io/issuer";
