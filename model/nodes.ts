/** Which of a cluster's nodes play which part: facts of the node list, read by the checks, resolve and the builders. */
import type { NodeRole } from "./schema/cluster.ts";
import { firstHost } from "../contract/net.ts";

/** The nodes that stay: every node not being retired (cluster.nodes.<name>.retire). */
export function activeNodes<N extends { readonly name: string; readonly retire?: string }>(nodes: readonly N[]): N[] {
  return nodes.filter((n) => !n.retire);
}

/** The node network's default gateway: cluster.network.gateway, else the subnet's first host (the conventional homelab router). */
export function nodeGateway(network: { readonly subnet: string; readonly gateway?: string }): string {
  return network.gateway ?? firstHost(network.subnet);
}

/** The control plane etcd is bootstrapped on and the kubeconfig comes from: cluster.bootstrapNode, else the first control plane by name. */
export function bootstrapNodeName(cluster: {
  readonly bootstrapNode?: string;
  readonly nodes: Readonly<Record<string, { readonly role: NodeRole }>>;
}): string | undefined {
  return (
    cluster.bootstrapNode ??
    Object.entries(cluster.nodes)
      .filter(([, n]) => n.role === "controlplane")
      .map(([name]) => name)
      .sort()[0]
  );
}

/** A cluster's control-plane nodes, in the cluster's (name) order: the first bootstraps etcd. */
export function controlPlanes<N extends { readonly role: NodeRole }>(cluster: { readonly nodes: readonly N[] }): N[] {
  return cluster.nodes.filter((n) => n.role === "controlplane");
}
