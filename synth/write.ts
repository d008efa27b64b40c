/**
 * Turns a recorded program run into the files of the synth contract
 * (docs/operations.md, "Check a stack offline"): resources.json, manifests/, helm/, talos/ and summary.md.
 * Pure apart from the final write: `synthFiles` returns path → content, so
 * tests compare output without touching the disk.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { stringify } from "yaml";
import type { RecordedInvoke, RecordedResource, SynthDocument } from "../contract/synth-document.ts";
import { TYPES } from "../contract/tokens.ts";

export type { SynthDocument };

/** The synth document's file under out/<stack>/, the one the offline policy check reads. */
export const RESOURCES_FILE = "resources.json";

/** Recursively sorts object keys, so equal values always serialize identically. */
function sortKeys(value: unknown): unknown {
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

/** @param invokes the run's invokes (the health gate, the machine-config requests, the zone lookups), recorded like resources */
export function synthDocument(
  stack: string,
  project: string,
  resources: readonly RecordedResource[],
  outputs: unknown,
  invokes: readonly RecordedInvoke[] = [],
): SynthDocument {
  const sorted = [...resources].sort(
    (a, b) => compare(a.type, b.type) || compare(a.name, b.name) || compare(a.parent ?? "", b.parent ?? ""),
  );
  const keyed = invokes.map((i) => ({ i, key: JSON.stringify(sortKeys(i.args)) }));
  const calls = keyed.sort((a, b) => compare(a.i.token, b.i.token) || compare(a.key, b.key)).map(({ i }) => i);
  return { stack, project, resources: sorted, ...(calls.length ? { invokes: calls } : {}), outputs };
}

/** Kubernetes objects: every `kubernetes:` resource that is not a Helm release or the provider. */
function isManifest(r: RecordedResource): boolean {
  return r.type.startsWith("kubernetes:") && r.type !== TYPES.release && r.custom;
}

export type Manifest = Record<string, unknown>;

const MANIFEST_HEAD = ["apiVersion", "kind", "metadata"];

/** The object as `kubectl` would see it: apiVersion, kind, metadata first, the rest sorted. */
function manifestOf(r: RecordedResource): Manifest {
  const sorted = sortKeys(r.inputs) as Manifest;
  const head = MANIFEST_HEAD.filter((k) => k in sorted).map((k) => [k, sorted[k]]);
  const rest = Object.keys(sorted)
    .filter((k) => !MANIFEST_HEAD.includes(k))
    .map((k) => [k, sorted[k]]);
  return Object.fromEntries([...head, ...rest]);
}

function manifestPath(m: Manifest, fallbackName: string): string {
  const meta = (m.metadata ?? {}) as { name?: string; namespace?: string };
  const kind = String(m.kind ?? "Unknown").toLowerCase();
  const group =
    String(m.apiVersion ?? "")
      .split("/")
      .slice(0, -1)
      .join("") || "core";
  const scope = meta.namespace ?? "_cluster";
  return `manifests/${scope}/${kind}.${group}.${meta.name ?? fallbackName}.yaml`;
}

/**
 * Every Kubernetes object of a run by its path under out/<stack>/, or the
 * objects that would overwrite each other's file.
 */
export function manifestsByPath(resources: readonly RecordedResource[]): {
  readonly manifests: ReadonlyMap<string, Manifest>;
  readonly clashes: readonly string[];
} {
  const manifests = new Map<string, Manifest>();
  const clashes: string[] = [];
  for (const r of resources.filter(isManifest)) {
    const m = manifestOf(r);
    const path = manifestPath(m, r.name);
    if (manifests.has(path))
      clashes.push(`two Kubernetes objects would be written to ${path} (resource ${r.type}::${r.name}); give them distinct metadata.name`);
    else manifests.set(path, m);
  }
  return { manifests, clashes };
}

function yamlOf(value: unknown): string {
  return stringify(value, { lineWidth: 0, sortMapEntries: false });
}

/** The YAML patch documents applied to each Talos node, keyed by the node's name. */
function talosPatchFiles(resources: readonly RecordedResource[], nodeNameByIp: ReadonlyMap<string, string>): Map<string, string> {
  const files = new Map<string, string>();
  for (const r of resources.filter((x) => x.type === TYPES.configurationApply)) {
    const ip = String(r.inputs.node);
    const node = nodeNameByIp.get(ip) ?? ip;
    const patches = (r.inputs.configPatches as string[] | undefined) ?? [];
    const header = `# Talos machine-config patches for ${node} (${ip}), in the order they are applied\n`;
    files.set(`talos/${node}.yaml`, `${header}${patches.map((p) => p.trimEnd()).join("\n---\n")}\n`);
  }
  return files;
}

function helmValueFiles(resources: readonly RecordedResource[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const r of resources.filter((x) => x.type === TYPES.release)) {
    const release = String(r.inputs.name ?? r.name);
    const header = `# Helm values of release ${release}: chart ${String(r.inputs.chart)} ${String(r.inputs.version)} from ${String((r.inputs.repositoryOpts as { repo?: string } | undefined)?.repo)}\n`;
    files.set(`helm/${release}.values.yaml`, header + yamlOf(sortKeys(r.inputs.values ?? {})));
  }
  return files;
}

/** Every output file of one stack, path → content; `manifests` as manifestsByPath returned them. */
export function synthFiles(
  doc: SynthDocument,
  manifests: ReadonlyMap<string, Manifest>,
  nodeNameByIp: ReadonlyMap<string, string>,
  summary: string,
): Map<string, string> {
  const files = new Map<string, string>();
  files.set(RESOURCES_FILE, `${JSON.stringify(sortKeys(doc), null, 2)}\n`);
  for (const [path, m] of manifests) files.set(path, yamlOf(m));
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
