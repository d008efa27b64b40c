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
import { fileDiffs, manifestDiff, talosDiff, yamlDiff, type FileDiff, type OutTree, type StackFiles } from "./review-files.ts";
import { routeChanges, routeRows, summarySection } from "./review-summary.ts";
import { dnsChanges, resourceChanges, resources } from "./review-resources.ts";
import { decisions } from "./review-decisions.ts";

/** GitHub refuses comments over 65536 characters; the rest is margin for the workflow's marker and header. */
export const COMMENT_LIMIT = 65_000;
const PREVIEW_WIDTH = 12_000;

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
