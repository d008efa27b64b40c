/**
 * The GitHub workflows cannot run here: they must at least parse, preview and
 * deploy exactly the example stacks, and use the pack the way the README says.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT, STACKS } from "./synth-output.ts";

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}
interface Job {
  readonly needs?: string | string[];
  readonly environment?: string;
  readonly strategy?: { readonly matrix?: { readonly stack?: string[] }; readonly "max-parallel"?: number };
  readonly steps: Step[];
}
interface Workflow {
  readonly on: Record<string, { branches?: string[] } | null>;
  readonly permissions?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const workflow = (file: string): Workflow => parse(readFileSync(join(ROOT, ".github", "workflows", file), "utf8")) as Workflow;
const pulumiStep = (job: Job): Step => {
  const steps = job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@"));
  assert.equal(steps.length, 1, "one pulumi/actions step");
  return steps[0]!;
};

/** checkout → setup-node from .nvmrc → npm ci, before anything runs Pulumi or the tests. */
function assertInstalls(job: Job): void {
  const uses = job.steps.map((s) => s.uses ?? s.run);
  assert.deepEqual(uses.slice(0, 3), ["actions/checkout@v7", "actions/setup-node@v7", "npm ci"]);
  assert.equal(job.steps[1]!.with?.["node-version-file"], ".nvmrc");
}

describe("preview.yml", () => {
  const wf = workflow("preview.yml");

  it("runs on pull requests and may comment on them", () => {
    assert.ok("pull_request" in wf.on);
    assert.equal(wf.permissions?.["pull-requests"], "write");
  });

  it("installs and runs npm test before any preview", () => {
    assertInstalls(wf.jobs.test!);
    assert.ok(wf.jobs.test!.steps.some((s) => s.run === "npm test"));
    assert.equal(wf.jobs.preview!.needs, "test");
  });

  it("previews exactly the example stacks (Pulumi.<stack>.yaml) with the policy pack, commenting on the PR", () => {
    const job = wf.jobs.preview!;
    assert.deepEqual(job.strategy?.matrix?.stack, [...STACKS]);
    assertInstalls(job);
    const step = pulumiStep(job);
    assert.equal(step.uses, "pulumi/actions@v7");
    assert.deepEqual(
      { command: step.with?.command, stack: step.with?.["stack-name"], packs: step.with?.policyPacks, comment: step.with?.["comment-on-pr"] },
      { command: "preview", stack: "${{ matrix.stack }}", packs: "policies", comment: true },
    );
    assert.equal(step.env?.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}");
  });
});

describe("up.yml", () => {
  const wf = workflow("up.yml");

  it("runs on pushes to main", () => {
    assert.deepEqual(wf.on.push?.branches, ["main"]);
  });

  it("deploys exactly the example stacks, one at a time, behind the protected production environment, with the policy pack", () => {
    const job = wf.jobs.up!;
    assert.equal(job.needs, "test");
    assert.equal(job.environment, "production");
    assert.deepEqual(job.strategy?.matrix?.stack, [...STACKS]);
    assert.equal(job.strategy?.["max-parallel"], 1);
    assertInstalls(job);
    const step = pulumiStep(job);
    assert.equal(step.uses, "pulumi/actions@v7");
    assert.deepEqual([step.with?.command, step.with?.["stack-name"], step.with?.policyPacks], ["up", "${{ matrix.stack }}", "policies"]);
    assert.equal(step.env?.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}");
  });
});
