/**
 * Property: whatever an operator types into a stack file, the config check
 * and the synth either succeed with valid output or answer with errors that
 * each name a key path (`homelab:…`, a provider key) — never an exception, a
 * stack trace or a hang. The inputs are the example stacks with random edits:
 * a value replaced by something of another shape, a key removed or renamed
 * (JavaScript's own property names included).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseStackConfig } from "../../config/validate.ts";
import { synthStack } from "../helpers/runtime-warnings.ts";
import type { StackConfig } from "../../synth/recorder.ts";
import { fixtureRaw, fixtureStack, type Fixture } from "../helpers/config.ts";

const STACKS = ["deployment-behind-metallb", "daemonset-edge-site", "existing-cluster", "controlplane-on-vip"] as const;
/** An error line: a key path (namespace:key, dotted, indexed), then what is wrong. */
const KEY_PATH_ERROR = /^(homelab|cloudflare|proxmoxve|[a-z]+):[^\s:]*: \S/;
const STACK_FRAME = /\n\s+at |node:internal|\bError:/;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value in the tree (objects' keys and arrays' indexes). */
function pathsOf(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const own = at.length ? [at] : [];
  if (Array.isArray(value)) return [...own, ...value.flatMap((v, i) => pathsOf(v, [...at, i]))];
  if (value && typeof value === "object") return [...own, ...Object.entries(value).flatMap(([k, v]) => pathsOf(v, [...at, k]))];
  return own;
}

const NAMES = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "prototype", "a", "x-y", "UPPER", ""];
const weirdString = fc.oneof(
  fc.constantFrom(
    ...NAMES,
    "/a//b",
    "/a/..",
    "http--x",
    "100 m",
    "1e999",
    "10.0.10.300",
    "::1",
    "0.0.0.0/0",
    "GET\r\nX: 1",
    "\u0000",
    "*",
    "-1",
    "latest",
  ),
  fc.string({ maxLength: 12 }),
);
const anyValue: fc.Arbitrary<Json> = fc.oneof(
  weirdString,
  fc.constantFrom(0, -1, 1, 65536, 2 ** 53, 1.5, Number.MAX_SAFE_INTEGER),
  fc.boolean(),
  fc.constant(null),
  fc.constant<Json>([]),
  fc.constant<Json>({}),
  fc.array(weirdString, { maxLength: 3 }),
  fc.dictionary(fc.constantFrom(...NAMES), weirdString, { maxKeys: 2 }),
);

type Edit =
  | { readonly kind: "set"; readonly pick: number; readonly value: Json }
  | { readonly kind: "delete"; readonly pick: number }
  | { readonly kind: "rename"; readonly pick: number; readonly name: string };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), pick: fc.nat(), value: anyValue }),
  fc.record({ kind: fc.constant("delete" as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant("rename" as const), pick: fc.nat(), name: fc.constantFrom(...NAMES) }),
);

function applyEdit(raw: Record<string, unknown>, e: Edit): void {
  const paths = pathsOf(raw);
  const path = paths[e.pick % paths.length]!;
  let parent = raw as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (e.kind === "delete") {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (e.kind === "set") {
    Object.defineProperty(parent, last, { value: e.value, enumerable: true, writable: true, configurable: true });
  } else if (!Array.isArray(parent)) {
    const value = parent[last];
    delete parent[last];
    Object.defineProperty(parent, e.name, { value, enumerable: true, writable: true, configurable: true });
  }
}

/** A fixture's whole config map, its homelab: values edited (as JSON, the way the CLI hands them over). */
function editedStack(stack: Fixture, edits: readonly Edit[]): StackConfig {
  const base = fixtureStack(stack);
  const raw = structuredClone(fixtureRaw(stack).raw);
  for (const e of edits) applyEdit(raw, e);
  const values = Object.fromEntries(Object.entries(base.values).filter(([k]) => !k.startsWith("homelab:") || base.secretKeys.includes(k)));
  for (const [k, v] of Object.entries(raw)) values[`homelab:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  return { values, secretKeys: base.secretKeys };
}

function assertKeyPathErrors(errors: readonly string[]): void {
  assert.ok(errors.length > 0 && errors.length <= 60, `${errors.length} error lines`);
  for (const line of errors) {
    assert.match(line, KEY_PATH_ERROR);
    assert.doesNotMatch(line, STACK_FRAME);
    assert.ok(line.length < 1200, `an error line of ${line.length} characters`);
  }
}

const stackAndEdits = fc.tuple(fc.constantFrom(...STACKS), fc.array(edit, { minLength: 1, maxLength: 3 }));

describe("random edits to the example stacks", () => {
  it("the config check never throws: a valid config, or only key-path errors", () => {
    fc.assert(
      fc.property(stackAndEdits, ([stack, edits]) => {
        const config = editedStack(stack, edits);
        const result = parseStackConfig(config.values, (k) => config.secretKeys.includes(k));
        if (!result.ok) assertKeyPathErrors(result.errors);
      }),
      { numRuns: 150, seed: 1203 },
    );
  });

  it("synth never throws or hangs: valid output, or only key-path errors", async () => {
    await fc.assert(
      fc.asyncProperty(stackAndEdits, async ([stack, edits]) => {
        const config = editedStack(stack, edits);
        let timer: NodeJS.Timeout | undefined;
        const hang = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("synth hung for 20 s")), 20_000)));
        try {
          const result = await Promise.race([synthStack(stack, { config }), hang]);
          if (result.ok) assert.ok(result.files.has("resources.json") && result.files.has("summary.md"));
          else assertKeyPathErrors(result.errors);
        } finally {
          clearTimeout(timer);
        }
      }),
      { numRuns: 6, seed: 1203 },
    );
  });
});
