/** The Talos rollout: every node to the target release and schematic, then into its staged config, one at a time, the cluster healthy between steps. */
import {
  formatRelease,
  kubernetesSupportProblem,
  parseTalosRelease,
  upgradeStepProblem,
  type TalosRelease,
} from "../../contract/talos-versions.ts";
import { all, Cluster, isControlPlane, RolloutError, UPGRADE_TIMEOUT, type EtcdMember } from "./talosctl.ts";
import { upgradeKubernetes } from "./kubernetes-upgrade.ts";

/** `factory.talos.dev/nocloud-installer/<schematic>:v1.13.10` → `<schematic>` */
const installerSchematic = (image: string) => /\/([0-9a-f]{64}):[^/]+$/.exec(image)?.[1];

async function guardControlPlaneStep(cluster: Cluster, node: string, members: readonly EtcdMember[], what: string): Promise<void> {
  if (!isControlPlane(cluster.members, node)) return;
  const problem = Cluster.quorumProblem(members.length);
  if (problem) throw new RolloutError(`refusing to ${what} control plane ${node}: ${problem}`);
}

export async function rollout(cluster: Cluster, to: string, image: string, kubernetes: string): Promise<void> {
  const target = parseTalosRelease(to);
  if (!target || target.patch === undefined) throw new RolloutError(`--talos ${to}: expected an exact Talos release like v1.13.10`);
  if (!image.endsWith(`:${formatRelease(target)}`))
    throw new RolloutError(`--image ${image} is not the installer of ${formatRelease(target)}`);
  const unsupported = kubernetesSupportProblem(target, kubernetes);
  if (unsupported)
    throw new RolloutError(
      `refusing the rollout before touching any node: ${unsupported}; set cluster.talos.kubernetesVersion to a release it runs and re-run`,
    );
  await cluster.checkClient(target);

  const nodes = all(cluster.members);
  const reported = new Map<string, TalosRelease>();
  for (const node of nodes) reported.set(node, await cluster.mustRelease(node));
  const refused = nodes.flatMap((node) => {
    const problem = upgradeStepProblem(reported.get(node)!, target);
    return problem ? [`node ${node}: ${problem}`] : [];
  });
  if (refused.length)
    throw new RolloutError(
      `refusing the upgrade to ${formatRelease(target)} before touching any node:\n  ${refused.join("\n  ")}\nset cluster.talos.version to a release one minor step from every node's (or back to the installed one) and re-run`,
    );

  let members = await cluster.gate(cluster.members, "before the rollout");
  const schematic = installerSchematic(image);
  for (const node of nodes) {
    const before = reported.get(node)!;
    const booted = await cluster.schematic(node);
    if (formatRelease(before) === formatRelease(target) && booted === schematic) {
      cluster.log(`${node}: already ${formatRelease(target)} with schematic ${schematic?.slice(0, 12)}, skipped`);
      continue;
    }
    await guardControlPlaneStep(cluster, node, members, "upgrade");
    cluster.log(
      `${node}: upgrading ${formatRelease(before)} → ${formatRelease(target)} with ${image}${booted !== schematic ? ` (schematic ${booted?.slice(0, 12) ?? "none"} → ${schematic?.slice(0, 12)})` : ""}`,
    );
    try {
      await cluster.at(node, ["upgrade", "--image", image, "--wait", "--timeout", UPGRADE_TIMEOUT]);
    } catch (e) {
      throw new RolloutError(
        `node ${node}: upgrade to ${formatRelease(target)} failed: ${(e as Error).message}. The rollout stopped here; see docs/upgrading.md (talosctl -n ${node} dmesg, talosctl -n ${node} rollback if it booted badly), then re-run`,
      );
    }
    const after = await cluster.mustRelease(node);
    if (formatRelease(after) !== formatRelease(target)) {
      throw new RolloutError(
        `node ${node}: still reports ${formatRelease(after)} after the upgrade to ${formatRelease(target)} (Talos may have rolled back); check talosctl -n ${node} dmesg, then re-run`,
      );
    }
    const bootedAfter = await cluster.schematic(node);
    if (bootedAfter !== schematic) {
      throw new RolloutError(
        `node ${node}: booted schematic ${bootedAfter ?? "none"} after the upgrade, not ${schematic}; check talosctl -n ${node} get extensions, then re-run`,
      );
    }
    members = await cluster.gate(cluster.members, `after upgrading ${node}`);
    cluster.log(`${node}: ${formatRelease(target)}, cluster healthy`);
  }

  for (const node of nodes) {
    if (!(await cluster.staged(node))) continue;
    await guardControlPlaneStep(cluster, node, members, "reboot");
    cluster.log(`${node}: rebooting into its staged config`);
    await cluster.at(node, ["reboot", "--wait", "--timeout", UPGRADE_TIMEOUT]);
    if (await cluster.staged(node))
      throw new RolloutError(
        `node ${node}: its staged config is still not running after the reboot; check talosctl -n ${node} dmesg, then re-run`,
      );
    members = await cluster.gate(cluster.members, `after rebooting ${node}`);
    cluster.log(`${node}: staged config running, cluster healthy`);
  }

  // Talos creates the bootstrap manifests (Flannel, kube-network-policies, CoreDNS, kube-proxy) only
  // at bootstrap; a new Talos release or a changed CNI setting reaches them only through upgrade-k8s.
  await upgradeKubernetes(cluster, kubernetes, "syncing the bootstrap manifests");
  await cluster.gate(cluster.members, "after syncing the bootstrap manifests");
  cluster.log(`rollout: every node ${formatRelease(target)}, Kubernetes ${kubernetes}, manifests synced, cluster healthy`);
}
