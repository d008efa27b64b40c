/**
 * The day-2 commands as the stack registers them: the command lines of
 * scripts/talos-upgrade.ts for the Talos rollout and the Kubernetes upgrade
 * (a retiring node's departure: builders/node-lifecycle.ts). No Pulumi here; the script does the work and the
 * health gating.
 */
import type { TalosClusterSpec, TalosNode } from "../model/resolve.ts";
import { activeNodes, controlPlanes } from "../model/nodes.ts";

/**
 * Control planes first (one etcd member down at a time), then workers; by name within each, so the
 * order never follows config order. A retiring node has left (its departure command runs first), so
 * it is neither upgraded nor waited for.
 */
export function upgradeOrder(cluster: TalosClusterSpec): TalosNode[] {
  const staying = activeNodes(cluster.nodes);
  return [...controlPlanes({ nodes: staying }), ...staying.filter((n) => n.role === "worker")];
}

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/** Relative to the project directory, where `pulumi up` runs the program and its commands. */
const SCRIPT = "scripts/talos-upgrade.ts";

export const scriptLine = (args: readonly string[]) => ["node", SCRIPT, ...args].map(quote).join(" ");

/** The staying members, in upgrade order: `--control-planes a,b --workers c`. */
export function memberArgs(nodes: readonly TalosNode[]): string[] {
  const workers = nodes.filter((n) => n.role === "worker").map((n) => n.ip);
  return [
    "--control-planes",
    controlPlanes({ nodes })
      .map((n) => n.ip)
      .join(","),
    ...(workers.length ? ["--workers", workers.join(",")] : []),
  ];
}

/**
 * The cluster's rollout, run after the config applies and the health check: every staying node to
 * cluster.talos.version with the schematic's installer (nodes already there are skipped), every node
 * whose applied config is staged for a reboot rebooted, each step one node at a time with the cluster
 * healthy before and after, then the bootstrap manifests synced with `upgrade-k8s` at the pinned
 * Kubernetes release.
 */
export function rolloutCommand(cluster: TalosClusterSpec, installer: string): string {
  return scriptLine([
    "rollout",
    "--talos",
    cluster.talos.version,
    "--image",
    installer,
    "--kubernetes",
    cluster.talos.kubernetesVersion,
    ...memberArgs(upgradeOrder(cluster)),
  ]);
}

/**
 * `upgrade-k8s` to the pinned Kubernetes release, run before any config apply so that the kubelet and
 * control-plane images in the applied configs are the ones upgrade-k8s has already rolled out. It names
 * every configured node, retiring ones included (they are members until their departure, which runs
 * after it), so that setting `retire` leaves it alone; the script waits only for the nodes that answer.
 */
export function kubernetesCommand(cluster: TalosClusterSpec): string {
  const all = [...controlPlanes(cluster), ...cluster.nodes.filter((n) => n.role === "worker")];
  return scriptLine(["kubernetes", "--to", cluster.talos.kubernetesVersion, ...memberArgs(all)]);
}
