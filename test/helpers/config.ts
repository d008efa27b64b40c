/**
 * Config fixtures for tests: an example stack's `homelab:` values, changed one
 * dotted key at a time (`configFrom("homelab", { "traefik.replicas": 1 })`).
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { homelabEntries, parseHomelabConfig, type ConfigResult } from "../../config/validate.ts";
import { EXAMPLES_DIR, readStackConfig } from "../../synth/stack-file.ts";
import type { StackConfig } from "../../synth/recorder.ts";
import type { HomelabConfig } from "../../model/resolve.ts";

const EXAMPLES = new URL(`../../${EXAMPLES_DIR}`, import.meta.url).pathname;

export function exampleStack(stack: string): StackConfig {
  return readStackConfig(stack, EXAMPLES);
}

export interface RawConfig {
  readonly raw: Record<string, unknown>;
  readonly secretKeys: Set<string>;
}

export function exampleRaw(stack = "homelab"): RawConfig {
  const config = exampleStack(stack);
  return homelabEntries(config.values, (k) => config.secretKeys.includes(k));
}

/** Sets (or, with `undefined`, deletes) dotted keys; `[n]` indexes arrays. */
export function withChanges(raw: Record<string, unknown>, changes: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(raw);
  for (const [path, value] of Object.entries(changes)) {
    const keys = path.replace(/\[(\d+)\]/g, ".$1").split(".");
    let target = copy as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) {
      target[k] ??= {};
      target = target[k] as Record<string, unknown>;
    }
    const last = keys[keys.length - 1]!;
    if (value === undefined) delete target[last];
    else target[last] = value;
  }
  return copy;
}

/** The example stack with changes applied, parsed. */
export function configFrom(stack: string, changes: Record<string, unknown> = {}, secretKeys?: Iterable<string>): ConfigResult {
  const base = exampleRaw(stack);
  return parseHomelabConfig(withChanges(base.raw, changes), new Set(secretKeys ?? base.secretKeys));
}

/** The parsed config, failing the test with every error when it is invalid. */
export function validConfig(stack: string, changes: Record<string, unknown> = {}): HomelabConfig {
  const result = configFrom(stack, changes);
  if (!result.ok) throw new Error(`expected a valid config, got:\n${result.errors.join("\n")}`);
  return result.config;
}

/** A StackConfig for runStack: the example stack with `homelab:` keys changed. */
export function changedStackConfig(stack: string, changes: Record<string, unknown>): StackConfig {
  const base = exampleStack(stack);
  const { raw } = exampleRaw(stack);
  const changed = withChanges(raw, changes);
  const values = Object.fromEntries(Object.entries(base.values).filter(([k]) => !k.startsWith("homelab:") || base.secretKeys.includes(k)));
  for (const [k, v] of Object.entries(changed)) values[`homelab:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  return { values, secretKeys: base.secretKeys };
}

/** [scenario, changes to the example stack, key path the error must name, what its message must say] */
export type BadConfigCase = readonly [string, Record<string, unknown>, string, string];

/** One test per case: the change is rejected, and an error line names the key path and says the fix. */
export function itRejectsEach(cases: readonly BadConfigCase[], stack = "homelab"): void {
  for (const [scenario, changes, path, says] of cases) {
    it(`rejects ${scenario}, naming ${path}`, () => {
      const result = configFrom(stack, changes);
      assert.equal(result.ok, false, `expected ${scenario} to be rejected`);
      if (result.ok) return;
      const line = result.errors.find((e) => e.startsWith(`${path}: `));
      assert.ok(line, `no error names ${path}; got:\n${result.errors.join("\n")}`);
      assert.ok(line.includes(says), `error for ${path} does not say "${says}":\n${line}`);
    });
  }
}
