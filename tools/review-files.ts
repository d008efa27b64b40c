/** The out/ files a review compares file by file: Helm values, Talos patches, Kubernetes objects. */
import { parse, parseAllDocuments } from "yaml";
import { changeLine, isObject, keyPathChanges, type Json } from "./review-key-paths.ts";

/** One stack's out/<stack>/ files: path → content. */
export type StackFiles = ReadonlyMap<string, string>;
/** out/: stack → its files. */
export type OutTree = ReadonlyMap<string, StackFiles>;

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

export interface FileDiff {
  readonly file: string;
  readonly status: "added" | "removed" | "changed";
  readonly lines: readonly string[];
}

export function fileDiffs(
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

export const yamlDiff = (before: string, after: string): string[] =>
  keyPathChanges(parse(before), parse(after)).map((c) => changeLine(c, false));

export function manifestDiff(before: string, after: string): string[] {
  const b = parse(before) as Json;
  const a = parse(after) as Json;
  const secret = (isObject(a) && a.kind === "Secret") || (isObject(b) && b.kind === "Secret");
  return keyPathChanges(b, a).map((c) => changeLine(c, secret && /^(data|stringData)\b/.test(c.path)));
}

export function talosDiff(before: string, after: string): string[] {
  const b = documents(before);
  const a = documents(after);
  return [...new Set([...b.keys(), ...a.keys()])].flatMap((id) => {
    if (!b.has(id)) return [`- added document \`${id}\``];
    if (!a.has(id)) return [`- removed document \`${id}\``];
    return keyPathChanges(b.get(id), a.get(id)).map((c) => changeLine({ ...c, path: `${id}: ${c.path}` }, false));
  });
}
