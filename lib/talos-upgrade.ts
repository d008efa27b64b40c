/**
 * The rolling upgrade as the stack registers it: which nodes, in what order,
 * and the rollout script's command line for each (scripts/talos-upgrade.ts
 * does the work and the health gating). No Pulumi here.
 */
import { activeNodes, controlPlanes, type TalosClusterSpec, type TalosNode } from "../config/resolve.ts";

/**
 * Control planes first (one etcd member down at a time), then workers; by name within each, so the
 * order never follows config order. A retiring node is on its way out (or dead): it is neither
 * upgraded nor waited for.
 */
export function upgradeOrder(cluster: TalosClusterSpec): TalosNode[] {
  const staying = activeNodes(cluster.nodes);
  return [...controlPlanes({ nodes: staying }), ...staying.filter((n) => n.role === "worker")];
}

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

function clusterArgs(cluster: TalosClusterSpec): string[] {
  const staying = activeNodes(cluster.nodes);
  const workers = staying.filter((n) => n.role === "worker").map((n) => n.ip);
  return ["--control-planes", controlPlanes({ nodes: staying }).map((n) => n.ip).join(","), ...(workers.length ? ["--workers", workers.join(",")] : [])];
}

/** Relative to the project directory, where `pulumi up` runs the program and its commands. */
const SCRIPT = "scripts/talos-upgrade.ts";

/** Upgrades one node to cluster.talos.version with the schematic's installer; the script skips it when it already runs that release and schematic. */
export function osUpgradeCommand(cluster: TalosClusterSpec, node: TalosNode, installer: string): string {
  return ["node", SCRIPT, "os", "--to", cluster.talos.version, "--image", installer, "--nodes", node.ip, ...clusterArgs(cluster)].map(quote).join(" ");
}

export function kubernetesUpgradeCommand(cluster: TalosClusterSpec, kubernetesVersion: string): string {
  return ["node", SCRIPT, "kubernetes", "--to", kubernetesVersion, ...clusterArgs(cluster)].map(quote).join(" ");
}
