/**
 * The cluster layer's contract: whatever provisions (or finds) the cluster
 * hands the platform a ClusterAccess. Every Kubernetes resource uses its provider.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type { ClusterSpec } from "../model/resolve.ts";
import type { StackSecrets } from "../config/load.ts";
import { TalosCluster } from "./talos-cluster.ts";
import { ExistingCluster } from "./existing-cluster.ts";

export interface ClusterAccess {
  /** The Kubernetes provider built from the cluster's kubeconfig. */
  readonly provider: k8s.Provider;
  readonly kubeconfig: pulumi.Output<string>;
  readonly talosconfig?: pulumi.Output<string>;
  /** `https://<VIP>:6443` for Talos clusters with a VIP. */
  readonly apiEndpoint: pulumi.Input<string>;
  readonly spec: ClusterSpec;
}

/**
 * Talos VMs on Proxmox, or a running cluster reached with the kubeconfig from `homelab:<cluster.kubeconfigSecret>`.
 * `cloudflareIpv4`: Cloudflare's deploy-time ranges, for a Talos host firewall that admits proxied apps' traffic.
 */
export function createCluster(
  name: string,
  spec: ClusterSpec,
  secrets: StackSecrets,
  cloudflareIpv4?: pulumi.Output<string[]>,
): ClusterAccess {
  if (spec.provider === "talos") return new TalosCluster(name, { cluster: spec, ...(cloudflareIpv4 ? { cloudflareIpv4 } : {}) });
  return new ExistingCluster(name, { cluster: spec, kubeconfig: secrets.homelab(spec.kubeconfigSecret) });
}
