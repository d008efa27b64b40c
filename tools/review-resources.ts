/** What a review reads from resources.json: DNS records, and resource changes no other section shows. */
import { TYPES } from "../contract/tokens.ts";
import type { StackFiles } from "./review-files.ts";
import { changeLine, keyPathChanges, type Json } from "./review-key-paths.ts";

export interface Resource {
  readonly type: string;
  readonly name: string;
  readonly custom?: boolean;
  readonly inputs: Record<string, Json>;
  readonly options: Record<string, Json>;
}

export function resources(files: StackFiles): Map<string, Resource> {
  const text = files.get("resources.json");
  const doc = text ? (JSON.parse(text) as { resources: Resource[] }) : { resources: [] };
  return new Map(doc.resources.map((r) => [`${r.type}::${r.name}`, r]));
}

const record = (r: Resource) =>
  `\`${String(r.inputs.name)}\` ${String(r.inputs.type)} ${String(r.inputs.content)}${r.inputs.proxied === true ? " (proxied)" : ""}`;

export function dnsChanges(b: Map<string, Resource>, a: Map<string, Resource>): string[] {
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
export function ignoredInputs(r: Resource): (path: string) => boolean {
  const ignore = Array.isArray(r.options.ignoreChanges)
    ? r.options.ignoreChanges.filter((p): p is string => typeof p === "string").map((p) => `inputs.${p}`)
    : [];
  return (path) => ignore.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));
}

/** Resource changes that no other section shows: Kubernetes objects are in manifests/, release values in helm/, DNS records above. */
export function resourceChanges(
  b: Map<string, Resource>,
  a: Map<string, Resource>,
): { added: string[]; removed: string[]; changed: string[] } {
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
