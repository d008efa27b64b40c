/**
 * A cluster that already runs (k3s, kubeadm, a managed service): no VMs and no
 * Talos resources, only a Kubernetes provider from the kubeconfig kept in a
 * secret config value.
 */
import * as pulumi from "@pulumi/pulumi";
import { Provider } from "@pulumi/kubernetes/provider.js";
import type { ExistingClusterSpec } from "../model/resolve.ts";
import type { ClusterAccess } from "./cluster-access.ts";
import { kubeconfigServer } from "../builders/kubeconfig.ts";
import { COMPONENTS } from "../contract/tokens.ts";

export interface ExistingClusterArgs {
  readonly cluster: ExistingClusterSpec;
  /** The kubeconfig, a secret (`homelab:<cluster.kubeconfigSecret>`). */
  readonly kubeconfig: pulumi.Output<string>;
}

export class ExistingCluster extends pulumi.ComponentResource implements ClusterAccess {
  readonly provider: Provider;
  readonly kubeconfig: pulumi.Output<string>;
  readonly apiEndpoint: pulumi.Output<string>;
  readonly spec: ExistingClusterSpec;

  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENTS.existingCluster, name, {}, opts);
    const key = `homelab:${args.cluster.kubeconfigSecret}`;
    this.spec = args.cluster;
    this.kubeconfig = pulumi.secret(args.kubeconfig);
    this.apiEndpoint = pulumi.unsecret(this.kubeconfig.apply((raw) => kubeconfigServer(raw) ?? `(no cluster server found in ${key})`));
    this.provider = new Provider(`${name}-k8s`, { kubeconfig: this.kubeconfig, clusterIdentifier: args.cluster.name }, { parent: this });
    this.registerOutputs({ kubeconfig: this.kubeconfig, apiEndpoint: this.apiEndpoint });
  }
}
