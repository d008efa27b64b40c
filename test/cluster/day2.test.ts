/**
 * Day 2 as registered: a Talos release bump touches only the installer and the
 * rollout (each node's upgrade command is replaced, which runs it), the
 * contract stays pinned, config applies never reboot two control planes
 * together, and the rolling upgrade is chained control planes first.
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

const noSecrets: StackSecrets = { homelab: () => { throw new Error("no secrets here"); }, optional: () => undefined };
const APPLY = "talos:machine/configurationApply:ConfigurationApply";
const COMMAND = "command:local:Command";

const synth = (talos: Record<string, unknown>) => recordProgram(() => {
  const c = createCluster("cluster", talosCluster({ talos: { configContract: "v1.13", ...talos } }), noSecrets);
  return { kubeconfig: c.kubeconfig };
}, { values: {}, secretKeys: [] });

const byRef = (run: ProgramRun<unknown>) => new Map(run.resources.map((r) => [`${r.type}::${r.name}`, r]));

describe("a Talos release bump (v1.13.9 → v1.14.7 on contract v1.13)", () => {
  let before_: ProgramRun<unknown>;
  let after: ProgramRun<unknown>;
  before(async () => {
    before_ = await synth({ version: "v1.13.9" });
    after = await synth({ version: "v1.14.7" });
  });

  it("replaces each node's upgrade command (that is the upgrade) and the image downloads, updates the config applies, and replaces nothing else", () => {
    const upgrades = ["cluster-cp1-upgrade", "cluster-cp2-upgrade", "cluster-cp3-upgrade", "cluster-worker1-upgrade", "cluster-worker2-upgrade"];
    const diff = engineDiff(before_, after);
    assert.deepEqual([diff.added, diff.deleted], [[], []]);
    // Triggers (release, installer) replace a Command; its command line, ignored for the diff, is the new one then:
    // the engine checks a replacement's inputs afresh from the program.
    assert.deepEqual(diff.replaced, upgrades);
    assert.deepEqual(diff.changed, {
      ...Object.fromEntries(upgrades.map((u) => [u, ["inputs.triggers"]])),
      // A new file name and URL, which the Proxmox provider replaces on (a new download); the VMs ignore their disk's import of it.
      "cluster-image-pve1": ["inputs.fileName", "inputs.url"], "cluster-image-pve2": ["inputs.fileName", "inputs.url"],
      // The installer reference in each machine config: applied in place (staged if it needs a reboot).
      ...Object.fromEntries(["cp1", "cp2", "cp3", "worker1", "worker2"].map((n) => [`cluster-${n}-config`, ["inputs.configPatches"]])),
    });
    for (const name of upgrades) {
      const command = after.resources.find((r) => r.name === name)!;
      assert.equal((command.inputs.triggers as string[])[0], "v1.14.7", name);
      assert.match(String(command.inputs.create), /'--to' 'v1\.14\.7' '--image' 'factory\.talos\.dev\/nocloud-installer\/[0-9a-f]+:v1\.14\.7'/, name);
      assert.equal((command.inputs.triggers as string[])[1], /'--image' '([^']+)'/.exec(String(command.inputs.create))![1], name);
    }
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
      `${APPLY}::cluster-cp1-config`, `${APPLY}::cluster-cp2-config`, `${APPLY}::cluster-cp3-config`,
      `${APPLY}::cluster-worker1-config`, `${APPLY}::cluster-worker2-config`,
    ]);
    // The new image is downloaded beside the old; the VMs' disk import of it is ignored (no VM is replaced).
    assert.ok(changed.every((k) => k.startsWith(APPLY) || k.startsWith(COMMAND) || k.startsWith("proxmoxve:download/file:File") || k.startsWith("proxmoxve:index/vmLegacy")), changed.join(", "));
    for (const vm of ofType(after, "proxmoxve:index/vmLegacy:VmLegacy")) assert.ok(vm.options.ignoreChanges?.includes("disks[0].importFrom"), vm.name);
    const generated = after.invokes.filter((i) => i.token === "talos:machine/getConfiguration:getConfiguration");
    assert.deepEqual(generated.map((g) => g.args.talosVersion), ["v1.13", "v1.13"]);
    assert.deepEqual(JSON.stringify(generated.map((g) => g.args)), JSON.stringify(before_.invokes.filter((i) => i.token === "talos:machine/getConfiguration:getConfiguration").map((g) => g.args)));
  });
});

describe("rolling upgrade and config applies as registered", () => {
  let run: ProgramRun<unknown>;
  before(async () => {
    run = await synth({ version: "v1.13.10", kubernetesVersion: "1.36.4" });
  });
  const deps = (r: RecordedResource, type: string) => (r.options.dependsOn ?? []).filter((d) => d.startsWith(`${type}::`));

  it("chains one upgrade command per node, control planes first, the Kubernetes upgrade last", () => {
    const commands = ofType(run, COMMAND);
    const chain = Object.fromEntries(commands.map((c) => [c.name, deps(c, COMMAND)]));
    assert.deepEqual(chain, {
      "cluster-cp1-upgrade": [],
      "cluster-cp2-upgrade": [`${COMMAND}::cluster-cp1-upgrade`],
      "cluster-cp3-upgrade": [`${COMMAND}::cluster-cp2-upgrade`],
      "cluster-worker1-upgrade": [`${COMMAND}::cluster-cp3-upgrade`],
      "cluster-worker2-upgrade": [`${COMMAND}::cluster-worker1-upgrade`],
      "cluster-kubernetes-upgrade": [`${COMMAND}::cluster-worker2-upgrade`],
    });
    const first = commands.find((c) => c.name === "cluster-cp1-upgrade")!;
    assert.match(String(first.inputs.create), /^'node' 'scripts\/talos-upgrade\.ts' 'os' '--to' 'v1\.13\.10' '--image' 'factory\.talos\.dev\/nocloud-installer\/[0-9a-f]+:v1\.13\.10' '--nodes' '10\.0\.10\.11'/);
    assert.deepEqual(deps(first, "talos:machine/bootstrap:Bootstrap"), ["talos:machine/bootstrap:Bootstrap::cluster-bootstrap"]);
    // The talosconfig reaches the script as a secret, never in the command line.
    assert.equal((first.inputs.environment as Record<string, unknown>).TALOSCONFIG_CONTENT, "[secret]");
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

  it("summary.md lists the nodes in upgrade order, the Kubernetes step, and what a config change can reboot", () => {
    const summary = summaryMarkdown({ stack: "lab", resources: run.resources, outputs: {}, warnings: [], policy: { violations: [], rules: 0 } });
    const section = summary.slice(summary.indexOf("## Talos upgrades"), summary.indexOf("## Ingress entry"));
    assert.match(section, /Config contract `v1\.13`: pinned \(the protected machine secrets refuse a change at preview\)\./);
    assert.match(section, /Rolling upgrade to `v1\.13\.10` with the schematic's installer `factory\.talos\.dev\/nocloud-installer\/[0-9a-f]+:v1\.13\.10`/);
    const steps = [...section.matchAll(/^\| (\d) \| ([^|]+) \| ([^|]+) \|/gm)].map((m) => [m[1], m[2]!.trim(), m[3]!.trim()]);
    assert.deepEqual(steps, [
      ["1", "cluster-cp1", "10.0.10.11"], ["2", "cluster-cp2", "10.0.10.12"], ["3", "cluster-cp3", "10.0.10.13"],
      ["4", "cluster-worker1", "10.0.10.21"], ["5", "cluster-worker2", "10.0.10.22"],
    ]);
    assert.match(section, /Then Kubernetes `1\.36\.4` \(talosctl upgrade-k8s\), after the last node\./);
    assert.match(section, /mode `staged_if_needing_reboot`; 2 control-plane applies wait for the one before\. A change that needs a reboot is staged and reboots no node now/);
  });

  it("lifts the contract pin only when the operator opts in", async () => {
    const optedIn = await synth({ allowConfigContractChange: true });
    const secrets = ofType(optedIn, "talos:machine/secrets:Secrets")[0]!;
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
    ["no contract", { configContract: undefined }, /^homelab:cluster\.talos\.configContract: is required for Talos stacks: set it once, when the cluster is created, to the minor release of cluster\.talos\.version \(e\.g\. v1\.13\)/],
    ["version latest", { version: "latest" }, /^homelab:cluster\.talos\.version: expected an exact Talos release like v1\.13\.9 \(latest or v1\.13 would move under the stack\)/],
    ["version 1.13", { version: "1.13" }, /^homelab:cluster\.talos\.version: expected an exact Talos release/],
    ["contract latest", { configContract: "latest" }, /^homelab:cluster\.talos\.configContract: expected a Talos config contract like v1\.13 \(or, for a stack deployed before this key existed, the release its machine secrets were created with, e\.g\. v1\.13\.9\)/],
    ["version below the contract", { version: "v1.12.11", configContract: "v1.13" }, /^homelab:cluster\.talos\.version: v1\.12\.11 is older than cluster\.talos\.configContract v1\.13: .*use a v1\.13\.x release or later/],
    // A stack deployed before the key pins the full release its secrets were made with; the fix names its minor.
    ["version below a legacy release contract", { version: "v1.12.11", configContract: "v1.13.9" }, /^homelab:cluster\.talos\.version: v1\.12\.11 is older than cluster\.talos\.configContract v1\.13\.9: .*use a v1\.13\.x release or later/],
    ["contract beyond the provider", { version: "v1.14.7", configContract: "v1.14" }, /^homelab:cluster\.talos\.configContract: v1\.14 is newer than the provider's Talos machinery \(v1\.13\)/],
    ["Kubernetes latest", { kubernetesVersion: "latest" }, /^homelab:cluster\.talos\.kubernetesVersion: expected an exact Kubernetes release like 1\.36\.3/],
  ] as const) {
    it(`refuses ${what}, naming the key and the fix`, () => {
      const found = errors(talos as Record<string, unknown>);
      assert.ok(found.some((e) => expected.test(e)), found.join("\n"));
    });
  }
});
