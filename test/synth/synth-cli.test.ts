import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, copyFileSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SYNTH = new URL("../../scripts/synth.ts", import.meta.url).pathname;
const FIXTURES = new URL("../fixtures/invalid/", import.meta.url).pathname;

describe("npm run synth on an invalid stack", () => {
  it("exits non-zero, lists every problem by key path, and writes nothing", () => {
    // GIVEN a working directory holding only a broken stack file
    const dir = mkdtempSync(join(tmpdir(), "homelab-synth-"));
    copyFileSync(join(FIXTURES, "three-mistakes.yaml"), join(dir, "Pulumi.broken.yaml"));
    // WHEN synth runs on it
    const run = spawnSync(process.execPath, [SYNTH, "--stack", "broken"], { cwd: dir, encoding: "utf8" });
    // THEN it fails with the schema errors, one per line, and no output directory
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /^synth broken: the stack cannot be deployed as configured/);
    assert.match(run.stderr, / {2}- homelab:traefik\.replica: unknown key .*did you mean replicas\?/);
    const keys = run.stderr
      .split("\n")
      .filter((l) => l.startsWith("  - "))
      .map((l) => l.slice(4).split(": ")[0]);
    assert.deepEqual(keys, [
      "homelab:traefik.replica",
      "homelab:cluster.allowSchedulingOnControlPlanes",
      "homelab:cluster.nodes.cp1.ip",
      "homelab:apps.grafana.hosts[0]",
    ]);
    assert.equal(existsSync(join(dir, "out")), false);
  });
});

const SCRIPTS = new URL("../../scripts/", import.meta.url).pathname;
const run = (script: string, args: readonly string[], cwd: string) =>
  spawnSync(process.execPath, [join(SCRIPTS, script), ...args], { cwd, encoding: "utf8" });
/** One line (plus the usage, where the fix is a flag), no stack frame. */
const noStackTrace = (text: string) => assert.ok(!/^\s+at |node:internal|Error \[|^\w*Error:/m.test(text), `stack trace in:\n${text}`);

describe("the scripts on bad input: one clear line, never a stack trace", () => {
  const dir = mkdtempSync(join(tmpdir(), "homelab-cli-"));
  writeFileSync(join(dir, "Pulumi.typo.yaml"), "config:\n  homelab:cluster:\n    provider: talos\n   nodes: [\n");

  it("a YAML syntax error names the file, line and column", () => {
    const r = run("synth.ts", ["--stack", "typo"], dir);
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      "synth typo: ./Pulumi.typo.yaml:4:1: not valid YAML: All mapping items must start at the same column; fix the file at that line\n",
    );
  });

  it("a missing stack file names the stacks there are", () => {
    const r = run("synth.ts", ["--stack", "nope"], dir);
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      "synth nope: no Pulumi.nope.yaml in this directory or its examples/ (the stacks there: typo); create it with `npm run new-stack -- nope`\n",
    );
  });

  for (const script of ["synth.ts", "policy.ts", "gen-docs.ts", "bench.ts"]) {
    it(`${script}: --help prints the usage and exits 0; an unknown flag is one line and the usage, exit 2`, () => {
      const help = run(script, ["--help"], dir);
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout, /^usage: npm run /);
      const bad = run(script, ["--bogus"], dir);
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /^\w[\w-]*: Unknown option '--bogus'\.\nusage: npm run /);
      noStackTrace(bad.stderr);
    });
  }

  it("a missing option value and a stray argument are named", () => {
    assert.match(run("synth.ts", ["--stack"], dir).stderr, /^synth: Option '--stack <value>' argument missing\./);
    assert.match(run("policy.ts", ["homelab"], dir).stderr, /^policy: Unexpected argument 'homelab'/);
    const runs = run("bench.ts", ["--runs", "many"], dir);
    assert.equal(runs.stderr, 'bench: --runs expects a whole number of at least 1 (got "many").\n');
  });
});

describe("every script answers --help, and does nothing else", () => {
  const ROOT = new URL("../..", import.meta.url).pathname;
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const workflows = ["preview.yml", "up.yml"].map((f) => readFileSync(join(ROOT, ".github", "workflows", f), "utf8")).join("\n");
  // The npm scripts', the workflows' and the upgrade Commands' entry points.
  const scripts = [
    ...new Set(
      [
        ...Object.values(pkg.scripts)
          .join(" ")
          .matchAll(/scripts\/([\w-]+\.ts)/g),
        ...workflows.matchAll(/scripts\/([\w-]+\.ts)/g),
      ]
        .map((m) => m[1]!)
        .concat("talos-upgrade.ts"),
    ),
  ].sort();
  /** Every file the scripts would write by default (goldens, the bench table, docs), by modification time. */
  const written = () =>
    ["test/golden", "bench", "docs", "synth/schemas"]
      .flatMap((d) =>
        readdirSync(join(ROOT, d), { recursive: true, withFileTypes: true })
          .filter((e) => e.isFile())
          .map((e) => `${join(e.parentPath, e.name)} ${statSync(join(e.parentPath, e.name)).mtimeMs}`),
      )
      .sort();

  it("lists the entry points", () => {
    assert.deepEqual(scripts, [
      "bench.ts",
      "gen-docs.ts",
      "gen-k8s-schemas.ts",
      "golden.ts",
      "homelab-reachable.ts",
      "new-stack.ts",
      "policy.ts",
      "review-diff.ts",
      "synth.ts",
      "talos-upgrade.ts",
      "talosctl-version.ts",
    ]);
  });

  for (const script of scripts) {
    it(`${script} --help: its usage on stdout, exit 0, nothing written`, () => {
      const before = written();
      const help = run(script, ["--help"], ROOT);
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout, /^usage: /);
      assert.equal(help.stderr, "");
      assert.deepEqual(written(), before);
    });
  }

  it("bench --out into a directory that cannot be written stops before measuring, naming it", () => {
    const started = Date.now();
    const r = run("bench.ts", ["--out", "/nonexistent-dir/results.md"], ROOT);
    assert.equal(r.status, 2);
    assert.equal(
      r.stderr,
      "bench: --out /nonexistent-dir/results.md: cannot write into /nonexistent-dir (ENOENT); give a file in an existing, writable directory.\n",
    );
    assert.ok(Date.now() - started < 20_000);
  });
});
