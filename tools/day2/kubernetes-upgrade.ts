/** The Kubernetes upgrade through talosctl upgrade-k8s, on the nodes that already answer. */
import { kubernetesSupportProblem } from "../../contract/talos-versions.ts";
import { all, Cluster, isControlPlane, RolloutError } from "./talosctl.ts";

export async function upgradeKubernetes(cluster: Cluster, to: string, why: string): Promise<void> {
  const cp = cluster.members.controlPlanes[0]!;
  cluster.log(`kubernetes: upgrade-k8s --to ${to} through ${cp} (${why})`);
  try {
    await cluster.at(cp, ["upgrade-k8s", "--to", to, "--with-docs=false", "--with-examples=false"]);
  } catch (e) {
    throw new RolloutError(
      `kubernetes: upgrade-k8s --to ${to} failed: ${(e as Error).message}. It is safe to re-run: upgrade-k8s skips what is already at ${to}`,
    );
  }
}

/**
 * Runs before the config applies, so it gates on the nodes that already answer
 * with the cluster's credentials: a node being added in the same deploy does not
 * exist yet, and a dead one, still a Kubernetes Node, fails Talos' checks as it should.
 */
export async function kubernetesUpgrade(cluster: Cluster, to: string): Promise<void> {
  if (!/^\d+\.\d+\.\d+$/.test(to)) throw new RolloutError(`--to ${to}: expected an exact Kubernetes release like 1.36.3`);
  await cluster.checkClient(undefined);
  const joined: { controlPlanes: string[]; workers: string[] } = { controlPlanes: [], workers: [] };
  const refused: string[] = [];
  for (const node of all(cluster.members)) {
    const release = await cluster.release(node);
    if (!release) {
      cluster.log(`${node}: does not answer on its Talos API yet (joining in this deploy?), not waited for`);
      continue;
    }
    (isControlPlane(cluster.members, node) ? joined.controlPlanes : joined.workers).push(node);
    const problem = kubernetesSupportProblem(release, to);
    if (problem) refused.push(`node ${node}: ${problem}`);
  }
  if (joined.controlPlanes.length === 0)
    throw new RolloutError(
      `no control plane of ${cluster.members.controlPlanes.join(", ")} answers on its Talos API; bring one back (talosctl -n <ip> dmesg) and re-run`,
    );
  if (refused.length)
    throw new RolloutError(
      `refusing Kubernetes ${to} before touching any node:\n  ${refused.join("\n  ")}\nupgrade Talos first (cluster.talos.version, one deploy), then Kubernetes`,
    );
  const scoped = new Cluster(cluster.ctl, joined, cluster.log);
  await scoped.gate(joined, `before the Kubernetes upgrade to ${to}`);
  await upgradeKubernetes(scoped, to, "the pinned release");
  await scoped.gate(joined, `after the Kubernetes upgrade to ${to}`);
  cluster.log(`kubernetes: ${to}, cluster healthy`);
}
