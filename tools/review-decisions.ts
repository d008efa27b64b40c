/**
 * What a reviewer must decide, before any detail: what Pulumi's preview and
 * synth say is replaced or deleted, Talos and Kubernetes version changes with
 * the rollout order, route and DNS changes.
 */
import { parseTalosRelease, upgradeStepProblem } from "../contract/talos-versions.ts";
import type { StackFiles } from "./review-files.ts";
import { keyPathChanges, shownPair } from "./review-key-paths.ts";
import { summarySection } from "./review-summary.ts";
import { ignoredInputs, type Resource } from "./review-resources.ts";

/**
 * Pulumi's own counts, from the summary a preview ends with: `    +-1 to replace`
 * (pulumi/pulumi pkg/backend/display/diff.go renderSummaryEvent, the op
 * prefixes of pkg/resource/deploy/step.go RawPrefix; v3.259.0). None when the
 * preview did not get that far.
 */
export function previewCounts(preview: string): Map<string, number> | undefined {
  const at = preview.lastIndexOf("Resources:");
  if (at < 0) return undefined;
  const counts = new Map<string, number>();
  for (const m of preview
    .slice(at)
    .matchAll(/^\s*(?:\+-|\+\+|--|[+~-] ?)(\d+) to (create|update|replace|delete|create-replacement|delete-replaced)\s*$/gm))
    counts.set(m[2]!, Number(m[1]));
  return counts;
}

const patternPath = (p: string) => `inputs.${p.replace(/(\[\*\]|\.\*)+$/, "")}`;
const under = (path: string, prefix: string) =>
  prefix === "inputs." || prefix === "inputs.*" || path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);

/**
 * What synth can tell will be replaced: a resource whose changed inputs fall
 * under its replaceOnChanges (a Command's triggers, the machine secrets'
 * talosVersion). The engine sets ignored inputs back to their old values
 * before it diffs (facts.md 2026-12-07, pulumi/pulumi step_generator.go), so
 * those never count. A provider may replace more; the preview says.
 */
function replacements(b: Map<string, Resource>, a: Map<string, Resource>): string[] {
  const out: string[] = [];
  for (const [key, after] of a) {
    const before = b.get(key);
    if (!before) continue;
    const roc = Array.isArray(after.options.replaceOnChanges)
      ? after.options.replaceOnChanges.filter((p): p is string => typeof p === "string").map(patternPath)
      : [];
    if (roc.length === 0) continue;
    const ignored = ignoredInputs(after);
    const changed = keyPathChanges({ inputs: before.inputs }, { inputs: after.inputs })
      .map((c) => c.path)
      .filter((p) => !ignored(p));
    if (changed.some((p) => roc.some((r) => under(p, r)))) out.push(key);
  }
  return out.sort();
}

const deletions = (b: Map<string, Resource>, a: Map<string, Resource>) =>
  [...b.keys()].filter((k) => !a.has(k) && b.get(k)!.custom !== false).sort();
const resourceName = (key: string) => `\`${key.slice(key.indexOf("::") + 2)}\``;
const protectedOnes = (keys: readonly string[], r: Map<string, Resource>) => keys.filter((k) => r.get(k)?.options.protect === true);

function listed(keys: readonly string[], max = 8): string {
  return keys.length <= max
    ? keys.map(resourceName).join(", ")
    : `${keys.slice(0, max).map(resourceName).join(", ")} and ${keys.length - max} more`;
}

interface Rollout {
  readonly release: string;
  readonly installer: string;
  /** Node addresses in the order the upgrade runs. */
  readonly addresses: readonly string[];
}

/** The rolling upgrade summary.md states: release, installer and the order of the nodes. */
function rollout(summary: string): Rollout | undefined {
  const section = summarySection(summary, "Talos upgrades and config changes");
  // "Rolling upgrade to" is how summaries before the single rollout Command put it: a base branch may still say so.
  const head = section
    .map((l) => /^(?:Rolling upgrade|Rollout \([^)]*\)) to `([^`]+)` with the schematic's installer `([^`]+)`/.exec(l))
    .find(Boolean);
  if (!head) return undefined;
  // The step table's last column is the node's address (`| step | address |`).
  const addresses = section.filter((l) => /^\| \d+ \|/.test(l)).map((l) => l.slice(2, -2).split(" | ").at(-1)!.trim());
  return { release: head[1]!, installer: head[2]!, addresses };
}

const kubernetesTarget = (summary: string) => /^(?:Then )?Kubernetes `([^`]+)`/m.exec(summary)?.[1];

/** The Nodes table of summary.md: address → "name (Proxmox host)". */
function nodeNames(summary: string): Map<string, string> {
  const rows = summarySection(summary, "Nodes")
    .filter((l) => l.startsWith("| "))
    .slice(2)
    .map((l) =>
      l
        .slice(2, -2)
        .split(" | ")
        .map((c) => c.trim()),
    );
  return new Map(rows.map((c) => [c[2]!, c[3] ? `${c[0]} (${c[3]})` : c[0]!]));
}

function versionDecisions(base: StackFiles, head: StackFiles): string[] {
  const bs = base.get("summary.md") ?? "";
  const hs = head.get("summary.md") ?? "";
  const was = rollout(bs);
  const now = rollout(hs);
  const lines: string[] = [];
  if (was && now && (was.release !== now.release || was.installer !== now.installer)) {
    const names = nodeNames(hs);
    const order = now.addresses.map((a) => names.get(a) ?? a).join(" → ");
    const [bi, ai] = shownPair(was.installer, now.installer);
    const what = was.release !== now.release ? `Talos \`${was.release}\` → \`${now.release}\`` : `Talos installer ${bi} → ${ai}`;
    // The config alone cannot know the release the nodes run; the reviewer, seeing both sides, can:
    // the rollout refuses these before touching a node, after the deploy's other steps ran.
    const [from, to] = [parseTalosRelease(was.release), parseTalosRelease(now.release)];
    const refused = from && to ? upgradeStepProblem(from, to) : undefined;
    lines.push(
      refused
        ? `- **${what} will be refused** by the rollout before it touches a node: ${refused}.`
        : `- **${what}**: every node reboots once, one at a time, each after a healthy cluster: ${order}.`,
    );
  }
  const kb = kubernetesTarget(bs);
  const kh = kubernetesTarget(hs);
  if (kh !== kb && kh)
    lines.push(
      `- **Kubernetes ${kb ? `\`${kb}\` → ` : ""}\`${kh}\`** (talosctl upgrade-k8s, before any config apply and the Talos rollout): control-plane components and kubelets restart; no node reboots for it.`,
    );
  return lines;
}

/** The lines a reviewer decides on, before any detail. */
export function decisions(
  b: StackFiles,
  h: StackFiles,
  rb: Map<string, Resource>,
  rh: Map<string, Resource>,
  routeLines: readonly string[],
  dns: readonly string[],
  preview: string | undefined,
): string[] {
  const lines: string[] = [];
  const counts = preview === undefined ? undefined : previewCounts(preview);
  if (counts) {
    const order = ["replace", "create-replacement", "delete-replaced", "delete", "create", "update"];
    const shownCounts = order.filter((op) => counts.has(op)).map((op) => `${counts.get(op)} to ${op}`);
    lines.push(`- **Pulumi preview**: ${shownCounts.length ? shownCounts.join(", ") : "no changes"}.`);
  } else if (preview !== undefined) lines.push("- **Pulumi preview** did not finish: see its job's log; below is what synth sees.");
  const replaced = replacements(rb, rh);
  const deleted = deletions(rb, rh);
  const by = counts ? "synth names" : "from synth";
  if (replaced.length)
    lines.push(`- **Replaces** ${replaced.length} (${by}; their triggers or replaceOnChanges inputs change): ${listed(replaced)}.`);
  if (deleted.length) lines.push(`- **Deletes** ${deleted.length} (${by}): ${listed(deleted)}.`);
  const refused = [...protectedOnes(replaced, rh), ...protectedOnes(deleted, rb)];
  if (refused.length)
    lines.push(
      `- **Refused**: ${listed(refused)} ${refused.length === 1 ? "is" : "are"} protected; the preview fails until the change is undone or the runbook followed.`,
    );
  lines.push(...versionDecisions(b, h));
  const routes = routeLines
    .filter((l) => /^\| (added|removed|now) \|/.test(l))
    .map((l) => {
      const cells = l.split(" | ");
      return `${cells[0] === "| now" ? "changed" : cells[0]!.slice(2)} \`${cells[1]}${cells[2] === "/" ? "" : cells[2]}\``;
    });
  if (routes.length) lines.push(`- **Routes**: ${routes.join(", ")}.`);
  if (dns.length) lines.push(`- **DNS**: ${dns.map((l) => l.slice(2)).join("; ")}.`);
  return lines.length ? lines : ["- Nothing replaced or deleted; no Talos, Kubernetes, route or DNS change."];
}
