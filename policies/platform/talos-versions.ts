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
 * The Kubernetes minors each Talos minor release supports, [oldest, newest]
 * (siderolabs/talos pkg/machinery/compatibility/talos113/talos113.go and
 * talos114/talos114.go: 1.31.0–1.36.99 and 1.32.0–1.37.99). The one table of
 * Kubernetes releases the stack knows; a minor outside every row is no
 * release a Talos this stack runs can install.
 */
export const KUBERNETES_MINORS_BY_TALOS: Readonly<Record<string, readonly [number, number]>> = {
  "1.13": [31, 36],
  "1.14": [32, 37],
};
