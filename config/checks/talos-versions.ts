/**
 * Version rules a config alone can decide (the contract against the release in
 * checkTalosVersions). Day 2: the pinned Kubernetes must be one the
 * Talos release runs (`upgrade-k8s` refuses it on the nodes otherwise, after the
 * image downloads and config applies of the same deploy). What the nodes run
 * today is not in the config: the rollout refuses a downgrade or a jump over a
 * minor from each node's reported release before it touches one.
 */
import type { ParsedConfig } from "../../model/schema.ts";
import { DEFAULTS } from "../../model/defaults.ts";
import { compareMinor, KUBERNETES_MINORS_OF_TALOS, kubernetesSupportProblem, parseTalosRelease } from "../../contract/talos-versions.ts";
import type { Add } from "./issue.ts";

export function checkKubernetesPin(c: ParsedConfig, add: Add): void {
  if (c.cluster.provider !== "talos") return;
  const talos = c.cluster.talos;
  const release = parseTalosRelease(talos.version);
  const problem = release && kubernetesSupportProblem(release, talos.kubernetesVersion);
  if (!problem) return;
  const [low, high] = KUBERNETES_MINORS_OF_TALOS[`${release.major}.${release.minor}`]!;
  add(
    ["cluster", "talos", "kubernetesVersion"],
    `${problem} (siderolabs/talos compatibility table); keep Kubernetes at 1.${low}-1.${high} on this Talos, or upgrade cluster.talos.version first (one deploy), then Kubernetes (the next)`,
  );
}

/**
 * What a config can know about versions: not the nodes' installed release (the
 * rollout checks that against what each node reports), but how the installed
 * release relates to the pinned contract and what the provider can generate.
 */
export function checkTalosVersions(c: ParsedConfig, add: Add): void {
  const cl = c.cluster;
  if (cl.provider !== "talos") return;
  const release = parseTalosRelease(cl.talos.version);
  const contract = parseTalosRelease(cl.talos.configContract);
  const machinery = parseTalosRelease(DEFAULTS.talos.configContract);
  if (!release || !contract || !machinery) return;
  if (compareMinor(contract, machinery) > 0) {
    add(
      ["cluster", "talos", "configContract"],
      `${cl.talos.configContract} is newer than the provider's Talos machinery (${DEFAULTS.talos.configContract}): it cannot generate configs for it; keep the contract the cluster was created with (at most ${DEFAULTS.talos.configContract})`,
    );
  }
  if (compareMinor(release, contract) < 0) {
    add(
      ["cluster", "talos", "version"],
      `${cl.talos.version} is older than cluster.talos.configContract ${cl.talos.configContract}: a node cannot run a config contract newer than its Talos; use a v${contract.major}.${contract.minor}.x release or later (Talos is never downgraded by this stack)`,
    );
  }
}
