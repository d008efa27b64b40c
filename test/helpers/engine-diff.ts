/**
 * What `pulumi preview` would show between two runs of the program under the
 * mocks, computed the way the engine diffs: resources that appear or go, and
 * per resource the top-level inputs and options whose value changed, leaving
 * out what it never diffs (ignoreChanges paths, dependsOn).
 */
import type { ProgramRun } from "../../synth/recorder.ts";

export interface EngineDiff {
  readonly added: string[];
  readonly deleted: string[];
  /** resource name → the top-level inputs and options whose value changed */
  readonly changed: Record<string, string[]>;
  /**
   * Resources whose changed inputs their replaceOnChanges names (a Command's
   * triggers): the engine replaces these whatever the provider says. A
   * provider may replace more (its schema decides), which shows under changed.
   */
  readonly replaced: string[];
}

/** Deletes `a.b[0].c` style paths, the ignoreChanges the engine leaves out of a diff. */
function withoutIgnored(inputs: Record<string, unknown>, ignored: readonly string[] = []): Record<string, unknown> {
  const copy = structuredClone(inputs);
  for (const path of ignored) {
    const keys = path.replace(/\[(\d+)\]/g, ".$1").split(".");
    let target: unknown = copy;
    for (const k of keys.slice(0, -1)) target = (target as Record<string, unknown> | undefined)?.[k];
    if (target && typeof target === "object") delete (target as Record<string, unknown>)[keys[keys.length - 1]!];
  }
  return copy;
}

const differs = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);

/** The top-level input a replaceOnChanges path starts with (`triggers[*]` → triggers). */
const topLevel = (path: string) => path.split(/[.[]/)[0]!;

export function engineDiff(from: ProgramRun<unknown>, to: ProgramRun<unknown>): EngineDiff {
  const before = new Map(from.resources.map((r) => [r.name, r]));
  const after = new Map(to.resources.map((r) => [r.name, r]));
  const changed: Record<string, string[]> = {};
  const replaced: string[] = [];
  for (const [name, r] of after) {
    const old = before.get(name);
    if (!old) continue;
    // The engine applies the new registration's ignoreChanges to both sides.
    const oldInputs = withoutIgnored(old.inputs, r.options.ignoreChanges);
    const newInputs = withoutIgnored(r.inputs, r.options.ignoreChanges);
    const inputs = [...new Set([...Object.keys(oldInputs), ...Object.keys(newInputs)])].filter((k) => differs(oldInputs[k], newInputs[k]));
    const { dependsOn: _a, ...oldOptions }: Record<string, unknown> = { ...old.options };
    const { dependsOn: _b, ...newOptions }: Record<string, unknown> = { ...r.options };
    const options = [...new Set([...Object.keys(oldOptions), ...Object.keys(newOptions)])].filter((k) =>
      differs(oldOptions[k], newOptions[k]),
    );
    const fields = [...inputs.map((k) => `inputs.${k}`), ...options.map((k) => `options.${k}`)].sort();
    if (fields.length) changed[name] = fields;
    if (inputs.some((k) => (r.options.replaceOnChanges ?? []).some((p) => p === "*" || topLevel(p) === k))) replaced.push(name);
  }
  return {
    added: [...after.keys()].filter((n) => !before.has(n)).sort(),
    deleted: [...before.keys()].filter((n) => !after.has(n)).sort(),
    changed,
    replaced: replaced.sort(),
  };
}
