import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SYNTH = new URL("../../scripts/synth.ts", import.meta.url).pathname;
const FIXTURES = new URL("../fixtures/stacks/", import.meta.url).pathname;

describe("npm run synth on an invalid stack", () => {
  it("exits non-zero, lists every problem by key path, and writes nothing", () => {
    // GIVEN a working directory holding only a broken stack file
    const dir = mkdtempSync(join(tmpdir(), "homelab-synth-"));
    copyFileSync(join(FIXTURES, "Pulumi.broken.yaml"), join(dir, "Pulumi.broken.yaml"));
    // WHEN synth runs on it
    const run = spawnSync(process.execPath, [SYNTH, "--stack", "broken"], { cwd: dir, encoding: "utf8" });
    // THEN it fails with the schema errors, one per line, and no output directory
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /^synth broken: the stack cannot be deployed as configured/);
    assert.match(run.stderr, /  - homelab:traefik\.replica: unknown key .*did you mean replicas\?/);
    const keys = run.stderr.split("\n").filter((l) => l.startsWith("  - ")).map((l) => l.slice(4).split(": ")[0]);
    assert.deepEqual(keys, ["homelab:traefik.replica", "homelab:cluster.allowSchedulingOnControlPlanes", "homelab:cluster.nodes.cp1.ip", "homelab:apps.grafana.hosts[0]"]);
    assert.equal(existsSync(join(dir, "out")), false);
  });
});
