/** The cluster the platform runs on: Talos VMs this stack provisions, or a running cluster it is given. */
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec } from "../model/resolve.ts";
import type { StackSecrets } from "../config/load.ts";
import type { ClusterAccess } from "./cluster-access.ts";
import { TalosCluster } from "./talos-cluster.ts";
import { ExistingCluster } from "./existing-cluster.ts";

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
