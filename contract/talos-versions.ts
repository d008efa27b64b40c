/**
 * Talos release and contract arithmetic, shared by the config checks, the
 * patch-shape decisions and the rollout script (which runs outside Pulumi, so
 * nothing here may import it).
 */

export interface TalosRelease {
  readonly major: number;
  readonly minor: number;
  /** Absent for a contract (`v1.13`). */
  readonly patch?: number;
}

/** `v1.13.9`, `1.13.9`, `v1.13` (a contract); `Tag: v1.13.9` and pre-release suffixes as talosctl prints them. */
export function parseTalosRelease(text: string): TalosRelease | undefined {
  const match = /v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), ...(match[3] !== undefined ? { patch: Number(match[3]) } : {}) };
}

export function compareMinor(a: TalosRelease, b: TalosRelease): number {
  return a.major !== b.major ? a.major - b.major : a.minor - b.minor;
}

function compareRelease(a: TalosRelease, b: TalosRelease): number {
  return compareMinor(a, b) || (a.patch ?? 0) - (b.patch ?? 0);
}

/** Whether `version` (a release or a contract) is at least `major.minor`. */
export function atLeastMinor(version: string, major: number, minor: number): boolean {
  const v = parseTalosRelease(version);
  if (!v) throw new Error(`not a Talos version: ${version} (expected e.g. v1.13.9 or v1.13)`);
  return compareMinor(v, { major, minor }) >= 0;
}

export const formatRelease = (r: TalosRelease): string => `v${r.major}.${r.minor}${r.patch !== undefined ? `.${r.patch}` : ""}`;

/**
 * Why going from `from` to `to` is not one supported Talos upgrade step, or
 * undefined when it is: Talos upgrades one minor release at a time and never
 * downgrades in place.
 */
export function upgradeStepProblem(from: TalosRelease, to: TalosRelease): string | undefined {
  const order = compareRelease(to, from);
  if (order < 0) return `${formatRelease(to)} is older than the installed ${formatRelease(from)}: a downgrade is not supported`;
  if (from.major !== to.major || to.minor - from.minor > 1) {
    return `${formatRelease(from)} → ${formatRelease(to)} skips a minor release: Talos upgrades one minor at a time (go to v${from.major}.${from.minor + 1}.x first)`;
  }
  return undefined;
}

/**
 * The Kubernetes minors each Talos minor runs, as Talos' own compatibility
 * check states them (siderolabs/talos pkg/machinery/compatibility/talos1NN/talos1NN.go,
 * Minimum/MaximumKubernetesVersion, read at v1.13.9 and v1.14.0-rc.1). `upgrade-k8s`
 * refuses a target outside the node's range, so the config refuses it first.
 */
export const KUBERNETES_MINORS_OF_TALOS: Readonly<Record<string, readonly [number, number]>> = {
  "1.11": [29, 34],
  "1.12": [30, 35],
  "1.13": [31, 36],
  "1.14": [32, 37],
};

/** `1.36.3` or `v1.36.3` → its minor (36); undefined for anything else. */
export function kubernetesMinor(version: string): number | undefined {
  const match = /^v?1\.(\d+)\.\d+$/.exec(version);
  return match ? Number(match[1]) : undefined;
}

/** Why `talos` (a release) cannot run Kubernetes `kubernetes`, or undefined when it can (or the release is not in the table). */
export function kubernetesSupportProblem(talos: TalosRelease, kubernetes: string): string | undefined {
  const range = KUBERNETES_MINORS_OF_TALOS[`${talos.major}.${talos.minor}`];
  const minor = kubernetesMinor(kubernetes);
  if (!range || minor === undefined) return undefined;
  const [low, high] = range;
  if (minor >= low && minor <= high) return undefined;
  return `Talos ${formatRelease(talos)} runs Kubernetes 1.${low} to 1.${high}, not ${kubernetes}`;
}
