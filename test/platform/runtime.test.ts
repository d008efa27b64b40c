/**
 * How the program runs under Pulumi's launcher: it declares its resources
 * without the SDK's per-promise stack traces, gives the limit back
 * afterwards, keeps traces for whoever asks, and loads its modules through
 * Node's compile cache.
 */
import { describe, it, afterEach } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { getCompileCacheDir } from "node:module";
import * as pulumi from "@pulumi/pulumi";
import { declareWithoutStackTraces, stackTracesRequested, TRACE_HINT } from "../../stack-traces.ts";
import { ConfigError } from "../../config/load.ts";
import { runStack } from "../helpers/runtime-warnings.ts";
import { recordProgram } from "../../synth/recorder.ts";
import { fixtureStack } from "../helpers/config.ts";

const DEFAULT_LIMIT = Error.stackTraceLimit;

class Thing extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:Thing", name, {});
  }
}

function declareThing(name: string): Thing {
  return new Thing(name);
}

interface SourcePosition {
  getUri(): string;
  getLine(): number;
}
const framesOf = (stack: string | undefined) => (stack ?? "").split("\n").filter((l) => l.startsWith("    at ")).length;

describe("declaring the platform", () => {
  afterEach(() => {
    delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
  });

  it("captures no stack frames while declaring, and restores the limit afterwards", async () => {
    const seen = await declareWithoutStackTraces(async () => ({ limit: Error.stackTraceLimit, frames: framesOf(new Error().stack) }));
    assert.deepEqual(seen, { limit: 0, frames: 0 });
    assert.equal(Error.stackTraceLimit, DEFAULT_LIMIT);
  });

  it("restores the limit when the declaration fails", async () => {
    await assert.rejects(
      declareWithoutStackTraces(async () => {
        throw new TypeError("boom");
      }),
    );
    assert.equal(Error.stackTraceLimit, DEFAULT_LIMIT);
  });

  it("tells how to get the trace of an error that escapes without frames", async () => {
    const err = await declareWithoutStackTraces((): Promise<never> => {
      throw new TypeError("Cannot read properties of undefined (reading 'port')");
    }).catch((e: unknown) => e as Error);
    assert.equal(err.message, "Cannot read properties of undefined (reading 'port')");
    assert.equal(err.stack, `TypeError: Cannot read properties of undefined (reading 'port')\n${TRACE_HINT}`);
    assert.match(TRACE_HINT, /NODE_OPTIONS=--stack-trace-limit=50/);
  });

  it("passes a config error through untouched: Pulumi prints a RunError's message without a stack", async () => {
    const thrown = new ConfigError(["homelab:dns.zone: required; set it to your Cloudflare zone"]);
    const err = await declareWithoutStackTraces(() => Promise.reject(thrown)).catch((e: unknown) => e);
    assert.equal(err, thrown);
    assert.ok(pulumi.RunError.isInstance(thrown));
    assert.ok(!thrown.stack?.includes(TRACE_HINT));
  });

  it("keeps every trace when the SDK's promise-leak report is asked for", async () => {
    process.env.PULUMI_DEBUG_PROMISE_LEAKS = "1";
    const limit = await declareWithoutStackTraces(async () => Error.stackTraceLimit);
    assert.equal(limit, DEFAULT_LIMIT);
  });

  it("honours a stack trace limit set on purpose, and the promise-leak report's switch", () => {
    assert.equal(stackTracesRequested({}, 50), true);
    assert.equal(stackTracesRequested({}, 0), true);
    assert.equal(stackTracesRequested({ PULUMI_DEBUG_PROMISE_LEAKS: "true" }, 10), true);
    assert.equal(stackTracesRequested({ NODE_OPTIONS: "--max-old-space-size=4096" }, 10), false);
  });

  it("keeps each resource's source position: the SDK reads it with a limit of its own", async () => {
    const positions: string[] = [];
    await recordProgram(
      async () => {
        const monitor = pulumi.runtime.getMonitor() as unknown as {
          registerResource(req: { getSourceposition(): SourcePosition | undefined }, cb: unknown): unknown;
        };
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req, cb) => {
          const at = req.getSourceposition();
          positions.push(at ? `${at.getUri()}:${at.getLine()}` : "none");
          return register(req, cb);
        };
        declareThing("traced");
        await declareWithoutStackTraces(async () => declareThing("untraced"));
      },
      { values: {}, secretKeys: [] },
    );
    const line =
      readFileSync(new URL(import.meta.url), "utf8")
        .split("\n")
        .findIndex((l) => l.includes("return new Thing(name)")) + 1;
    assert.equal(positions.length, 2);
    assert.equal(positions[1], positions[0]);
    assert.ok(positions[0]!.endsWith(`/test/platform/runtime.test.ts:${line}`), positions[0]);
  });

  it("declares exactly the same resources as a run with every trace, and leaves the limit as it found it", async () => {
    const config = fixtureStack("controlplane-on-vip");
    const quiet = await runStack(config, "lab");
    assert.equal(Error.stackTraceLimit, DEFAULT_LIMIT);
    process.env.PULUMI_DEBUG_PROMISE_LEAKS = "1";
    const traced = await runStack(config, "lab");
    assert.deepEqual(quiet.resources, traced.resources);
    assert.equal(quiet.resources.length, 43);
  });
});

describe("loading the program", () => {
  it("turns on Node's compile cache, unless the operator turned it off", async () => {
    await runStack(fixtureStack("controlplane-on-vip"), "lab");
    assert.equal(getCompileCacheDir() !== undefined, process.env.NODE_DISABLE_COMPILE_CACHE !== "1");
  });
});
