/**
 * The policy tests' fixtures: the program's own synth output (the exact
 * resources.json `npm run synth` writes), and one-change edits of it.
 */
import { synthStack } from "../helpers/runtime-warnings.ts";
import { EXAMPLES_DIR, exampleStackNames } from "../../synth/stack-file.ts";
import { changedStackConfig, exampleStack } from "../helpers/config.ts";
import { exampleDocument } from "../helpers/example-output.ts";
import { checkStack, type PolicyResult } from "../../policies/offline.ts";
import type { SynthDocument, RecordedResource as SynthResource } from "../../contract/synth-document.ts";

export const ROOT = new URL("../..", import.meta.url).pathname;

/** The example stacks: every Pulumi.<stack>.yaml in examples/ (an operator's own stacks beside Pulumi.yaml are not fixtures). */
export const STACKS: readonly string[] = exampleStackNames(ROOT);
export const EXAMPLES = `${ROOT}${EXAMPLES_DIR}`;

/** resources.json of a stack (the shared synth), or with `homelab:` config keys changed (dotted paths) a synth of its own. */
export async function synthDoc(stack: string, changes?: Record<string, unknown>): Promise<SynthDocument> {
  if (!changes) return exampleDocument(stack);
  const result = await synthStack(stack, { dir: EXAMPLES, config: changedStackConfig(exampleStack(stack), changes) });
  if (!result.ok) throw new Error(`synth ${stack} failed:\n${result.errors.join("\n")}`);
  return JSON.parse(result.files.get("resources.json")!) as SynthDocument;
}

/** A resource of resources.json as a test edits it: untyped props and options. */
export interface EditableResource {
  type: string;
  name: string;
  parent?: string;
  custom?: boolean;
  inputs: Record<string, any>;
  options: Record<string, any>;
  /** A component's registered outputs: what stack rules read. */
  outputs?: Record<string, any>;
}

/** One resource, by type and name; fails with the names of that type when absent. */
export function find(doc: SynthDocument, type: string, name: string): SynthResource {
  const r = doc.resources.find((x) => x.type === type && x.name === name);
  if (!r)
    throw new Error(
      `no ${type} named ${name}; have: ${doc.resources
        .filter((x) => x.type === type)
        .map((x) => x.name)
        .join(", ")}`,
    );
  return r;
}

/** A copy of the document with one resource changed in place by `edit`. */
export function change(doc: SynthDocument, type: string, name: string, edit: (r: EditableResource) => void): SynthDocument {
  const copy = structuredClone(doc) as unknown as { resources: EditableResource[] };
  const target = copy.resources.find((x) => x.type === type && x.name === name);
  if (!target) find(doc, type, name);
  edit(target!);
  return copy as unknown as SynthDocument;
}

/** A copy with resources added (e.g. a clone of an existing one under another name). */
export function add(doc: SynthDocument, ...resources: SynthResource[]): SynthDocument {
  return { ...structuredClone(doc), resources: [...structuredClone(doc.resources), ...structuredClone(resources)] };
}

/** A copy without the resources `drop` selects. */
export function remove(doc: SynthDocument, drop: (r: SynthResource) => boolean): SynthDocument {
  const kept = doc.resources.filter((r) => !drop(r));
  if (kept.length === doc.resources.length) throw new Error("remove(): the predicate matched nothing");
  return { ...structuredClone(doc), resources: structuredClone(kept) };
}

/** A copy of an existing resource under a new name, edited. */
export function cloneAs(
  doc: SynthDocument,
  type: string,
  name: string,
  newName: string,
  edit: (r: EditableResource) => void = () => {},
): SynthResource {
  const r = structuredClone(find(doc, type, name)) as unknown as EditableResource;
  r.name = newName;
  edit(r);
  return r as SynthResource;
}

/** The messages one rule reports on a document (with the pack's default levels unless `config` says otherwise). */
export async function violationsOf(
  doc: SynthDocument,
  rule: string,
  config?: Parameters<typeof checkStack>[1],
): Promise<PolicyResult["violations"]> {
  const result = await checkStack(doc, config);
  return result.violations.filter((v) => v.policy === rule);
}
