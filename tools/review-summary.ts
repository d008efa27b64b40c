/** What a review reads from summary.md: its sections, and the Routes table row by row. */
import type { StackFiles } from "./review-files.ts";

/** A section of summary.md (its lines up to the next `## `). */
export function summarySection(summary: string, title: string): string[] {
  const lines = summary.split("\n");
  const start = lines.indexOf(`## ${title}`);
  if (start < 0) return [];
  const end = lines.findIndex((l, i) => i > start && l.startsWith("## "));
  return lines.slice(start + 1, end < 0 ? undefined : end).filter((l, i, all) => l !== "" || (i > 0 && i < all.length - 1));
}

/** The Routes table's rows keyed by host and path. */
export function routeRows(summary: string | undefined): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of summarySection(summary ?? "", "Routes")
    .filter((l) => l.startsWith("| "))
    .slice(2)) {
    const cells = line.split(" | ");
    rows.set(`${cells[0]!.slice(2)} ${cells[1]}`, line);
  }
  return rows;
}

export function routeChanges(base: StackFiles, head: StackFiles): string[] {
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
