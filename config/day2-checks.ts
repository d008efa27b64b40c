/**
 * Day-2 rules a config alone can decide: the pinned Kubernetes must be one the
 * Talos release runs (`upgrade-k8s` refuses it on the nodes otherwise, after the
 * image downloads and config applies of the same deploy). What the nodes run
 * today is not in the config: the rollout refuses a downgrade or a jump over a
 * minor from each node's reported release before it touches one.
 */
import type { ParsedConfig } from "../model/schema.ts";
import type { KeyPath } from "./checks.ts";
import { KUBERNETES_MINORS_OF_TALOS, kubernetesSupportProblem, parseTalosRelease } from "../contract/talos-versions.ts";

export function checkKubernetesPin(c: ParsedConfig, add: (path: KeyPath, message: string) => void): void {
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
