/**
 * What removing a node does on the Talos side, decided by its retire setting.
 * No Pulumi resources here.
 */
import type { TalosClusterSpec, TalosNode } from "../model/resolve.ts";
import { memberArgs, scriptLine, upgradeOrder } from "./talos-upgrade.ts";

/**
 * A retiring node's departure, run by the deploy that sets `retire`, before the health check:
 * `reset` drains the node, takes it out of etcd and wipes it (Talos' graceful reset), `forget`
 * removes a dead node's etcd member by its ID; both then delete its Kubernetes Node. Talos' cluster
 * checks compare the Nodes and etcd members with the nodes they are given (siderolabs/talos
 * pkg/cluster/check, v1.13.9), so only once the node is neither can the staying nodes pass them, and
 * the deploy that then drops the node from the config deletes what is left (its config apply and VM)
 * without touching the cluster.
 */
export function leaveCommand(cluster: TalosClusterSpec, node: TalosNode): string {
  if (!node.retire) throw new Error(`node ${node.name} is not retiring`);
  return scriptLine([
    "leave",
    "--node",
    node.ip,
    "--hostname",
    node.name,
    "--role",
    node.role,
    "--mode",
    node.retire,
    ...memberArgs(upgradeOrder(cluster)),
  ]);
}
