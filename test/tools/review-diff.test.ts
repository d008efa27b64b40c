/**
 * The pull request's review comment, rendered from two real synth outputs:
 * the homelab example (base) and a copy with a few config changes (head).
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { synthStack } from "../helpers/runtime-warnings.ts";
import { EXAMPLES_DIR } from "../../synth/stack-file.ts";
import { changedStackConfig, exampleStack } from "../helpers/config.ts";
import { COMMENT_LIMIT, reviewComment } from "../../tools/review-diff.ts";
import type { StackFiles } from "../../tools/review-files.ts";
import { keyPathChanges, shownPair } from "../../tools/review-key-paths.ts";
import { previewCounts } from "../../tools/review-decisions.ts";
import { exampleOutput } from "../helpers/example-output.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const EXAMPLES = join(ROOT, EXAMPLES_DIR);

async function synthFiles(stack: string, changes?: Record<string, unknown>): Promise<StackFiles> {
  if (!changes) return exampleOutput(stack);
  const result = await synthStack(stack, { dir: EXAMPLES, config: changedStackConfig(exampleStack(stack), changes) });
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.files;
}

/** The homelab example's apps with grafana moved to port 3000 and given a second host. */
const HEAD_CHANGES = {
  "traefik.replicas": 3,
  "cluster.nodes.worker2.ip": "10.0.10.23",
  "apps.grafana.hosts": ["grafana.example.com", "metrics.example.com"],
  "apps.grafana.backends": [{ service: "grafana", port: 3000 }],
};

/** One stack's part of the comment. */
function section(comment: string, stack: string): string {
  const start = comment.indexOf(`### \`${stack}\``);
  const next = comment.indexOf("\n### `", start + 1);
  return comment.slice(start, next < 0 ? undefined : next);
}

describe("review-diff: the pull request comment", () => {
  let base: StackFiles;
  let head: StackFiles;
  let comment: string;
  before(async () => {
    base = await synthFiles("homelab");
    head = await synthFiles("homelab", HEAD_CHANGES);
    comment = reviewComment({
      base: new Map([
        ["homelab", base],
        ["single", await synthFiles("single")],
      ]),
      head: new Map([
        ["homelab", head],
        ["lab", await synthFiles("lab")],
      ]),
      previews: new Map([["homelab", "Previewing update (homelab)\n  ~ 3 to update\n"]]),
    });
  });

  it("heads each stack with what changed, and what synth says of the head", () => {
    // worker2's new address is in every node's host firewall (kubelet, VXLAN, memberlist rules), so all 5 patch files change.
    assert.match(
      comment,
      /^### `homelab`: changed \(2 routes, 1 DNS record, 1 Helm values file, 5 Talos patch files, 1 Kubernetes object, resources \+1 −0\)$/m,
    );
    assert.match(comment, /^5 nodes · 17 routes · policy: all \d+ rules pass$/m);
    assert.match(comment, /^### `lab`: new stack$/m);
    assert.match(comment, /^### `single`: removed$/m);
  });

  it("lists the route rows that change, the old beside the new", () => {
    assert.match(comment, /^\| was \| grafana\.example\.com \| \/ \| 203\.0\.113\.10 \| yes \| monitoring\/grafana:80 \| Ingress \|/m);
    assert.match(comment, /^\| now \| grafana\.example\.com \| \/ \| 203\.0\.113\.10 \| yes \| monitoring\/grafana:3000 \| Ingress \|/m);
    assert.match(comment, /^\| added \| metrics\.example\.com \| \/ \| 203\.0\.113\.10 \| yes \| monitoring\/grafana:3000 \|/m);
  });

  it("names DNS records, Helm values, Talos patches and Kubernetes fields by key path", () => {
    const homelab = section(comment, "homelab");
    assert.match(homelab, /^- added `metrics\.example\.com` A 203\.0\.113\.10 \(proxied\)$/m);
    assert.match(homelab, /^\*\*traefik\.values\.yaml\*\*\n- `deployment\.replicas`: `2` → `3`$/m);
    assert.match(
      homelab,
      /^\*\*worker2\.yaml\*\*\n- `LinkConfig eth0: addresses\[0\]\.address`: `10\.0\.10\.22\/24` → `10\.0\.10\.23\/24`$/m,
    );
    assert.match(homelab, /^- `spec\.rules\[0\]\.http\.paths\[0\]\.backend\.service\.port\.number`: `80` → `3000`$/m);
    assert.match(homelab, /^- added `cloudflare:index\/dnsRecord:DnsRecord::grafana-dns-metrics\.example\.com-203\.0\.113\.10`$/m);
    assert.match(homelab, /^ {2}- `inputs\.node`: `10\.0\.10\.22` → `10\.0\.10\.23`$/m);
    assert.match(
      homelab,
      /^\*\*cp1\.yaml\*\*\n- `NetworkRuleConfig kubelet-ingress: ingress\[4\]\.subnet`: `10\.0\.10\.22\/32` → `10\.0\.10\.23\/32`$/m,
    );
    // The rollout names the nodes: its new line runs (and checks the cluster with the new member list).
    assert.match(homelab, /^- `command:local:Command::cluster-rollout`\n {2}- `inputs\.update`: /m);
    // Kubernetes objects are shown once, as manifests, not again as resource inputs.
    assert.doesNotMatch(homelab, /inputs\.spec\.rules/);
  });

  it("puts Pulumi's preview beside the synth diff, in the same comment", () => {
    assert.match(
      section(comment, "homelab"),
      /<details><summary>Pulumi preview<\/summary>\n\n```text\nPreviewing update \(homelab\)\n {2}~ 3 to update\n```/,
    );
  });

  it("never shows a Secret's data, only that it changed", () => {
    const secretFile = [...head.keys()].find((f) => f.startsWith("manifests/cert-manager/secret."))!;
    // Synth masks each leaf but keeps the keys; a head whose file carried real values must still not show them.
    assert.match(head.get(secretFile)!, /^stringData:\n {2}api-token: "\[secret\]"$/m);
    const leaked = new Map(head);
    leaked.set(
      secretFile,
      head.get(secretFile)!.replace('api-token: "[secret]"', "api-token: hunter2-token\n  backup-token: hunter3-token"),
    );
    const text = reviewComment({ base: new Map([["homelab", base]]), head: new Map([["homelab", leaked]]) });
    assert.doesNotMatch(text, /hunter/);
    assert.match(text, /^- changed `stringData\.api-token` \(value not shown\)$/m);
    assert.match(text, /^- added `stringData\.backup-token` \(value not shown\)$/m);
  });

  it("stays under GitHub's comment limit: details go first, then the text is cut, with a note either way", () => {
    const trees = { base: new Map([["homelab", base]]), head: new Map([["homelab", head]]) };
    const full = reviewComment(trees);
    const compact = reviewComment({ ...trees, limit: full.length - 1 });
    assert.ok(compact.length < full.length);
    assert.match(compact, /^> Details were left out to stay under GitHub's comment size limit/m);
    assert.match(compact, /^\*\*traefik\.values\.yaml\*\* \(1 change\)$/m);
    const cut = reviewComment({ ...trees, limit: 1500 });
    assert.ok(cut.length <= 1500, `${cut.length} characters`);
    assert.match(cut, /> … cut at 1500 characters\./);
    // 400 changed values files still fit the real limit.
    const many = new Map(head);
    for (let i = 0; i < 400; i++) many.set(`helm/r${i}.values.yaml`, `a: ${i}\nb: [${i}]\n`);
    const manyBase = new Map(base);
    for (let i = 0; i < 400; i++) manyBase.set(`helm/r${i}.values.yaml`, `a: -1\nb: []\n`);
    assert.ok(reviewComment({ base: new Map([["homelab", manyBase]]), head: new Map([["homelab", many]]) }).length <= COMMENT_LIMIT);
  });

  it("compares lists of named items by name, so an insertion is one change", () => {
    assert.deepEqual(
      keyPathChanges(
        { ports: [{ name: "web", port: 80 }] },
        {
          ports: [
            { name: "metrics", port: 9100 },
            { name: "web", port: 8080 },
          ],
        },
      ),
      [
        { path: "ports[name=web].port", before: 80, after: 8080 },
        { path: "ports[name=metrics]", after: { name: "metrics", port: 9100 } },
      ],
    );
  });

  it("runs as `npm run review-diff -- <base-out> <head-out> --previews <dir>` on out/ directories", () => {
    const dir = mkdtempSync(join(tmpdir(), "homelab-review-"));
    for (const [side, files] of [
      ["base", base],
      ["head", head],
    ] as const) {
      for (const [path, content] of files) {
        mkdirSync(dirname(join(dir, side, "homelab", path)), { recursive: true });
        writeFileSync(join(dir, side, "homelab", path), content);
      }
    }
    mkdirSync(join(dir, "previews"));
    writeFileSync(join(dir, "previews", "homelab.txt"), "Previewing update (homelab)\n");
    const run = spawnSync(
      process.execPath,
      [join(ROOT, "scripts", "review-diff.ts"), join(dir, "base"), join(dir, "head"), "--previews", join(dir, "previews")],
      { encoding: "utf8" },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.equal(
      run.stdout,
      `${reviewComment({ base: new Map([["homelab", base]]), head: new Map([["homelab", head]]), previews: new Map([["homelab", "Previewing update (homelab)\n"]]) })}\n`,
    );
    const missing = spawnSync(process.execPath, [join(ROOT, "scripts", "review-diff.ts"), join(dir, "no-base"), join(dir, "head")], {
      encoding: "utf8",
    });
    assert.equal(missing.status, 0, missing.stderr);
    assert.match(missing.stdout, /^### `homelab`: new stack$/m);
  });

  it("leads with the decisions: routes and DNS changed, nothing replaced (the preview text has no summary: it did not finish)", () => {
    const homelab = section(comment, "homelab");
    const lead = homelab.split("\n").slice(2, 5);
    assert.deepEqual(lead, [
      "- **Pulumi preview** did not finish: see its job's log; below is what synth sees.",
      "- **Routes**: changed `grafana.example.com`, added `metrics.example.com`.",
      "- **DNS**: added `metrics.example.com` A 203.0.113.10 (proxied).",
    ]);
  });
});

describe("review-diff: a Talos and Kubernetes bump, from two real synth runs", () => {
  let comment: string;
  before(async () => {
    const base = await synthFiles("homelab", { "cluster.talos.kubernetesVersion": "1.36.0" });
    const head = await synthFiles("homelab", { "cluster.talos.version": "v1.14.1", "cluster.talos.kubernetesVersion": "1.36.3" });
    comment = reviewComment({
      base: new Map([["homelab", base]]),
      head: new Map([["homelab", head]]),
      previews: new Map([["homelab", PREVIEW_OF_A_BUMP]]),
    });
  });

  it("shows Pulumi's counts, the versions, the rollout order and which nodes reboot in its first lines", () => {
    const lines = section(comment, "homelab").split("\n");
    assert.match(lines[0]!, /^### `homelab`: changed/);
    // Nothing is replaced: the day-2 Commands update in place, carrying the new target (components/talos-cluster.ts).
    assert.deepEqual(lines.slice(2, 5), [
      "- **Pulumi preview**: 9 to update.",
      "- **Talos `v1.13.9` → `v1.14.1`**: every node reboots once, one at a time, each after a healthy cluster: cp1 (pve1) → cp2 (pve2) → cp3 (pve1) → worker1 (pve1) → worker2 (pve2).",
      "- **Kubernetes `1.36.0` → `1.36.3`** (talosctl upgrade-k8s, before any config apply and the Talos rollout): control-plane components and kubelets restart; no node reboots for it.",
    ]);
  });

  it("shows the installer image around where it changes, never two identical cuts", () => {
    assert.match(
      section(comment, "homelab"),
      /^- `machine config: machine\.install\.image`: `…[0-9a-f]+:v1\.13\.9` → `…[0-9a-f]+:v1\.14\.1`$/m,
    );
    for (const line of comment.split("\n").filter((l) => l.includes(" → "))) {
      const [before, after] = line.split(" → ");
      assert.notEqual(before!.slice(before!.lastIndexOf(": ") + 2), after, line);
    }
  });
});

/** The end of a `pulumi preview` as its summary prints it (pulumi/pulumi pkg/backend/display/diff.go, renderSummaryEvent, v3.259.0). */
const PREVIEW_OF_A_BUMP = `Previewing update (homelab)

     Type                          Name                     Plan        Info
     pulumi:pulumi:Stack           homelab-homelab
 ~   ├─ command:local:Command      cluster-rollout          update      [diff: ~update]
Resources:
    ~ 9 to update
    9 changes. 104 unchanged
`;

describe("review-diff: a Talos jump the rollout will refuse", () => {
  it("says so in the lead, where the reviewer decides, since the config alone cannot know what the nodes run", async () => {
    const base = await synthFiles("homelab");
    const head = await synthFiles("homelab", { "cluster.talos.version": "v1.15.2", "cluster.talos.kubernetesVersion": "1.36.3" });
    const lines = section(
      reviewComment({ base: new Map([["homelab", base]]), head: new Map([["homelab", head]]), previews: new Map() }),
      "homelab",
    ).split("\n");
    assert.ok(
      lines.includes(
        "- **Talos `v1.13.9` → `v1.15.2` will be refused** by the rollout before it touches a node: v1.13.9 → v1.15.2 skips a minor release: Talos upgrades one minor at a time (go to v1.14.x first).",
      ),
      lines.join("\n"),
    );
  });
});

describe("review-diff: values and counts", () => {
  it("cuts two long strings around their first difference, however far in", () => {
    const image = (tag: string) => `factory.talos.dev/nocloud-installer/${"ab".repeat(32)}:${tag}`;
    const [b, a] = shownPair(image("v1.13.9"), image("v1.14.1"));
    // 24 characters before the first difference (the 3 of 13), then the rest.
    assert.equal(b, `\`…b${"ab".repeat(9)}:v1.13.9\``);
    assert.equal(a, `\`…b${"ab".repeat(9)}:v1.14.1\``);
    const [head, tail] = shownPair(`${"x".repeat(100)}`, `y${"x".repeat(99)}`);
    assert.equal(head, `\`${"x".repeat(79)}…\``);
    assert.equal(tail, `\`y${"x".repeat(78)}…\``);
    assert.deepEqual(shownPair("short", "other"), ["`short`", "`other`"]);
  });

  it("reads Pulumi's summary counts, and none from a preview that stopped early", () => {
    assert.deepEqual(Object.fromEntries(previewCounts(PREVIEW_OF_A_BUMP)!), { update: 9 });
    assert.deepEqual(
      Object.fromEntries(previewCounts("Resources:\n    ~ 2 to update\n    +-5 to replace\n    7 changes. 104 unchanged\n")!),
      { update: 2, replace: 5 },
    );
    assert.deepEqual(Object.fromEntries(previewCounts("Resources:\n    + 3 to create\n    - 1 to delete\n    --1 to delete-replaced\n")!), {
      create: 3,
      delete: 1,
      "delete-replaced": 1,
    });
    assert.equal(previewCounts("error: could not reach 10.0.10.10:50000"), undefined);
  });
});
