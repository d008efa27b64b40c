/**
 * The offline synth of one stack: run index.ts under the mocks with the
 * stack's config, check the output, render the files of the synth contract.
 */
import { parseStackConfig } from "../config/validate.ts";
import { ConfigError } from "../config/load.ts";
import { runStack } from "./run-stack.ts";
import { readStackConfig } from "./stack-file.ts";
import { manifestsByPath, synthDocument, synthFiles, type SynthDocument } from "./write.ts";
import { validateManifests } from "./validate-manifests.ts";
import { summaryMarkdown } from "./summary.ts";
import type { StackConfig } from "./recorder.ts";
import { PROJECT } from "./mocks.ts";
import { checkStack } from "../policies/offline.ts";

export type SynthResult =
  | { readonly ok: true; readonly doc: SynthDocument; readonly files: ReadonlyMap<string, string> }
  | { readonly ok: false; readonly errors: readonly string[] };

/** @param opts.env where the providers would also find their settings (the synth script passes its own environment) */
export async function synthStack(stack: string, opts: { config?: StackConfig; dir?: string; env?: Readonly<Record<string, string | undefined>> } = {}): Promise<SynthResult> {
  const config = opts.config ?? readStackConfig(stack, opts.dir);
  const parsed = parseStackConfig(config.values, (k) => config.secretKeys.includes(k), opts.env);
  if (!parsed.ok) return { ok: false, errors: parsed.errors };
  const warnings = parsed.warnings;
  let run;
  try {
    run = await runStack(config, stack);
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, errors: err.errors };
    throw err;
  }
  const outputs = (run.outputs ?? {}) as Record<string, unknown>;
  const doc = synthDocument(stack, PROJECT, run.resources, outputs);

  const { manifests, clashes } = manifestsByPath(doc.resources);
  if (clashes.length) return { ok: false, errors: clashes };
  const problems = await validateManifests(manifests);
  if (problems.length) return { ok: false, errors: problems.map((p) => `invalid Kubernetes object ${p}`) };

  // The summary carries the policy pack's verdict, run offline on this very document.
  const policy = await checkStack(doc);
  const summary = summaryMarkdown({ stack, resources: doc.resources, outputs, warnings, policy });
  const nodes = Array.isArray(outputs.nodes) ? (outputs.nodes as { name: string; ip: string }[]) : [];
  const files = synthFiles(doc, manifests, new Map(nodes.map((n) => [n.ip, n.name])), summary);
  return { ok: true, doc, files };
}
