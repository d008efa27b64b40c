/**
 * Config fixtures for tests: a stack file of test/fixtures/valid/ (named for
 * what it exercises), its `homelab:` values changed one dotted key at a time
 * (`configFrom("deployment-behind-metallb", { "traefik.replicas": 1 })`). The
 * user examples in examples/ are documentation, free to change; the tests that
 * are about them (every example synthesizes, validates, matches its goldens)
 * read them with `exampleStack`.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { homelabEntries, parseHomelabConfig, type ConfigResult } from "../../config/validate.ts";
import { EXAMPLES_DIR, readStackConfig, readStackFile } from "../../synth/stack-file.ts";
import type { StackConfig } from "../../synth/recorder.ts";
import type { HomelabConfig } from "../../model/resolve.ts";

const EXAMPLES = new URL(`../../${EXAMPLES_DIR}`, import.meta.url).pathname;
const VALID = new URL("../fixtures/valid/", import.meta.url).pathname;

/** The fixtures of test/fixtures/valid/, by file name. */
export type Fixture =
  | "cloudflare-tunnel"
  | "controlplane-on-vip"
  | "daemonset-edge-site"
  | "deployment-behind-metallb"
  | "existing-cluster"
  | "gateway-api";

/** A user example, examples/Pulumi.<stack>.yaml, for the tests whose subject is the examples. */
export function exampleStack(stack: string): StackConfig {
  return readStackConfig(stack, EXAMPLES);
}

/** A stack file of test/fixtures/valid/. */
export function fixtureStack(fixture: Fixture): StackConfig {
  return readStackFile(`${VALID}${fixture}.yaml`);
}

/** A user example, parsed; fails the test with every error when it is invalid. */
export function exampleConfig(stack: string): HomelabConfig {
  const config = exampleStack(stack);
  const base = homelabEntries(config.values, (k) => config.secretKeys.includes(k));
  return valid(parseHomelabConfig(base.raw, base.secretKeys));
}

export interface RawConfig {
  readonly raw: Record<string, unknown>;
  readonly secretKeys: Set<string>;
}

export function fixtureRaw(fixture: Fixture = "deployment-behind-metallb"): RawConfig {
  const config = fixtureStack(fixture);
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

/** The fixture with changes applied, parsed. */
export function configFrom(fixture: Fixture, changes: Record<string, unknown> = {}, secretKeys?: Iterable<string>): ConfigResult {
  const base = fixtureRaw(fixture);
  return parseHomelabConfig(withChanges(base.raw, changes), new Set(secretKeys ?? base.secretKeys));
}

function valid(result: ConfigResult): HomelabConfig {
  if (!result.ok) throw new Error(`expected a valid config, got:\n${result.errors.join("\n")}`);
  return result.config;
}

/** The fixture with changes applied, parsed; fails the test with every error when it is invalid. */
export function validConfig(fixture: Fixture, changes: Record<string, unknown> = {}): HomelabConfig {
  return valid(configFrom(fixture, changes));
}

/** A StackConfig for runStack: a stack file's (`fixtureStack`, `exampleStack`) with `homelab:` keys changed. */
export function changedStackConfig(base: StackConfig, changes: Record<string, unknown>): StackConfig {
  const { raw } = homelabEntries(base.values, (k) => base.secretKeys.includes(k));
  const changed = withChanges(raw, changes);
  const values = Object.fromEntries(Object.entries(base.values).filter(([k]) => !k.startsWith("homelab:") || base.secretKeys.includes(k)));
  for (const [k, v] of Object.entries(changed)) values[`homelab:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  return { values, secretKeys: base.secretKeys };
}

/** [scenario, changes to the fixture, key path the error must name, what its message must say] */
export type BadConfigCase = readonly [string, Record<string, unknown>, string, string];

/** One test per case: the change is rejected, and an error line names the key path and says the fix. */
export function itRejectsEach(cases: readonly BadConfigCase[], fixture: Fixture = "deployment-behind-metallb"): void {
  for (const [scenario, changes, path, says] of cases) {
    it(`rejects ${scenario}, naming ${path}`, () => {
      const result = configFrom(fixture, changes);
      assert.equal(result.ok, false, `expected ${scenario} to be rejected`);
      if (result.ok) return;
      const line = result.errors.find((e) => e.startsWith(`${path}: `));
      assert.ok(line, `no error names ${path}; got:\n${result.errors.join("\n")}`);
      assert.ok(line.includes(says), `error for ${path} does not say "${says}":\n${line}`);
    });
  }
}
