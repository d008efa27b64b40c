/**
 * Turns a recorded program run into the files of the synth contract
 * (design.md): resources.json, manifests/, helm/, talos/ and summary.md.
 * Pure apart from the final write: `synthFiles` returns path → content, so
 * tests compare output without touching the disk.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import type { RecordedResource } from "./recorder.ts";

export const TYPES = {
  release: "kubernetes:helm.sh/v3:Release",
  configurationApply: "talos:machine/configurationApply:ConfigurationApply",
  dnsRecord: "cloudflare:index/dnsRecord:DnsRecord",
  k8sProvider: "pulumi:providers:kubernetes",
} as const;

export interface SynthDocument {
  readonly stack: string;
  readonly project: string;
  /** Sorted by type, then name. */
  readonly resources: readonly RecordedResource[];
  readonly outputs: unknown;
}

/** Recursively sorts object keys, so equal values always serialize identically. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function synthDocument(stack: string, project: string, resources: readonly RecordedResource[], outputs: unknown): SynthDocument {
  const sorted = [...resources].sort((a, b) => compare(a.type, b.type) || compare(a.name, b.name) || compare(a.parent ?? "", b.parent ?? ""));
  return { stack, project, resources: sorted, outputs };
}

/** Kubernetes objects: every `kubernetes:` resource that is not a Helm release or the provider. */
export function isManifest(r: RecordedResource): boolean {
  return r.type.startsWith("kubernetes:") && r.type !== TYPES.release && r.custom;
}

const MANIFEST_HEAD = ["apiVersion", "kind", "metadata"];

/** The object as `kubectl` would see it: apiVersion, kind, metadata first, the rest sorted. */
export function manifestOf(r: RecordedResource): Record<string, unknown> {
  const sorted = sortKeys(r.inputs) as Record<string, unknown>;
  const head = MANIFEST_HEAD.filter((k) => k in sorted).map((k) => [k, sorted[k]]);
  const rest = Object.keys(sorted).filter((k) => !MANIFEST_HEAD.includes(k)).map((k) => [k, sorted[k]]);
  return Object.fromEntries([...head, ...rest]);
}

export function manifestPath(m: Record<string, unknown>, fallbackName: string): string {
  const meta = (m.metadata ?? {}) as { name?: string; namespace?: string };
  const kind = String(m.kind ?? "Unknown").toLowerCase();
  const group = String(m.apiVersion ?? "").split("/").slice(0, -1).join("") || "core";
  const scope = meta.namespace ?? "_cluster";
  return `manifests/${scope}/${kind}.${group}.${meta.name ?? fallbackName}.yaml`;
}

export function yamlOf(value: unknown): string {
  return stringify(value, { lineWidth: 0, sortMapEntries: false });
}

/** The YAML patch documents applied to each Talos node, keyed by the node's name. */
export function talosPatchFiles(resources: readonly RecordedResource[], nodeNameByIp: ReadonlyMap<string, string>): Map<string, string> {
  const files = new Map<string, string>();
  for (const r of resources.filter((x) => x.type === TYPES.configurationApply)) {
    const ip = String(r.inputs.node);
    const node = nodeNameByIp.get(ip) ?? ip;
    const patches = (r.inputs.configPatches as string[] | undefined) ?? [];
    const header = `# Talos machine-config patches for ${node} (${ip}), in the order they are applied\n`;
    files.set(`talos/${node}.yaml`, header + patches.map((p) => p.trimEnd()).join("\n---\n") + "\n");
  }
  return files;
}

export function helmValueFiles(resources: readonly RecordedResource[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const r of resources.filter((x) => x.type === TYPES.release)) {
    const release = String(r.inputs.name ?? r.name);
    const header = `# Helm values of release ${release}: chart ${String(r.inputs.chart)} ${String(r.inputs.version)} from ${String((r.inputs.repositoryOpts as { repo?: string } | undefined)?.repo)}\n`;
    const values = r.inputs.values === "[secret]" ? "[secret]" : sortKeys(r.inputs.values ?? {});
    files.set(`helm/${release}.values.yaml`, header + yamlOf(values));
  }
  return files;
}

/** Every output file of one stack, path → content. */
export function synthFiles(doc: SynthDocument, nodeNameByIp: ReadonlyMap<string, string>, summary: string): Map<string, string> {
  const files = new Map<string, string>();
  files.set("resources.json", `${JSON.stringify(sortKeys(doc), null, 2)}\n`);
  for (const r of doc.resources.filter(isManifest)) {
    const m = manifestOf(r);
    const path = manifestPath(m, r.name);
    if (files.has(path)) throw new Error(`two Kubernetes objects would be written to ${path} (resource ${r.type}::${r.name}); give them distinct metadata.name`);
    files.set(path, yamlOf(m));
  }
  for (const [path, content] of helmValueFiles(doc.resources)) files.set(path, content);
  for (const [path, content] of talosPatchFiles(doc.resources, nodeNameByIp)) files.set(path, content);
  files.set("summary.md", summary);
  return new Map([...files.entries()].sort(([a], [b]) => compare(a, b)));
}

/** Replaces `dir` with exactly these files. */
export function writeFiles(dir: string, files: ReadonlyMap<string, string>): void {
  rmSync(dir, { recursive: true, force: true });
  for (const [path, content] of files) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
}
