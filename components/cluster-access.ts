/**
 * The cluster layer's contract: whatever provisions (or finds) the cluster
 * hands the platform a ClusterAccess. Every Kubernetes resource uses its provider.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type { ClusterSpec } from "../model/resolve.ts";

export interface ClusterAccess {
  /** The Kubernetes provider built from the cluster's kubeconfig. */
  readonly provider: k8s.Provider;
  readonly kubeconfig: pulumi.Output<string>;
  readonly talosconfig?: pulumi.Output<string>;
  /** `https://<VIP>:6443` for Talos clusters with a VIP. */
  readonly apiEndpoint: pulumi.Input<string>;
  readonly spec: ClusterSpec;
}
