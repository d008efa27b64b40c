/**
 * The program declares its resources without the SDK's per-promise stack
 * traces, gives the limit back afterwards, and keeps traces for whoever asks.
 */
import { describe, it, afterEach } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { declareWithoutStackTraces, stackTracesRequested, TRACE_HINT } from "../../stack-traces.ts";
import { ConfigError } from "../../config/load.ts";
import { runStack } from "../../synth/run-stack.ts";
import { readStackConfig } from "../../synth/stack-file.ts";

const DEFAULT_LIMIT = Error.stackTraceLimit;
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
    await assert.rejects(declareWithoutStackTraces(async () => {
      throw new TypeError("boom");
    }));
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

  it("declares exactly the same resources as a run with every trace, and leaves the limit as it found it", async () => {
    const config = readStackConfig("lab");
    const quiet = await runStack(config, "lab");
    assert.equal(Error.stackTraceLimit, DEFAULT_LIMIT);
    process.env.PULUMI_DEBUG_PROMISE_LEAKS = "1";
    const traced = await runStack(config, "lab");
    assert.deepEqual(quiet.resources, traced.resources);
    assert.equal(quiet.resources.length, 41);
  });
});
