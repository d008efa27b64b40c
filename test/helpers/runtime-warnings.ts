/**
 * The program's warnings in tests. The program hands each config warning to
 * `pulumi.log.warn` (config/load.ts); with no engine listening, as under the
 * mocks, the Pulumi runtime prints it as `warning: [runtime] …` on stderr
 * (@pulumi/pulumi log/index.js). Tests run the program through these helpers,
 * which capture the warnings of that one run (concurrent runs apart, by async
 * context) and check them, so none leaks into the test report.
 */
import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import { parseStackConfig } from "../../config/validate.ts";
import type { ProgramRun, StackConfig } from "../../synth/recorder.ts";
import { runStack as runUnchecked } from "../../synth/run-stack.ts";
import { synthStack as synthUnchecked, type SynthResult } from "../../synth/synth.ts";

const PREFIX = "warning: [runtime] ";
const captured = new AsyncLocalStorage<string[]>();
let installed = false;

/** Runs `run`, returning the program warnings it printed instead of printing them. */
export async function capturingWarnings<T>(run: () => Promise<T>): Promise<{ readonly result: T; readonly warnings: string[] }> {
  if (!installed) {
    installed = true;
    const warn = console.warn.bind(console);
    console.warn = (...args: unknown[]) => {
      const into = captured.getStore();
      const line = args.length === 1 && typeof args[0] === "string" ? args[0] : undefined;
      if (into && line?.startsWith(PREFIX)) into.push(line.slice(PREFIX.length));
      else warn(...args);
    };
  }
  const warnings: string[] = [];
  const result = await captured.run(warnings, run);
  return { result, warnings };
}

/** The warnings the program must log for a stack's config: the config checks' warnings, each once. */
export function configWarnings(config: StackConfig): string[] {
  const parsed = parseStackConfig(config.values, (k) => config.secretKeys.includes(k), process.env);
  return parsed.ok ? [...parsed.warnings] : [];
}

/** synth/run-stack.ts's runStack, checking that the program warned with exactly the config's warnings. */
export async function runStack(config: StackConfig, stack = "homelab"): Promise<ProgramRun<Record<string, unknown>>> {
  const { result, warnings } = await capturingWarnings(() => runUnchecked(config, stack));
  assert.deepEqual(warnings, configWarnings(config), `the program's warnings for ${stack}`);
  return result;
}

/** The config warnings summary.md lists (its "Config warnings" section), in order. */
function summaryWarnings(summary: string): string[] {
  const section = summary.split("\n## Config warnings\n\n")[1];
  if (section === undefined) return [];
  const lines = section.split("\n");
  return lines.slice(0, lines.indexOf("")).map((l) => l.replace(/^- /, ""));
}

/** synth/synth.ts's synthStack, checking that the program warned with exactly the config warnings summary.md lists (synth's own offline notes aside). */
export async function synthStack(stack: string, opts: Parameters<typeof synthUnchecked>[1] = {}): Promise<SynthResult> {
  const { result, warnings } = await capturingWarnings(() => synthUnchecked(stack, opts));
  if (result.ok) {
    const listed = summaryWarnings(result.files.get("summary.md")!).filter((w) => !result.offlineWarnings.includes(w));
    assert.deepEqual(warnings, listed, `the program's warnings for ${stack}`);
  } else assert.deepEqual(warnings, [], `the program ran for ${stack} although synth refused its config`);
  return result;
}
