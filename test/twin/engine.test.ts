/**
 * The twin engine's step semantics, each against a small program, as
 * pulumi/pulumi v3.259.0 defines them (pkg/resource/deploy/step_generator.go,
 * step.go, step_executor.go, deployment_executor.go; see test/twin/engine.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { StepError, up, type Models, type StackState } from "./engine.ts";

const THING = "twin:test:Thing";
const GET = "twin:test:getThing";

class Thing extends pulumi.CustomResource {
  declare readonly serial: pulumi.Output<string>;
  declare readonly ran: pulumi.Output<string>;
  constructor(
    name: string,
    args: { command: pulumi.Input<string>; trigger?: pulumi.Input<string>; size?: pulumi.Input<number> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(THING, name, { ...args, serial: undefined, ran: undefined }, opts);
  }
}

interface World {
  /** What each create/update/delete did, in order. */
  log: string[];
  serial: number;
  failOn?: string;
}

const models: Models<World> = {
  resources: {
    [THING]: {
      replaceKeys: ["trigger"],
      create: (c) => {
        if (c.world.failOn === c.name) throw new StepError(`${c.name} refused`);
        c.world.log.push(`create ${c.name} ${String(c.inputs.command)}`);
        c.world.serial += 1;
        return { id: `${c.name}-${c.world.serial}`, serial: String(c.world.serial), ran: c.inputs.command };
      },
      update: (c) => {
        if (c.world.failOn === c.name) throw new StepError(`${c.name} refused`);
        c.world.log.push(`update ${c.name}`);
        return {};
      },
      delete: (c) => {
        c.world.log.push(`delete ${c.name}`);
      },
    },
  },
  invokes: { [GET]: (args) => ({ echo: args.of }) },
};

interface Spec {
  readonly things: readonly {
    name: string;
    command: string;
    trigger?: string;
    size?: number;
    ignore?: string[];
    protect?: boolean;
    after?: string;
    replaceOnChanges?: string[];
  }[];
  readonly invokeAfter?: string;
}

function program(spec: Spec) {
  return () => {
    const made = new Map<string, Thing>();
    for (const t of spec.things) {
      made.set(
        t.name,
        new Thing(
          t.name,
          { command: t.command, ...(t.trigger ? { trigger: t.trigger } : {}), ...(t.size !== undefined ? { size: t.size } : {}) },
          {
            ...(t.ignore ? { ignoreChanges: t.ignore } : {}),
            ...(t.protect ? { protect: true } : {}),
            ...(t.replaceOnChanges ? { replaceOnChanges: t.replaceOnChanges } : {}),
            ...(t.after ? { dependsOn: [made.get(t.after)!] } : {}),
          },
        ),
      );
    }
    const dep = spec.invokeAfter ? made.get(spec.invokeAfter) : undefined;
    const got = pulumi.runtime.invokeOutput<{ echo: string }>(GET, { of: "x" }, dep ? { dependsOn: [dep] } : {});
    return { serials: Object.fromEntries([...made].map(([n, t]) => [n, t.serial])), echo: got.echo };
  };
}

const config = { values: {}, secretKeys: [] };
const world = (): World => ({ log: [], serial: 0 });

async function deploy(spec: Spec, w: World, state?: StackState, preview = false) {
  return up({ program: program(spec), config, stack: "twin", world: w, models, ...(state ? { state } : {}), preview });
}

test("a first up creates in dependency order; the next preview is empty", async () => {
  const spec: Spec = {
    things: [
      { name: "a", command: "one" },
      { name: "b", command: "two", after: "a" },
    ],
  };
  const first = await deploy(spec, world());
  assert.equal(first.ok, true, first.error);
  assert.deepEqual(first.world.log, ["create a one", "create b two"]);
  assert.deepEqual(first.state.outputs, { serials: { a: "1", b: "2" }, echo: "x" });
  const again = await deploy(spec, first.world, first.state, true);
  assert.equal(again.ok, true);
  assert.deepEqual(again.changes, []);
});

test("ignoreChanges: the old value goes back before the diff, and a replacement is created with it", async () => {
  const v1: Spec = { things: [{ name: "u", command: "upgrade --to v1", trigger: "v1", ignore: ["command"] }] };
  const first = await deploy(v1, world());
  const v2: Spec = { things: [{ name: "u", command: "upgrade --to v2", trigger: "v2", ignore: ["command"] }] };
  const second = await deploy(v2, first.world, first.state);
  assert.equal(second.ok, true, second.error);
  assert.deepEqual(
    second.changes.map((s) => [s.op, s.changes]),
    [
      ["replace", ["trigger"]],
      ["delete", undefined],
    ],
  );
  // The engine's processIgnoreChanges: the replacement runs the OLD command line.
  assert.deepEqual(second.world.log, ["create u upgrade --to v1", "create u upgrade --to v1", "delete u"]);
  // An ignored change alone is no change at all.
  const onlyIgnored = await deploy(
    { things: [{ name: "u", command: "something else", trigger: "v2", ignore: ["command"] }] },
    second.world,
    second.state,
    true,
  );
  assert.deepEqual(onlyIgnored.changes, []);
});

test("replaceOnChanges replaces on a change the provider would update in place", async () => {
  const first = await deploy({ things: [{ name: "r", command: "c", size: 1, replaceOnChanges: ["size"] }] }, world());
  const second = await deploy({ things: [{ name: "r", command: "c", size: 2, replaceOnChanges: ["size"] }] }, first.world, first.state);
  assert.deepEqual(
    second.changes.map((s) => [s.op, s.urn.split("::").pop()]),
    [
      ["replace", "r"],
      ["delete", "r"],
    ],
  );
  const plain = await deploy({ things: [{ name: "r", command: "c", size: 3 }] }, second.world, second.state);
  assert.deepEqual(
    plain.changes.map((s) => [s.op, s.changes]),
    [["update", ["size"]]],
  );
});

test("a protected resource that would be replaced fails the up before anything else runs, and marks the preview failed", async () => {
  const v1: Spec = {
    things: [
      { name: "p", command: "c", trigger: "1", protect: true },
      { name: "q", command: "d", after: "p" },
    ],
  };
  const first = await deploy(v1, world());
  const v2: Spec = {
    things: [
      { name: "p", command: "c", trigger: "2", protect: true },
      { name: "q", command: "e", after: "p" },
    ],
  };
  const preview = await deploy(v2, first.world, first.state, true);
  assert.equal(preview.ok, false);
  assert.match(preview.error!, /unable to replace resource ".*::p"\nas it is currently marked for protection/);
  const run = await deploy(v2, first.world, first.state);
  assert.equal(run.ok, false);
  assert.deepEqual(run.world.log, first.world.log, "nothing ran");
  assert.deepEqual(run.state.resources.find((r) => r.name === "q")!.inputs.command, "d", "q keeps its old state");
});

test("a failed step stops every step after it, deletes included; the state keeps what was not done", async () => {
  const first = await deploy(
    {
      things: [
        { name: "a", command: "1" },
        { name: "b", command: "1", after: "a" },
        { name: "gone", command: "1" },
      ],
    },
    world(),
  );
  const w = { ...first.world, failOn: "a" };
  const second = await deploy(
    {
      things: [
        { name: "a", command: "2" },
        { name: "b", command: "2", after: "a" },
      ],
    },
    w,
    first.state,
  );
  assert.equal(second.ok, false);
  assert.match(second.error!, /::a: a refused$/);
  assert.deepEqual(second.world.log, first.world.log);
  assert.deepEqual(second.state.resources.map((r) => [r.name, r.inputs.command]).sort(), [
    ["a", "1"],
    ["b", "1"],
    ["gone", "1"],
  ]);
  assert.deepEqual(second.state.outputs, first.state.outputs, "the stack's outputs stay those of the last good run");
});

test("deletes run at the end, dependants first; a protected one fails the run", async () => {
  const first = await deploy(
    {
      things: [
        { name: "base", command: "1" },
        { name: "mid", command: "1", after: "base" },
        { name: "top", command: "1", after: "mid" },
        { name: "keep", command: "1" },
      ],
    },
    world(),
  );
  const second = await deploy({ things: [{ name: "keep", command: "2" }] }, first.world, first.state);
  assert.equal(second.ok, true, second.error);
  assert.deepEqual(second.world.log.slice(first.world.log.length), ["update keep", "delete top", "delete mid", "delete base"]);
  const guarded = await deploy({ things: [{ name: "g", command: "1", protect: true }] }, world());
  const removed = await deploy({ things: [] }, guarded.world, guarded.state);
  assert.equal(removed.ok, false);
  assert.match(removed.error!, /cannot be deleted\nbecause it is protected/);
  assert.equal(removed.state.resources.length, 1);
});

test("preview: nothing runs, created outputs are unknown, an invoke after a pending resource answers unknown", async () => {
  const spec: Spec = { things: [{ name: "a", command: "1" }], invokeAfter: "a" };
  const p = await deploy(spec, world(), undefined, true);
  assert.equal(p.ok, true, p.error);
  assert.deepEqual(p.world.log, []);
  assert.deepEqual(
    p.changes.map((s) => [s.op, s.status]),
    [["create", "planned"]],
  );
  assert.equal(
    p.steps.some((s) => s.op === "invoke"),
    false,
    "the invoke was answered unknown without running",
  );
  assert.deepEqual(
    p.outputs,
    { serials: { a: "[unknown]" }, echo: "[unknown]" },
    "a created resource's outputs and the pending invoke are unknown",
  );
  const applied = await deploy(spec, world());
  assert.equal(applied.outputs.echo, "x");
});
