/**
 * The GitHub workflows cannot run here: they must at least parse, find the
 * repository's own stacks instead of listing them, deploy behind a protected
 * environment, and put one review comment on a pull request. Their shell
 * helpers run here against a fake `gh` on PATH.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT, STACKS } from "./synth-output.ts";
import { projectStackNames, readStackConfig } from "../../synth/stack-file.ts";
import { DEFAULTS } from "../../config/defaults.ts";
import { compareMinor, formatRelease, parseTalosRelease } from "../../policies/platform/talos-versions.ts";

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly id?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}
interface Job {
  readonly needs?: string | string[];
  readonly if?: string;
  readonly environment?: string;
  readonly outputs?: Record<string, string>;
  readonly strategy?: { readonly matrix?: { readonly stack?: unknown }; readonly "max-parallel"?: number };
  readonly steps: Step[];
}
interface Workflow {
  readonly on: Record<string, { branches?: string[] } | null>;
  readonly permissions?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const SCRIPTS = join(ROOT, ".github", "scripts");
const workflow = (file: string): Workflow => parse(readFileSync(join(ROOT, ".github", "workflows", file), "utf8")) as Workflow;
const pulumiStep = (job: Job): Step => {
  const steps = job.steps.filter((s) => s.uses?.startsWith("pulumi/actions@"));
  assert.equal(steps.length, 1, "one pulumi/actions step");
  return steps[0]!;
};
const needs = (job: Job) => [job.needs ?? []].flat();

/** checkout → setup-node from .nvmrc → npm ci, before anything runs Pulumi or the tests. */
function assertInstalls(job: Job): void {
  const uses = job.steps.map((s) => s.uses ?? s.run);
  assert.deepEqual(uses.slice(0, 3), ["actions/checkout@v7", "actions/setup-node@v7", "npm ci"]);
  assert.equal(job.steps[1]!.with?.["node-version-file"], ".nvmrc");
}

/** The matrix comes from the stacks job, which lists the repository's own Pulumi.<stack>.yaml; a job without stacks does not run. */
function assertStacksFromRepository(wf: Workflow, job: Job): void {
  assert.deepEqual(wf.jobs.stacks!.steps.map((s) => s.run ?? s.uses), ["actions/checkout@v7", 'echo "stacks=$(.github/scripts/project-stacks.sh)" >> "$GITHUB_OUTPUT"']);
  assert.equal(wf.jobs.stacks!.outputs?.stacks, "${{ steps.list.outputs.stacks }}");
  assert.equal(job.strategy?.matrix?.stack, "${{ fromJSON(needs.stacks.outputs.stacks) }}");
  assert.ok(needs(job).includes("stacks"));
  assert.match(job.if ?? "", /needs\.stacks\.outputs\.stacks != '\[\]'/);
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
    assert.ok(needs(wf.jobs.preview!).includes("test"));
  });

  it("previews the repository's own stacks with the policy pack, never a fork's, leaving the commenting to the review job", () => {
    const job = wf.jobs.preview!;
    assertStacksFromRepository(wf, job);
    assert.match(job.if!, /github\.event\.pull_request\.head\.repo\.full_name == github\.repository/);
    assertInstalls(job);
    const step = pulumiStep(job);
    assert.equal(step.uses, "pulumi/actions@v7");
    assert.deepEqual(
      { command: step.with?.command, stack: step.with?.["stack-name"], packs: step.with?.policyPacks, comment: step.with?.["comment-on-pr"] },
      { command: "preview", stack: "${{ matrix.stack }}", packs: "policies", comment: false },
    );
    assert.equal(step.env?.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}");
    const keep = job.steps.find((s) => s.env?.PREVIEW)!;
    assert.equal(keep.env!.PREVIEW, `\${{ steps.${step.id}.outputs.output }}`);
    assert.equal(keep.if, "always()");
  });

  it("synthesizes the base and the head, and posts one review comment with both diffs and the previews", () => {
    const synth = wf.jobs.synth!;
    assertInstalls(synth);
    const runs = synth.steps.map((s) => s.run ?? "").join("\n");
    assert.match(runs, /npm run synth -- --all --out "\$RUNNER_TEMP\/synth\/head"/);
    assert.match(runs, /git worktree add "\$RUNNER_TEMP\/base" "\$BASE_SHA"[\s\S]*npm run synth -- --all --out "\$RUNNER_TEMP\/synth\/base"/);
    const comment = wf.jobs.comment!;
    assert.deepEqual(needs(comment), ["synth", "preview"]);
    assert.equal(comment.if, "always() && needs.synth.result == 'success'");
    const commands = comment.steps.map((s) => s.run).filter(Boolean);
    assert.ok(commands.includes('npm run --silent review-diff -- "$RUNNER_TEMP/synth/base" "$RUNNER_TEMP/synth/head" --previews "$RUNNER_TEMP/previews" > "$RUNNER_TEMP/comment.md"'));
    const post = comment.steps.find((s) => s.run?.startsWith(".github/scripts/post-review-comment.sh"))!;
    assert.equal(post.if, "github.event.pull_request.head.repo.full_name == github.repository");
    assert.equal(post.env?.GH_TOKEN, "${{ secrets.GITHUB_TOKEN }}");
  });
});

describe("up.yml", () => {
  const wf = workflow("up.yml");

  it("runs on pushes to main", () => {
    assert.deepEqual(wf.on.push?.branches, ["main"]);
  });

  it("deploys the repository's own stacks, one at a time, in the production environment, with the policy pack", () => {
    const job = wf.jobs.up!;
    assertStacksFromRepository(wf, job);
    assert.deepEqual(needs(job), ["test", "stacks", "protected"]);
    assert.equal(job.environment, "production");
    assert.equal(job.strategy?.["max-parallel"], 1);
    assertInstalls(job);
    const step = pulumiStep(job);
    assert.deepEqual([step.with?.command, step.with?.["stack-name"], step.with?.policyPacks], ["up", "${{ matrix.stack }}", "policies"]);
    assert.equal(step.env?.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}");
  });

  it("installs a pinned talosctl before pulumi up, not older than any stack's Talos (the rolling upgrade refuses an older one)", () => {
    const job = wf.jobs.up!;
    const install = job.steps.findIndex((s) => s.run?.includes("talosctl-linux-amd64"));
    assert.ok(install > 0 && install < job.steps.indexOf(pulumiStep(job)), "talosctl installed before the pulumi step");
    const pinned = parseTalosRelease(job.steps[install]!.env?.TALOSCTL_VERSION ?? "");
    assert.ok(pinned?.patch !== undefined, "an exact talosctl release");
    for (const stack of STACKS) {
      const cluster = JSON.parse(readStackConfig(stack, ROOT).values["homelab:cluster"] ?? "{}") as { provider?: string; talos?: { version?: string } };
      if (cluster.provider !== "talos") continue;
      const version = parseTalosRelease(cluster.talos?.version ?? DEFAULTS.talos.version)!;
      assert.ok(compareMinor(pinned!, version) >= 0, `${stack}: talosctl ${formatRelease(pinned!)} is older than Talos ${formatRelease(version)}`);
    }
  });

  it("refuses to deploy until production has required reviewers", () => {
    const job = wf.jobs.protected!;
    assert.ok(job.steps.some((s) => s.run === ".github/scripts/require-protected-environment.sh production"));
    assert.equal(job.environment, undefined, "the check itself must not wait for the environment");
  });
});

// ── the shell helpers, run ──────────────────────────────────────────────────

function run(script: string, args: readonly string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  return spawnSync("bash", [join(SCRIPTS, script), ...args], { cwd: opts.cwd ?? ROOT, encoding: "utf8", env: { ...process.env, ...opts.env } });
}

describe(".github/scripts/project-stacks.sh", () => {
  it("lists the Pulumi.<stack>.yaml files beside Pulumi.yaml as a JSON array, as projectStackNames does", () => {
    const fresh = mkdtempSync(join(tmpdir(), "homelab-fork-"));
    mkdirSync(join(fresh, "examples"));
    writeFileSync(join(fresh, "examples", "Pulumi.single.yaml"), "config: {}\n");
    writeFileSync(join(fresh, "Pulumi.yaml"), "name: homelab\n");
    assert.equal(run("project-stacks.sh", [], { cwd: fresh }).stdout, "[]\n");
    for (const s of ["office", "home-lab"]) writeFileSync(join(fresh, `Pulumi.${s}.yaml`), "config: {}\n");
    const listed = run("project-stacks.sh", [], { cwd: fresh });
    assert.equal(listed.status, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), ["home-lab", "office"]);
    assert.deepEqual(JSON.parse(listed.stdout), projectStackNames(fresh));
  });
});

/** A `gh` that answers `gh api` from fixture JSON (through the real jq for --jq) and logs each call. */
function fakeGh(fixtures: Record<string, unknown>): { bin: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), "homelab-gh-"));
  const log = join(dir, "calls.log");
  for (const [route, body] of Object.entries(fixtures)) writeFileSync(join(dir, `${route.replaceAll("/", "_")}.json`), JSON.stringify(body));
  writeFileSync(join(dir, "gh"), `#!/usr/bin/env bash
set -euo pipefail
method=GET; route=""; jq_filter="."; body=""
shift # api
while [ $# -gt 0 ]; do
  case "$1" in
    --method) method="$2"; shift 2 ;;
    --jq) jq_filter="$2"; shift 2 ;;
    --paginate) shift ;;
    -F) body="$(cat "\${2#body=@}")"; shift 2 ;;
    *) route="$1"; shift ;;
  esac
done
printf '%s %s\\n' "$method" "$route" >> "${log}"
[ -n "$body" ] && printf '%s\\n---\\n' "$body" >> "${log}"
fixture="${dir}/\${route//\\//_}.json"
if [ "$method" = GET ]; then
  [ -f "$fixture" ] || { echo "gh: HTTP 404: Not Found" >&2; exit 1; }
  jq -r "$jq_filter" "$fixture"
fi
`);
  chmodSync(join(dir, "gh"), 0o755);
  return { bin: dir, log };
}

describe(".github/scripts/post-review-comment.sh", () => {
  const comment = () => {
    const f = join(mkdtempSync(join(tmpdir(), "homelab-comment-")), "comment.md");
    writeFileSync(f, "## Synth review\n\nno change\n");
    return f;
  };
  const env = (bin: string) => ({ PATH: `${bin}:${process.env.PATH}`, GH_TOKEN: "t", REPO: "me/homelab", PR: "7" });

  it("creates the comment, with its marker, when the pull request has none", () => {
    const gh = fakeGh({ "repos/me/homelab/issues/7/comments": [{ id: 1, user: { login: "someone" }, body: "<!-- homelab-synth-review --> not the bot's" }] });
    const result = run("post-review-comment.sh", [comment()], { env: env(gh.bin) });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(readFileSync(gh.log, "utf8"), "GET repos/me/homelab/issues/7/comments\nPOST repos/me/homelab/issues/7/comments\n<!-- homelab-synth-review -->\n## Synth review\n\nno change\n---\n");
  });

  it("edits the bot's earlier comment in place on a later push", () => {
    const gh = fakeGh({ "repos/me/homelab/issues/7/comments": [
      { id: 11, user: { login: "github-actions[bot]" }, body: "Pulumi preview of another tool" },
      { id: 12, user: { login: "github-actions[bot]" }, body: "<!-- homelab-synth-review -->\nold" },
    ] });
    const result = run("post-review-comment.sh", [comment()], { env: env(gh.bin) });
    assert.equal(result.status, 0, result.stderr);
    assert.match(readFileSync(gh.log, "utf8"), /^GET repos\/me\/homelab\/issues\/7\/comments\nPATCH repos\/me\/homelab\/issues\/comments\/12\n<!-- homelab-synth-review -->\n## Synth review/);
    assert.equal(result.stdout, "updated review comment 12\n");
  });
});

describe(".github/scripts/require-protected-environment.sh", () => {
  const env = (bin: string) => ({ PATH: `${bin}:${process.env.PATH}`, GH_TOKEN: "t", REPO: "me/homelab" });

  it("passes an environment with required reviewers", () => {
    const gh = fakeGh({ "repos/me/homelab/environments/production": { name: "production", protection_rules: [{ type: "branch_policy" }, { type: "required_reviewers" }] } });
    const result = run("require-protected-environment.sh", ["production"], { env: env(gh.bin) });
    assert.equal(result.status, 0, result.stderr);
  });

  it("fails an environment GitHub created unprotected, or none at all, naming the fix", () => {
    const open = fakeGh({ "repos/me/homelab/environments/production": { name: "production", protection_rules: [] } });
    const unprotected = run("require-protected-environment.sh", ["production"], { env: env(open.bin) });
    assert.equal(unprotected.status, 1);
    assert.match(unprotected.stderr, /environment production has no required reviewers \(rules: none\); create it under Settings → Environments → production with required reviewers/);
    const missing = run("require-protected-environment.sh", ["production"], { env: env(fakeGh({}).bin) });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /environment production does not exist; create it under Settings/);
  });
});
