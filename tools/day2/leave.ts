/** A retiring node's departure from Talos, etcd and Kubernetes. */
import { RolloutError, UPGRADE_TIMEOUT, type Cluster, type Members, type Tool } from "./talosctl.ts";

export interface Departure {
  readonly node: string;
  readonly hostname: string;
  readonly role: "controlplane" | "worker";
  readonly mode: "reset" | "forget";
}

/**
 * A retiring node leaves Talos, etcd and Kubernetes; the staying nodes must pass
 * Talos' checks afterwards. Each part is skipped when already done, so a re-run
 * after a failure finishes the job.
 */
export async function leave(cluster: Cluster, kubectl: Tool, d: Departure): Promise<void> {
  await cluster.checkClient(undefined);
  const staying = cluster.members;
  const withNode: Members =
    d.role === "controlplane"
      ? { controlPlanes: [...staying.controlPlanes, d.node], workers: staying.workers }
      : { controlPlanes: staying.controlPlanes, workers: [...staying.workers, d.node] };

  if (d.mode === "reset" && (await cluster.release(d.node))) {
    // A member that leaves gracefully shrinks etcd with it (quorum follows), so the gate suffices.
    await cluster.gate(withNode, `before ${d.hostname} leaves`);
    cluster.log(`${d.node}: graceful reset (cordon, drain${d.role === "controlplane" ? ", leave etcd" : ""}, wipe, power off)`);
    await cluster.ctl([
      "--endpoints",
      d.node,
      "--nodes",
      d.node,
      "reset",
      "--graceful=true",
      "--reboot=false",
      "--wait",
      "--timeout",
      UPGRADE_TIMEOUT,
    ]);
  } else if (d.mode === "reset") {
    cluster.log(`${d.node}: does not answer on its Talos API: already reset`);
  }

  if (d.role === "controlplane") {
    const members = await cluster.etcdMembers(staying.controlPlanes[0]!);
    const member = members.find((m) => m.ip === d.node);
    if (member) {
      const others = members.filter((m) => m !== member);
      const healthy = await cluster.etcdStatus(others).then(
        () => true,
        () => false,
      );
      const quorum = Math.floor(members.length / 2) + 1;
      if (!healthy || others.length < quorum) {
        throw new RolloutError(
          `refusing to remove etcd member ${member.hostname} (${member.id}): the other ${members.length - 1} of ${members.length} members must all be healthy to keep quorum (${quorum}); check talosctl -n ${staying.controlPlanes[0]} etcd status, or recover the cluster (docs/operations.md: recover a lost control plane)`,
        );
      }
      cluster.log(`${d.node}: removing etcd member ${member.hostname} (${member.id})`);
      await cluster.at(staying.controlPlanes[0]!, ["etcd", "remove-member", member.id]);
    }
  }

  const present = (await kubectl(["get", "node", d.hostname, "--ignore-not-found", "-o", "name"])).trim();
  if (present) {
    cluster.log(`${d.hostname}: deleting the Kubernetes Node`);
    await kubectl(["delete", "node", d.hostname, "--ignore-not-found"]);
  }
  await cluster.gate(staying, `after ${d.hostname} left`);
  cluster.log(`${d.hostname}: left the cluster; the staying nodes are healthy`);
}
