/**
 * The pull request's review comment: per stack, first what a reviewer decides
 * (what is replaced or deleted, Talos and Kubernetes version changes with the
 * rollout order and the nodes that reboot, route and DNS changes), then what
 * synth says of the head (nodes, routes, policy) and what changes between the
 * base's out/ and the head's — routes, DNS records, Helm values, Talos patches
 * and Kubernetes objects as key paths, resources added and removed — beside
 * Pulumi's own preview. Pure: file trees in, Markdown out.
 *
 * Secrets: synth already writes every secret as "[secret]"; on top of that a
 * Kubernetes Secret's data is never shown, only the keys that change.
 */
import { parse, parseAllDocuments } from "yaml";
import { parseTalosRelease, upgradeStepProblem } from "../contract/talos-versions.ts";
import { TYPES } from "../contract/tokens.ts";

/** One stack's out/<stack>/ files: path → content. */
export type StackFiles = ReadonlyMap<string, string>;
/** out/: stack → its files. */
export type OutTree = ReadonlyMap<string, StackFiles>;

/** GitHub refuses comments over 65536 characters; the rest is margin for the workflow's marker and header. */
export const COMMENT_LIMIT = 65_000;
const VALUE_WIDTH = 80;
const PREVIEW_WIDTH = 12_000;

export interface Change {
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

type Json = unknown;
const isObject = (v: Json): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Arrays whose items all carry a `name` (containers, ports, env) are compared by name, so an insertion is not a cascade of index changes. */
function keyedByName(a: readonly Json[]): Map<string, Json> | undefined {
  if (a.length === 0 || !a.every((x) => isObject(x) && typeof x.name === "string")) return undefined;
  const names = a.map((x) => (x as { name: string }).name);
  return new Set(names).size === names.length ? new Map(a.map((x) => [(x as { name: string }).name, x])) : undefined;
}

/** Every key path at which `before` and `after` differ; a missing side is absent. */
export function keyPathChanges(before: Json, after: Json, path = ""): Change[] {
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((k) =>
      k in before
        ? k in after
          ? keyPathChanges(before[k], after[k], join(path, k))
          : [{ path: join(path, k), before: before[k] }]
        : [{ path: join(path, k), after: after[k] }],
    );
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const b = keyedByName(before);
    const a = keyedByName(after);
    if (a && b) {
      const names = [...new Set([...b.keys(), ...a.keys()])];
      return names.flatMap((n) => {
        const p = `${path}[name=${n}]`;
        return b.has(n)
          ? a.has(n)
            ? keyPathChanges(b.get(n), a.get(n), p)
            : [{ path: p, before: b.get(n) }]
          : [{ path: p, after: a.get(n) }];
      });
    }
    if (before.every((x) => !isObject(x) && !Array.isArray(x)) && after.every((x) => !isObject(x) && !Array.isArray(x)))
      return [{ path: path || ".", before, after }];
    const n = Math.max(before.length, after.length);
    return Array.from({ length: n }, (_, i) => i).flatMap((i) =>
      i >= before.length
        ? [{ path: `${path}[${i}]`, after: after[i] }]
        : i >= after.length
          ? [{ path: `${path}[${i}]`, before: before[i] }]
          : keyPathChanges(before[i], after[i], `${path}[${i}]`),
    );
  }
  return [{ path: path || ".", before, after }];
}

const join = (path: string, key: string) =>
  path ? `${path}.${/^[A-Za-z_][\w-]*$/.test(key) ? key : JSON.stringify(key)}` : /^[A-Za-z_][\w-]*$/.test(key) ? key : JSON.stringify(key);

const oneLine = (v: Json): string => (typeof v === "string" ? v : JSON.stringify(v)).replace(/\s+/g, " ");
const code = (text: string) => `\`${text.replaceAll("`", "'").replaceAll("|", "\\|")}\``;

/** Inline code of a value, cut to one readable line. */
function shown(v: Json): string {
  const one = oneLine(v);
  return code(one.length > VALUE_WIDTH ? `${one.slice(0, VALUE_WIDTH - 1)}…` : one);
}

/** How much of the text before the first difference a cut value keeps, so the reader sees what the change is in. */
const CONTEXT = 24;

/**
 * Both sides of a change, each cut to one line around where they first differ:
 * two long values that share a beginning (an installer image whose tag
 * changes) would otherwise be cut to the same text.
 */
export function shownPair(before: Json, after: Json): [string, string] {
  const b = oneLine(before);
  const a = oneLine(after);
  if (b.length <= VALUE_WIDTH && a.length <= VALUE_WIDTH) return [code(b), code(a)];
  let same = 0;
  while (same < b.length && same < a.length && b[same] === a[same]) same++;
  const start = same > VALUE_WIDTH - CONTEXT ? same - CONTEXT : 0;
  const window = (text: string) => {
    const lead = start > 0 ? "…" : "";
    const room = VALUE_WIDTH - lead.length;
    const rest = text.slice(start);
    return code(`${lead}${rest.length > room ? `${rest.slice(0, room - 1)}…` : rest}`);
  };
  return [window(b), window(a)];
}

function changeLine(c: Change, hideValues: boolean): string {
  const hidden = "(value not shown)";
  if (c.before === undefined) return `- added \`${c.path}\`${hideValues ? ` ${hidden}` : `: ${shown(c.after)}`}`;
  if (c.after === undefined) return `- removed \`${c.path}\``;
  if (hideValues) return `- changed \`${c.path}\` ${hidden}`;
  const [b, a] = shownPair(c.before, c.after);
  return `- \`${c.path}\`: ${b} → ${a}`;
}

// ── file kinds ──────────────────────────────────────────────────────────────

/** A YAML stream's documents by identity (kind and name, else position), so a Talos patch file compares document by document. */
function documents(text: string): Map<string, Json> {
  const docs = new Map<string, Json>();
  parseAllDocuments(text).forEach((d, i) => {
    const v = d.toJS() as Json;
    const id =
      isObject(v) && typeof v.kind === "string"
        ? `${v.kind}${typeof v.name === "string" ? ` ${v.name}` : ""}`
        : i === 0
          ? "machine config"
          : `document ${i + 1}`;
    docs.set(docs.has(id) ? `${id} (${i + 1})` : id, v);
  });
  return docs;
}

interface FileDiff {
  readonly file: string;
  readonly status: "added" | "removed" | "changed";
  readonly lines: readonly string[];
}

function fileDiffs(
  base: StackFiles,
  head: StackFiles,
  prefix: string,
  diff: (before: string, after: string, file: string) => string[],
): FileDiff[] {
  const files = [...new Set([...base.keys(), ...head.keys()])].filter((f) => f.startsWith(prefix)).sort();
  const out: FileDiff[] = [];
  for (const f of files) {
    const b = base.get(f);
    const h = head.get(f);
    if (b === h) continue;
    const name = f.slice(prefix.length);
    if (b === undefined) out.push({ file: name, status: "added", lines: [] });
    else if (h === undefined) out.push({ file: name, status: "removed", lines: [] });
    else out.push({ file: name, status: "changed", lines: diff(b, h, f) });
  }
  return out;
}

const yamlDiff = (before: string, after: string): string[] => keyPathChanges(parse(before), parse(after)).map((c) => changeLine(c, false));

function manifestDiff(before: string, after: string): string[] {
  const b = parse(before) as Json;
  const a = parse(after) as Json;
  const secret = (isObject(a) && a.kind === "Secret") || (isObject(b) && b.kind === "Secret");
  return keyPathChanges(b, a).map((c) => changeLine(c, secret && /^(data|stringData)\b/.test(c.path)));
}

function talosDiff(before: string, after: string): string[] {
  const b = documents(before);
  const a = documents(after);
  return [...new Set([...b.keys(), ...a.keys()])].flatMap((id) => {
    if (!b.has(id)) return [`- added document \`${id}\``];
    if (!a.has(id)) return [`- removed document \`${id}\``];
    return keyPathChanges(b.get(id), a.get(id)).map((c) => changeLine({ ...c, path: `${id}: ${c.path}` }, false));
  });
}

// ── summary.md and resources.json ───────────────────────────────────────────

/** A section of summary.md (its lines up to the next `## `). */
function summarySection(summary: string, title: string): string[] {
  const lines = summary.split("\n");
  const start = lines.indexOf(`## ${title}`);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && l.startsWith("## "));
  return lines.slice(start + 1, end < 0 ? undefined : end).filter((l, i, all) => l !== "" || (i > 0 && i < all.length - 1));
}

/** The Routes table's rows keyed by host and path. */
function routeRows(summary: string | undefined): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of summarySection(summary ?? "", "Routes")
    .filter((l) => l.startsWith("| "))
    .slice(2)) {
    const cells = line.split(" | ");
    rows.set(`${cells[0]!.slice(2)} ${cells[1]}`, line);
  }
  return rows;
}

function routeChanges(base: StackFiles, head: StackFiles): string[] {
  const b = routeRows(base.get("summary.md"));
  const a = routeRows(head.get("summary.md"));
  const rows: string[] = [];
  for (const key of [...new Set([...b.keys(), ...a.keys()])].sort()) {
    const before = b.get(key);
    const after = a.get(key);
    if (before === after) continue;
    if (before && after) rows.push(`| was | ${before.slice(2)}`, `| now | ${after.slice(2)}`);
    else rows.push(before ? `| removed | ${before.slice(2)}` : `| added | ${after!.slice(2)}`);
  }
  if (!rows.length) return [];
  const header = summarySection(head.get("summary.md") ?? base.get("summary.md") ?? "", "Routes")
    .filter((l) => l.startsWith("| "))
    .slice(0, 2);
  return [`| change | ${header[0]!.slice(2)}`, `| --- | ${header[1]!.slice(2)}`, ...rows];
}

interface Resource {
  readonly type: string;
  readonly name: string;
  readonly custom?: boolean;
  readonly inputs: Record<string, Json>;
  readonly options: Record<string, Json>;
}

function resources(files: StackFiles): Map<string, Resource> {
  const text = files.get("resources.json");
  const doc = text ? (JSON.parse(text) as { resources: Resource[] }) : { resources: [] };
  return new Map(doc.resources.map((r) => [`${r.type}::${r.name}`, r]));
}

const record = (r: Resource) =>
  `\`${String(r.inputs.name)}\` ${String(r.inputs.type)} ${String(r.inputs.content)}${r.inputs.proxied === true ? " (proxied)" : ""}`;

function dnsChanges(b: Map<string, Resource>, a: Map<string, Resource>): string[] {
  const lines: string[] = [];
  for (const key of [...new Set([...b.keys(), ...a.keys()])].filter((k) => k.startsWith(`${TYPES.dnsRecord}::`)).sort()) {
    const before = b.get(key);
    const after = a.get(key);
    if (before && after) {
      if (record(before) !== record(after) || JSON.stringify(before.inputs) !== JSON.stringify(after.inputs))
        lines.push(`- ${record(before)} → ${record(after)}`);
    } else lines.push(before ? `- removed ${record(before)}` : `- added ${record(after!)}`);
  }
  return lines;
}

/**
 * Whether an input path falls under the resource's ignoreChanges: Pulumi keeps
 * the deployed value, so the change does nothing on `pulumi up` (e.g. a VM's
 * disk image, which an upgrade changes in place instead).
 */
function ignoredInputs(r: Resource): (path: string) => boolean {
  const ignore = Array.isArray(r.options.ignoreChanges)
    ? r.options.ignoreChanges.filter((p): p is string => typeof p === "string").map((p) => `inputs.${p}`)
    : [];
  return (path) => ignore.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
}

/** Resource changes that no other section shows: Kubernetes objects are in manifests/, release values in helm/, DNS records above. */
function resourceChanges(b: Map<string, Resource>, a: Map<string, Resource>): { added: string[]; removed: string[]; changed: string[] } {
  const added = [...a.keys()].filter((k) => !b.has(k)).sort();
  const removed = [...b.keys()].filter((k) => !a.has(k)).sort();
  const changed: string[] = [];
  for (const key of [...a.keys()].filter((k) => b.has(k)).sort()) {
    const before = b.get(key)!;
    const after = a.get(key)!;
    const shownElsewhere =
      key.startsWith(`${TYPES.dnsRecord}::`) || (key.startsWith("kubernetes:") && !key.startsWith("kubernetes:helm.sh/"));
    const ignored = ignoredInputs(after);
    const changes = keyPathChanges({ inputs: before.inputs, options: before.options }, { inputs: after.inputs, options: after.options })
      .filter((c) => !shownElsewhere || c.path.startsWith("options"))
      .filter((c) => !c.path.startsWith("inputs.values") && !c.path.startsWith("inputs.configPatches"));
    if (changes.length)
      changed.push(
        `- \`${key}\``,
        ...changes.map(
          (c) =>
            `  ${ignored(c.path) ? `- \`${c.path}\` changed, ignored (ignoreChanges): the deployed value stays` : changeLine(c, false)}`,
        ),
      );
  }
  return { added, removed, changed };
}

// ── what a reviewer must decide ─────────────────────────────────────────────

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
function decisions(
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

// ── the comment ─────────────────────────────────────────────────────────────

export interface ReviewInput {
  readonly base: OutTree;
  readonly head: OutTree;
  /** Pulumi's preview output per stack (the preview jobs' text), when it ran. */
  readonly previews?: ReadonlyMap<string, string>;
  readonly limit?: number;
}

interface StackReport {
  readonly stack: string;
  readonly headline: string;
  readonly full: string[];
  readonly compact: string[];
}

function counted(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

function fileSection(title: string, diffs: readonly FileDiff[], detail: boolean): string[] {
  if (!diffs.length) return [];
  const out = [`#### ${title}`, ""];
  for (const d of diffs) {
    out.push(
      d.status === "changed" ? `**${d.file}**${detail ? "" : ` (${counted(d.lines.length, "change")})`}` : `**${d.file}** ${d.status}`,
    );
    if (detail && d.lines.length) out.push(...d.lines);
    out.push("");
  }
  return out;
}

function stackReport(stack: string, base: StackFiles | undefined, head: StackFiles | undefined, preview: string | undefined): StackReport {
  const b = base ?? new Map<string, string>();
  const h = head ?? new Map<string, string>();
  const summary = h.get("summary.md") ?? "";
  const facts: string[] = [];
  const nodes = summarySection(summary, "Nodes").filter((l) => l.startsWith("| ")).length - 2;
  const routes = routeRows(summary).size;
  const policy = summarySection(summary, "Policy").find((l) => l.trim() !== "" && !l.startsWith("| ---")) ?? "";
  if (head)
    facts.push(
      counted(Math.max(nodes, 0), "node"),
      counted(routes, "route"),
      policy.startsWith("All ") ? `policy: ${policy.replace(/\.$/, "").toLowerCase()}` : "policy: violations (see below)",
    );

  const routeLines = routeChanges(b, h);
  const rb = resources(b);
  const rh = resources(h);
  const dns = dnsChanges(rb, rh);
  const helm = fileDiffs(b, h, "helm/", yamlDiff);
  const talos = fileDiffs(b, h, "talos/", talosDiff);
  const manifests = fileDiffs(b, h, "manifests/", manifestDiff);
  const res = resourceChanges(rb, rh);

  const verdicts = (["Nodes", "Policy"] as const).flatMap((t) => {
    const pick = (files: StackFiles) =>
      summarySection(files.get("summary.md") ?? "", t).filter((l) => (t === "Nodes" ? l.startsWith("Creates ") : l !== ""));
    const was = pick(b);
    const now = pick(h);
    return JSON.stringify(was) === JSON.stringify(now)
      ? []
      : [`**${t === "Nodes" ? "Proxmox footprint" : "Policy"}** was:`, "", ...was, "", "now:", "", ...now, ""];
  });
  const status = !base
    ? "new stack"
    : !head
      ? "removed"
      : [verdicts, routeLines, dns, helm, talos, manifests, res.added, res.removed, res.changed].every((x) => x.length === 0)
        ? "no change"
        : "changed";
  const tally = [
    routeLines.length ? counted(routeLines.filter((l) => /^\| (added|removed|was) \|/.test(l)).length, "route") : "",
    dns.length ? counted(dns.length, "DNS record") : "",
    helm.length ? `${counted(helm.length, "Helm values file")}` : "",
    talos.length ? `${counted(talos.length, "Talos patch file")}` : "",
    manifests.length ? counted(manifests.length, "Kubernetes object") : "",
    res.added.length || res.removed.length ? `resources +${res.added.length} −${res.removed.length}` : "",
  ].filter(Boolean);
  const headline = `### \`${stack}\`: ${status}${tally.length && base && head ? ` (${tally.join(", ")})` : ""}`;

  const decide = base && head ? [...decisions(b, h, rb, rh, routeLines, dns, preview), ""] : [];
  const top = [headline, "", ...decide, facts.length ? facts.join(" · ") : "", ""];
  const summaryBlock = head
    ? [
        "<details><summary>Synth summary of the head</summary>",
        "",
        ...["Nodes", "Routes", "Policy"].flatMap((t) => [`**${t}**`, "", ...summarySection(summary, t), ""]),
        "</details>",
        "",
      ]
    : [];
  const previewBlock =
    preview === undefined
      ? []
      : [
          "<details><summary>Pulumi preview</summary>",
          "",
          "```text",
          preview.length > PREVIEW_WIDTH
            ? `${preview.slice(0, PREVIEW_WIDTH)}\n… (cut; the full output is in the preview job's log)`
            : preview.trimEnd(),
          "```",
          "",
          "</details>",
          "",
        ];
  const changeBlock = (detail: boolean): string[] => {
    if (!base || !head) return [];
    const lines: string[] = [...verdicts];
    if (routeLines.length) lines.push("#### Routes", "", ...routeLines, "");
    if (dns.length) lines.push("#### DNS records", "", ...dns, "");
    lines.push(
      ...fileSection("Helm values", helm, detail),
      ...fileSection("Talos patches", talos, detail),
      ...fileSection("Kubernetes objects", manifests, detail),
    );
    if (res.added.length || res.removed.length || res.changed.length) {
      lines.push(
        "#### Resources",
        "",
        ...res.added.map((k) => `- added \`${k}\``),
        ...res.removed.map((k) => `- removed \`${k}\``),
        ...(detail ? res.changed : res.changed.filter((l) => l.startsWith("- ")).map((l) => `${l} changed`)),
        "",
      );
    }
    return lines;
  };
  return {
    stack,
    headline,
    full: [...top, ...changeBlock(true), ...summaryBlock, ...previewBlock],
    compact: [
      ...top,
      ...changeBlock(false),
      ...(previewBlock.length ? ["Pulumi preview: in the preview job's log (left out for size).", ""] : []),
    ],
  };
}

/** The whole comment; cut to `limit` characters with a note where even the compact form is too long. */
export function reviewComment(input: ReviewInput): string {
  const limit = input.limit ?? COMMENT_LIMIT;
  const stacks = [...new Set([...input.base.keys(), ...input.head.keys()])].sort();
  const reports = stacks.map((s) => stackReport(s, input.base.get(s), input.head.get(s), input.previews?.get(s)));
  const head = [
    "## Synth review",
    "",
    "What changes in `out/` between the base and this head, per stack (`npm run synth -- --all` on each; secrets are never shown).",
    "",
  ];
  const full = [...head, ...reports.flatMap((r) => r.full)].join("\n");
  if (full.length <= limit) return full;
  const note =
    "Details were left out to stay under GitHub's comment size limit: run `npm run synth -- --all` on both commits and `npm run review-diff` locally for the full diff.";
  const compact = [...head, `> ${note}`, "", ...reports.flatMap((r) => r.compact)].join("\n");
  if (compact.length <= limit) return compact;
  const cutNote = `\n\n> … cut at ${limit} characters. ${note}\n`;
  const cut = compact.slice(0, limit - cutNote.length);
  return `${cut.slice(0, cut.lastIndexOf("\n"))}${cutNote}`;
}
