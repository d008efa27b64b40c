/**
 * Day 2 as registered: a Talos release bump touches only the installer and the
 * rollout command (updated, which runs it with the new target), the contract and
 * Kubernetes stay pinned, config applies never reboot two control planes
 * together, and Kubernetes moves before any apply. The twin runs these commands
 * (test/twin/day2.test.ts).
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { ofType, recordProgram, type ProgramRun, type RecordedResource } from "../../synth/recorder.ts";
import { createCluster } from "../../components/cluster.ts";
import type { StackSecrets } from "../../config/load.ts";
import { talosCluster } from "../helpers/cluster.ts";
import { parseHomelabConfig } from "../../config/validate.ts";
import { talosRaw } from "../helpers/cluster.ts";
import { summaryMarkdown } from "../../synth/summary.ts";
import { engineDiff } from "../helpers/engine-diff.ts";
import { TYPES, INVOKES } from "../../contract/tokens.ts";

const noSecrets: StackSecrets = {
  homelab: () => {
    throw new Error("no secrets here");
  },
  optional: () => undefined,
};
const APPLY = TYPES.configurationApply;
const COMMAND = TYPES.command;

const synth = (talos: Record<string, unknown>) =>
  recordProgram(
    () => {
      const c = createCluster(
        "cluster",
        talosCluster({ talos: { configContract: "v1.13", kubernetesVersion: "1.36.3", ...talos } }),
        noSecrets,
      );
      return { kubeconfig: c.kubeconfig };
    },
    { values: {}, secretKeys: [] },
  );

const byRef = (run: ProgramRun<unknown>) => new Map(run.resources.map((r) => [`${r.type}::${r.name}`, r]));

describe("a Talos release bump (v1.13.9 → v1.14.7 on contract v1.13)", () => {
  let before_: ProgramRun<unknown>;
  let after: ProgramRun<unknown>;
  before(async () => {
    before_ = await synth({ version: "v1.13.9" });
    after = await synth({ version: "v1.14.7" });
  });

  it("updates the rollout command (that is the upgrade) with the new target, the image downloads and the config applies' installer, and replaces nothing", () => {
    const diff = engineDiff(before_, after);
    assert.deepEqual([diff.added, diff.deleted, diff.replaced], [[], [], []]);
    assert.deepEqual(diff.changed, {
      // An update runs `update` with the NEW inputs (@pulumi/command v1.2.1 local/commandController.go Update).
      "cluster-rollout": ["inputs.update"],
      // A new file name and URL, which the Proxmox provider replaces on (a new download); the VMs ignore their disk's import of it.
      "cluster-image-pve1": ["inputs.fileName", "inputs.url"],
      "cluster-image-pve2": ["inputs.fileName", "inputs.url"],
      // The installer reference in each machine config: applied in place (staged if it needs a reboot).
      ...Object.fromEntries(["cp1", "cp2", "cp3", "worker1", "worker2"].map((n) => [`cluster-${n}-config`, ["inputs.configPatches"]])),
    });
    const rollout = after.resources.find((r) => r.name === "cluster-rollout")!;
    assert.match(
      String(rollout.inputs.update),
      /^'node' 'scripts\/talos-upgrade\.ts' 'rollout' '--talos' 'v1\.14\.7' '--image' 'factory\.talos\.dev\/nocloud-installer\/[0-9a-f]+:v1\.14\.7' '--kubernetes' '1\.36\.3' '--control-planes' '10\.0\.10\.11,10\.0\.10\.12,10\.0\.10\.13' '--workers' '10\.0\.10\.21,10\.0\.10\.22'$/,
    );
  });

  it("changes no machine-config input or patch except the installer reference, and keeps the contract", () => {
    const old = byRef(before_);
    const changed: string[] = [];
    for (const [key, r] of byRef(after)) {
      const was = JSON.stringify(old.get(key)!.inputs).replaceAll("v1.13.9", "v1.14.7");
      if (JSON.stringify(r.inputs) !== JSON.stringify(old.get(key)!.inputs)) changed.push(key);
      // Every difference is the release in the installer / image reference, nothing else.
      assert.equal(JSON.stringify(r.inputs), was, key);
    }
    assert.deepEqual(changed.filter((k) => k.startsWith("talos:")).sort(), [
      `${APPLY}::cluster-cp1-config`,
      `${APPLY}::cluster-cp2-config`,
      `${APPLY}::cluster-cp3-config`,
      `${APPLY}::cluster-worker1-config`,
      `${APPLY}::cluster-worker2-config`,
    ]);
    // The new image is downloaded beside the old; the VMs' disk import of it is ignored (no VM is replaced).
    assert.ok(
      changed.every(
        (k) => k.startsWith(APPLY) || k.startsWith(COMMAND) || k.startsWith(TYPES.download) || k.startsWith("proxmoxve:index/vmLegacy"),
      ),
      changed.join(", "),
    );
    for (const vm of ofType(after, TYPES.vm)) assert.ok(vm.options.ignoreChanges?.includes("disks[0].importFrom"), vm.name);
    const generated = after.invokes.filter((i) => i.token === INVOKES.talosMachineConfiguration);
    assert.deepEqual(
      generated.map((g) => g.args.talosVersion),
      ["v1.13", "v1.13"],
    );
    assert.deepEqual(
      JSON.stringify(generated.map((g) => g.args)),
      JSON.stringify(before_.invokes.filter((i) => i.token === INVOKES.talosMachineConfiguration).map((g) => g.args)),
    );
  });
});

describe("a Kubernetes bump (1.36.3 → 1.36.4)", () => {
  it("updates only the Kubernetes command and, after it, the generated configs the applies carry", async () => {
    const diff = engineDiff(await synth({ kubernetesVersion: "1.36.3" }), await synth({ kubernetesVersion: "1.36.4" }));
    assert.deepEqual([diff.added, diff.deleted, diff.replaced], [[], [], []]);
    assert.deepEqual(diff.changed["cluster-kubernetes"], ["inputs.update"]);
    assert.deepEqual(diff.changed["cluster-rollout"], ["inputs.update"]);
  });
});

/**
 * The day-2 Commands as @pulumi/command v1.2.1 runs them (pulumi/pulumi-command,
 * provider/pkg/provider/local/commandController.go): Create runs `create` on every
 * create that is not a preview, and nothing when `create` is unset; Update runs
 * `update` (else `create`) with the NEW inputs whenever an input changed (the
 * provider's default diff; `triggers` alone replace: common/inputs.go
 * `provider:"replaceOnChanges"`). A failed command returns a plain error
 * (local/commandOutputs.go `run`), so the engine keeps the old state and the next
 * `up` diffs and runs it again. `ignoreChanges` would make the engine put the old
 * command and environment back before the diff and the step (pulumi/pulumi
 * pkg/resource/deploy/step_generator.go, "Set inputs back to their old values").
 */
describe("day-2 commands as registered", () => {
  let run: ProgramRun<unknown>;
  before(async () => {
    run = await synth({ version: "v1.13.10", kubernetesVersion: "1.36.4" });
  });
  const deps = (r: RecordedResource, type: string) => (r.options.dependsOn ?? []).filter((d) => d.startsWith(`${type}::`));
  const command = (name: string) => ofType(run, COMMAND).find((c) => c.name === name)!;

  it("registers one rollout and one Kubernetes command, each running only on an update, with the new inputs and current credentials", () => {
    assert.deepEqual(
      ofType(run, COMMAND)
        .map((c) => c.name)
        .sort(),
      ["cluster-kubernetes", "cluster-rollout"],
    );
    for (const c of [command("cluster-rollout"), command("cluster-kubernetes")]) {
      // No create: a new cluster's first up runs neither (its nodes boot the pinned release) and needs no talosctl.
      assert.equal(c.inputs.create, undefined, c.name);
      assert.equal(c.inputs.triggers, undefined, c.name);
      assert.equal(c.options.ignoreChanges, undefined, c.name);
      // The talosconfig reaches the script as a secret, never in the command line.
      assert.equal((c.inputs.environment as Record<string, unknown>).TALOSCONFIG_CONTENT, "[secret]", c.name);
    }
    assert.equal(
      String(command("cluster-kubernetes").inputs.update),
      "'node' 'scripts/talos-upgrade.ts' 'kubernetes' '--to' '1.36.4' '--control-planes' '10.0.10.11,10.0.10.12,10.0.10.13' '--workers' '10.0.10.21,10.0.10.22'",
    );
    // Any applied config change (staged ones included) re-runs the rollout, which reboots the staged nodes.
    assert.equal((command("cluster-rollout").inputs.environment as Record<string, unknown>).HOMELAB_CONFIG_REVISION, "[secret]");
  });

  it("orders Kubernetes before every config apply, and the rollout after the bootstrap and every apply", () => {
    for (const apply of ofType(run, APPLY)) assert.deepEqual(deps(apply, COMMAND), [`${COMMAND}::cluster-kubernetes`], apply.name);
    assert.deepEqual(deps(command("cluster-rollout"), TYPES.bootstrap), ["talos:machine/bootstrap:Bootstrap::cluster-bootstrap"]);
    assert.deepEqual(
      deps(command("cluster-rollout"), APPLY).sort(),
      ["cp1", "cp2", "cp3", "worker1", "worker2"].map((n) => `${APPLY}::cluster-${n}-config`),
    );
  });

  it("applies machine configs with staged_if_needing_reboot, control planes one after another", () => {
    const applies = ofType(run, APPLY);
    assert.ok(applies.every((a) => a.inputs.applyMode === "staged_if_needing_reboot"));
    assert.deepEqual(Object.fromEntries(applies.map((a) => [a.name, deps(a, APPLY)])), {
      "cluster-cp1-config": [],
      "cluster-cp2-config": [`${APPLY}::cluster-cp1-config`],
      "cluster-cp3-config": [`${APPLY}::cluster-cp2-config`],
      "cluster-worker1-config": [],
      "cluster-worker2-config": [],
    });
  });

  it("generates every machine config with the pinned Kubernetes, never the provider's default", () => {
    const generated = run.invokes.filter((i) => i.token === INVOKES.talosMachineConfiguration);
    assert.deepEqual(
      generated.map((g) => g.args.kubernetesVersion),
      ["1.36.4", "1.36.4"],
    );
  });

  it("summary.md names the pinned Kubernetes, the rollout's order and what a config change can reboot", () => {
    const summary = summaryMarkdown({
      stack: "lab",
      resources: run.resources,
      outputs: {},
      warnings: [],
      policy: { violations: [], rules: 0 },
    });
    const section = summary.slice(summary.indexOf("## Talos upgrades"), summary.indexOf("## Ingress entry"));
    assert.match(section, /Config contract `v1\.13`: pinned \(the protected machine secrets refuse a change at preview\)\./);
    assert.match(
      section,
      /Kubernetes `1\.36\.4`, pinned: a change runs `talosctl upgrade-k8s` \(cluster-kubernetes\) before any config apply/,
    );
    assert.match(
      section,
      /Rollout \(cluster-rollout, after the health check\) to `v1\.13\.10` with the schematic's installer `factory\.talos\.dev\/nocloud-installer\/[0-9a-f]+:v1\.13\.10`/,
    );
    const steps = [...section.matchAll(/^\| (\d) \| ([^|]+) \|/gm)].map((m) => [m[1], m[2]!.trim()]);
    assert.deepEqual(steps, [
      ["1", "10.0.10.11"],
      ["2", "10.0.10.12"],
      ["3", "10.0.10.13"],
      ["4", "10.0.10.21"],
      ["5", "10.0.10.22"],
    ]);
    assert.match(
      section,
      /mode `staged_if_needing_reboot`; 2 control-plane applies wait for the one before\. A change that needs a reboot is staged and reboots no node at apply time; the rollout then reboots each such node in turn/,
    );
  });

  it("lifts the contract pin only when the operator opts in", async () => {
    const optedIn = await synth({ allowConfigContractChange: true });
    const secrets = ofType(optedIn, TYPES.talosSecrets)[0]!;
    assert.equal(secrets.options.replaceOnChanges, undefined);
    assert.equal(secrets.options.protect, true);
  });
});

describe("version input refused before anything registers", () => {
  const errors = (talos: Record<string, unknown>) => {
    const raw = talosRaw({ talos });
    const result = parseHomelabConfig(raw, new Set());
    return result.ok ? [] : result.errors;
  };
  for (const [what, talos, expected] of [
    [
      "no contract",
      { configContract: undefined },
      /^homelab:cluster\.talos\.configContract: is required for Talos stacks: set it once, when the cluster is created, to the minor release of cluster\.talos\.version \(e\.g\. v1\.13\)/,
    ],
    [
      "version latest",
      { version: "latest" },
      /^homelab:cluster\.talos\.version: expected an exact Talos release like v1\.13\.9 \(latest or v1\.13 would move under the stack\)/,
    ],
    ["version 1.13", { version: "1.13" }, /^homelab:cluster\.talos\.version: expected an exact Talos release/],
    [
      "contract latest",
      { configContract: "latest" },
      /^homelab:cluster\.talos\.configContract: expected a Talos config contract like v1\.13 \(or, for a stack deployed before this key existed, the release its machine secrets were created with, e\.g\. v1\.13\.9\)/,
    ],
    [
      "version below the contract",
      { version: "v1.12.11", configContract: "v1.13" },
      /^homelab:cluster\.talos\.version: v1\.12\.11 is older than cluster\.talos\.configContract v1\.13: .*use a v1\.13\.x release or later/,
    ],
    // A stack deployed before the key pins the full release its secrets were made with; the fix names its minor.
    [
      "version below a legacy release contract",
      { version: "v1.12.11", configContract: "v1.13.9" },
      /^homelab:cluster\.talos\.version: v1\.12\.11 is older than cluster\.talos\.configContract v1\.13\.9: .*use a v1\.13\.x release or later/,
    ],
    [
      "contract beyond the provider",
      { version: "v1.14.7", configContract: "v1.14" },
      /^homelab:cluster\.talos\.configContract: v1\.14 is newer than the provider's Talos machinery \(v1\.13\)/,
    ],
    [
      "Kubernetes latest",
      { kubernetesVersion: "latest" },
      /^homelab:cluster\.talos\.kubernetesVersion: expected an exact Kubernetes release like 1\.36\.3/,
    ],
    [
      "no Kubernetes pin",
      { kubernetesVersion: undefined },
      /^homelab:cluster\.talos\.kubernetesVersion: is required for Talos stacks: set it to the Kubernetes release the cluster runs \(kubectl version; a new cluster on Talos v1\.13\.9: 1\.36\.3\); unset, the provider's own default would decide it/,
    ],
    [
      "Kubernetes 1.37 on Talos 1.13",
      { version: "v1.13.9", kubernetesVersion: "1.37.2" },
      /^homelab:cluster\.talos\.kubernetesVersion: Talos v1\.13\.9 runs Kubernetes 1\.31 to 1\.36, not 1\.37\.2 \(siderolabs\/talos compatibility table\); keep Kubernetes at 1\.31-1\.36 on this Talos, or upgrade cluster\.talos\.version first/,
    ],
    [
      "Kubernetes 1.30 on Talos 1.13",
      { version: "v1.13.9", kubernetesVersion: "1.30.4" },
      /^homelab:cluster\.talos\.kubernetesVersion: Talos v1\.13\.9 runs Kubernetes 1\.31 to 1\.36, not 1\.30\.4/,
    ],
  ] as const) {
    it(`refuses ${what}, naming the key and the fix`, () => {
      const found = errors(talos as Record<string, unknown>);
      assert.ok(
        found.some((e) => expected.test(e)),
        found.join("\n"),
      );
    });
  }
});
