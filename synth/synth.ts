/**
 * The offline synth of one stack: run index.ts under the mocks with the
 * stack's config, check the output, render the files of the synth contract.
 */
import { parseStackConfig } from "../config/validate.ts";
import { ConfigError } from "../config/load.ts";
import { runStack } from "./run-stack.ts";
import { readStackConfig, secretPlaceholder } from "./stack-file.ts";
import { manifestsByPath, synthDocument, synthFiles, type SynthDocument } from "./write.ts";
import { validateManifests } from "./validate-manifests.ts";
import { summaryMarkdown } from "./summary.ts";
import { footprint } from "../builders/footprint.ts";
import type { StackConfig } from "./recorder.ts";
import { PROJECT } from "./mocks.ts";
import { checkStack } from "../policies/offline.ts";
import { unsetCredentials } from "../config/stack-keys.ts";
import { lanDnsFiles, type LanDnsEntry } from "../builders/lan-dns.ts";

export type SynthResult =
  | {
      readonly ok: true;
      readonly doc: SynthDocument;
      readonly files: ReadonlyMap<string, string>;
      readonly offlineWarnings: readonly string[];
    }
  | { readonly ok: false; readonly errors: readonly string[] };

/** @param opts.env where the providers would also find their settings (the synth script passes its own environment) */
export async function synthStack(
  stack: string,
  opts: { config?: StackConfig; dir?: string; env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<SynthResult> {
  // A missing or unreadable stack file throws StackFileError: it is no config problem to list by key path, and the synth script prints its message as the one line.
  let config = opts.config ?? readStackConfig(stack, opts.dir);
  const unset = unsetCredentials(config.values, opts.env ?? {});
  for (const { key } of unset)
    config = { values: { ...config.values, [key]: secretPlaceholder(key) }, secretKeys: [...config.secretKeys, key] };
  const offlineWarnings = unset.map(
    ({ key, set }) => `${key} is not set for this stack yet; synth used a placeholder. Before pulumi preview: ${set}`,
  );
  const parsed = parseStackConfig(config.values, (k) => config.secretKeys.includes(k), opts.env);
  if (!parsed.ok) return { ok: false, errors: parsed.errors };
  const warnings = [...parsed.warnings, ...offlineWarnings];
  let run: Awaited<ReturnType<typeof runStack>>;
  try {
    run = await runStack(config, stack);
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, errors: err.errors };
    throw err;
  }
  const outputs = (run.outputs ?? {}) as Record<string, unknown>;
  const doc = synthDocument(stack, PROJECT, run.resources, outputs, run.invokes);

  const { manifests, clashes } = manifestsByPath(doc.resources);
  if (clashes.length) return { ok: false, errors: clashes };
  const problems = await validateManifests(manifests);
  if (problems.length) return { ok: false, errors: problems.map((p) => `invalid Kubernetes object ${p}`) };

  // The summary carries the policy pack's verdict, run offline on this very document.
  const policy = await checkStack(doc);
  const summary = summaryMarkdown({
    stack,
    resources: doc.resources,
    outputs,
    warnings,
    policy,
    footprint: footprint(parsed.config.cluster),
  });
  const nodes = Array.isArray(outputs.nodes) ? (outputs.nodes as { name: string; ip: string }[]) : [];
  const files = synthFiles(doc, manifests, new Map(nodes.map((n) => [n.ip, n.name])), summary);
  const lanDns = Array.isArray(outputs.lanDns) ? (outputs.lanDns as LanDnsEntry[]) : [];
  if (lanDns.length === 0) return { ok: true, doc, files, offlineWarnings };
  const withLanDns = new Map([...files, ...lanDnsFiles(stack, lanDns)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { ok: true, doc, files: withLanDns, offlineWarnings };
}
