/**
 * Node lifecycle from the config alone: each case runs the cluster under the
 * mocks before and after one config change and compares what registers, the
 * way the engine's diff would: resources that appear, disappear, change inputs
 * or options, or are replaced (ignored paths and dependencies aside, which it
 * never diffs). The cluster's rollout and Kubernetes commands name the staying
 * nodes, so a membership change updates them (which runs them: they check the
 * cluster and skip every node already at the release); a retiring node gets its
 * own departure command. The twin runs all of them (test/twin/day2.test.ts).
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { INVOKES, TYPES } from "../../contract/tokens.ts";
import { recordProgram, type ProgramRun } from "../../synth/recorder.ts";
import { createCluster } from "../../components/cluster.ts";
import type { StackSecrets } from "../../config/load.ts";
import { parseHomelabConfig } from "../../config/validate.ts";
import { entryAddresses } from "../../builders/traefik-entry.ts";
import { talosCluster, talosRaw } from "../helpers/cluster.ts";
import { itRejectsEach, type BadConfigCase } from "../helpers/config.ts";
import { engineDiff } from "../helpers/engine-diff.ts";

const noSecrets: StackSecrets = {
  homelab: (key) => {
    throw new Error(`no secret homelab:${key}`);
  },
  optional: () => undefined,
};

type Nodes = Record<string, Record<string, unknown>>;
const baseNodes = (): Nodes => structuredClone((talosRaw().cluster as { nodes: Nodes }).nodes);

function run(cluster: Record<string, unknown>, stack = "homelab"): Promise<ProgramRun<unknown>> {
  const spec = talosCluster(cluster);
  return recordProgram(
    () => {
      const c = createCluster("cluster", spec, noSecrets);
      return { kubeconfig: c.kubeconfig };
    },
    { values: {}, secretKeys: [] },
    { stack },
  );
}

const COMMAND = TYPES.command;
/** A day-2 command's line (`update` for the rollout and Kubernetes, `create` for a departure). */
const line = (r: ProgramRun<unknown>, name: string) => {
  const c = r.resources.find((x) => x.type === COMMAND && x.name === name)!;
  return String(c.inputs.update ?? c.inputs.create);
};

const invokeArgs = (r: ProgramRun<unknown>, token: string) => {
  const { clientConfiguration: _secret, ...args } = r.invokes.find((i) => i.token === token)!.args;
  return args;
};

describe("node lifecycle, as the engine would diff it", () => {
  let today: ProgramRun<unknown>;
  before(async () => {
    today = await run({ nodes: baseNodes() });
  });

  it("adds a worker and a control plane: their VM and config register, the rollout and Kubernetes commands take the new members, and the bootstrap stays on cp1", async () => {
    const nodes = baseNodes();
    nodes.worker3 = { role: "worker", ip: "10.0.10.23", vmId: 1023, proxmoxNode: "pve2" };
    nodes.cp4 = { role: "controlplane", ip: "10.0.10.14", vmId: 1014, proxmoxNode: "pve2" };
    const grown = await run({ nodes });
    // No ignoreChanges: the commands get the new members (and run with them: checks, nothing to upgrade).
    assert.deepEqual(engineDiff(today, grown), {
      added: ["cluster-cp4-config", "cluster-cp4-vm", "cluster-worker3-config", "cluster-worker3-vm"],
      deleted: [],
      changed: { "cluster-kubernetes": ["inputs.update"], "cluster-rollout": ["inputs.update"] },
      replaced: [],
    });
    // The new control plane comes after the others, before any worker; the new worker last.
    assert.match(
      line(grown, "cluster-rollout"),
      /'--control-planes' '10\.0\.10\.11,10\.0\.10\.12,10\.0\.10\.13,10\.0\.10\.14' '--workers' '10\.0\.10\.21,10\.0\.10\.22,10\.0\.10\.23'$/,
    );
    const bootstrap = grown.resources.find((r) => r.name === "cluster-bootstrap")!;
    assert.equal(bootstrap.inputs.node, "10.0.10.11");
    assert.deepEqual(invokeArgs(grown, INVOKES.talosClusterHealth).controlPlaneNodes, [
      "10.0.10.11",
      "10.0.10.12",
      "10.0.10.13",
      "10.0.10.14",
    ]);
  });

  it("adds a control plane that sorts first without moving the bootstrap once cluster.bootstrapNode pins it", async () => {
    const nodes = baseNodes();
    nodes.cp0 = { role: "controlplane", ip: "10.0.10.15", vmId: 1015, proxmoxNode: "pve2" };
    const grown = await run({ nodes, bootstrapNode: "cp1" });
    assert.deepEqual(engineDiff(today, grown), {
      added: ["cluster-cp0-config", "cluster-cp0-vm"],
      deleted: [],
      changed: { "cluster-kubernetes": ["inputs.update"], "cluster-rollout": ["inputs.update"] },
      replaced: [],
    });
  });

  it("never bootstraps etcd again when the bootstrap node moves: the Bootstrap ignores its node, only the kubeconfig's source changes", async () => {
    const moved = await run({ nodes: baseNodes(), bootstrapNode: "cp2" });
    assert.deepEqual(engineDiff(today, moved).changed, { "cluster-kubeconfig": ["inputs.endpoint", "inputs.node"] });
    const bootstrap = moved.resources.find((r) => r.name === "cluster-bootstrap")!;
    assert.deepEqual(bootstrap.options.ignoreChanges, ["endpoint", "node"]);
  });

  describe("removes a running control plane in two deploys (retire: reset, then delete it from the config)", () => {
    let retiring: ProgramRun<unknown>;
    let removed: ProgramRun<unknown>;
    before(async () => {
      const nodes = baseNodes();
      nodes.cp3 = { ...nodes.cp3, retire: "reset" };
      retiring = await run({ nodes });
      const { cp3: _gone, ...rest } = baseNodes();
      removed = await run({ nodes: rest });
    });

    it("first deploy: unprotects only its VM and adds its departure command, which resets it before the health check; the rollout leaves it out", () => {
      assert.deepEqual(engineDiff(today, retiring), {
        added: ["cluster-cp3-leave"],
        deleted: [],
        // The Kubernetes command names every configured node, retiring ones too: retire leaves it alone.
        changed: { "cluster-cp3-vm": ["inputs.stopOnDestroy", "inputs.tags", "options.protect"], "cluster-rollout": ["inputs.update"] },
        replaced: [],
      });
      assert.equal(
        line(retiring, "cluster-cp3-leave"),
        "'node' 'scripts/talos-upgrade.ts' 'leave' '--node' '10.0.10.13' '--hostname' 'cp3' '--role' 'controlplane' '--mode' 'reset' '--control-planes' '10.0.10.11,10.0.10.12' '--workers' '10.0.10.21,10.0.10.22'",
      );
      const leave = retiring.resources.find((r) => r.name === "cluster-cp3-leave")!;
      assert.deepEqual(Object.keys(leave.inputs.environment as object).sort(), ["KUBECONFIG_CONTENT", "TALOSCONFIG_CONTENT"]);
      assert.match(line(retiring, "cluster-rollout"), /'--control-planes' '10\.0\.10\.11,10\.0\.10\.12' '--workers'/);
      // The config apply resets nothing when it goes: the node has left by then.
      assert.equal(retiring.resources.find((r) => r.name === "cluster-cp3-config")!.inputs.onDestroy, undefined);
      const vm = retiring.resources.find((r) => r.name === "cluster-cp3-vm")!;
      // Unprotected so the next deploy can delete it; stopped, not shut down through a guest agent that is gone.
      assert.deepEqual(
        [vm.options.protect, vm.inputs.stopOnDestroy, vm.inputs.tags],
        [undefined, true, ["controlplane", "lab", "retiring", "talos"]],
      );
    });

    it("first deploy: the health check waits for the departure and checks the staying nodes; the talosconfig leaves the node out", () => {
      assert.deepEqual(invokeArgs(retiring, INVOKES.talosClusterHealth).controlPlaneNodes, ["10.0.10.11", "10.0.10.12"]);
      assert.deepEqual(invokeArgs(retiring, INVOKES.talosClusterHealth).workerNodes, ["10.0.10.21", "10.0.10.22"]);
      const talosconfig = retiring.invokes.find((i) => i.token === INVOKES.talosClientConfiguration && i.args.nodes)!.args;
      assert.deepEqual(
        [talosconfig.endpoints, talosconfig.nodes],
        [
          ["10.0.10.11", "10.0.10.12"],
          ["10.0.10.11", "10.0.10.12", "10.0.10.21", "10.0.10.22"],
        ],
      );
    });

    it("second deploy: deletes its departure command, config and unprotected VM, and changes nothing else", () => {
      // The node is gone from the cluster: the Kubernetes command's new list runs it once more (checks only).
      assert.deepEqual(engineDiff(retiring, removed), {
        added: [],
        deleted: ["cluster-cp3-config", "cluster-cp3-leave", "cluster-cp3-vm"],
        changed: { "cluster-kubernetes": ["inputs.update"] },
        replaced: [],
      });
      // A local Command without a delete step runs nothing when it goes.
      assert.equal(retiring.resources.find((r) => r.name === "cluster-cp3-leave")!.inputs.delete, undefined);
    });
  });

  it("forgets a dead worker: its VM is unprotected, its departure command removes its Node, and the health check and the rollout stop waiting for it", async () => {
    const nodes = baseNodes();
    nodes.worker2 = { ...nodes.worker2, retire: "forget" };
    const forgetting = await run({ nodes });
    assert.deepEqual(engineDiff(today, forgetting), {
      added: ["cluster-worker2-leave"],
      deleted: [],
      changed: { "cluster-rollout": ["inputs.update"], "cluster-worker2-vm": ["inputs.stopOnDestroy", "inputs.tags", "options.protect"] },
      replaced: [],
    });
    assert.match(line(forgetting, "cluster-worker2-leave"), /'--mode' 'forget'/);
    assert.deepEqual(invokeArgs(forgetting, INVOKES.talosClusterHealth).workerNodes, ["10.0.10.21"]);
  });

  it("takes a retiring node out of the DNS targets of a host-network Traefik at once", () => {
    const result = parseHomelabConfig(talosRaw({ nodes: { ...baseNodes(), worker2: { ...baseNodes().worker2, retire: "forget" } } }));
    assert.ok(result.ok);
    if (!result.ok) return;
    assert.deepEqual(entryAddresses(result.config.traefik, result.config.cluster), [
      "10.0.10.11",
      "10.0.10.12",
      "10.0.10.13",
      "10.0.10.21",
    ]);
  });

  it("moves a node to another configured Proxmox host: its VM changes host in place (migrate) and the new host gets the image", async () => {
    const hosts = { proxmox: { hosts: ["pve1", "pve2", "pve3"] } };
    const before = await run({ nodes: baseNodes(), ...hosts });
    const nodes = baseNodes();
    nodes.worker1 = { ...nodes.worker1, proxmoxNode: "pve3" };
    const moved = await run({ nodes, ...hosts });
    assert.deepEqual(engineDiff(before, moved), {
      added: ["cluster-image-pve3"],
      deleted: [],
      changed: { "cluster-worker1-vm": ["inputs.nodeName"] },
      replaced: [],
    });
    const vm = moved.resources.find((r) => r.name === "cluster-worker1-vm")!;
    assert.deepEqual([vm.inputs.migrate, vm.inputs.cdrom], [true, { fileId: "none", interface: "ide0" }]);
  });

  it("renames the image file (it is named after the stack) by downloading it again: no VM changes, its disk only seeded from the old file", async () => {
    const renamed = await run({ nodes: baseNodes() }, "homelab-2");
    assert.deepEqual(engineDiff(today, renamed), {
      added: [],
      deleted: [],
      changed: { "cluster-image-pve1": ["inputs.fileName"], "cluster-image-pve2": ["inputs.fileName"] },
      replaced: [],
    });
  });

  it("moves the last node off a host: that host's image download goes with it", async () => {
    const nodes = baseNodes();
    nodes.cp2 = { ...nodes.cp2, proxmoxNode: "pve1" };
    nodes.worker2 = { ...nodes.worker2, proxmoxNode: "pve1" };
    const moved = await run({ nodes });
    assert.deepEqual(engineDiff(today, moved), {
      added: [],
      deleted: ["cluster-image-pve2"],
      changed: { "cluster-cp2-vm": ["inputs.nodeName"], "cluster-worker2-vm": ["inputs.nodeName"] },
      replaced: [],
    });
  });
});

describe("node lifecycle config rules", () => {
  const nodes = (changes: Record<string, Record<string, unknown>>) => {
    const n = baseNodes();
    for (const [name, change] of Object.entries(changes)) n[name] = { ...n[name], ...change };
    return n;
  };
  const errorsOf = (cluster: Record<string, unknown>) => {
    const result = parseHomelabConfig(talosRaw(cluster));
    return result.ok ? [] : result.errors;
  };

  it("accepts retiring one control plane that is not the bootstrap node, and any number of workers", () => {
    assert.deepEqual(
      errorsOf({ nodes: nodes({ cp3: { retire: "reset" }, worker1: { retire: "reset" }, worker2: { retire: "forget" } }) }),
      [],
    );
  });

  it("accepts retiring the bootstrap node once cluster.bootstrapNode names a control plane that stays", () => {
    assert.deepEqual(errorsOf({ nodes: nodes({ cp1: { retire: "reset" } }), bootstrapNode: "cp2" }), []);
  });

  it("accepts forgetting a dead control plane while the other two keep quorum", () => {
    assert.deepEqual(errorsOf({ nodes: nodes({ cp2: { retire: "forget" } }) }), []);
  });

  it("accepts any proxmoxNode when cluster.proxmox.hosts is left out (stacks written before it)", () => {
    assert.deepEqual(errorsOf({ nodes: nodes({ worker1: { proxmoxNode: "pve9" } }) }), []);
  });
});

const retire = (name: string, how = "reset") => ({ [`cluster.nodes.${name}.retire`]: how });
const BAD_LIFECYCLE: readonly BadConfigCase[] = [
  [
    "going from three control planes to one in one deploy",
    { ...retire("cp2"), ...retire("cp3") },
    "homelab:cluster.nodes.cp3.retire",
    "retire one control plane per deploy: remove cp2 first",
  ],
  [
    "retiring every control plane",
    {
      "cluster.nodes": {
        cp1: { role: "controlplane", ip: "10.0.10.11", vmId: 1011, proxmoxNode: "pve1", retire: "reset" },
        worker1: { role: "worker", ip: "10.0.10.21", vmId: 1021, proxmoxNode: "pve1" },
      },
    },
    "homelab:cluster.nodes",
    "add a control plane (and deploy it) before retiring the last one",
  ],
  [
    "retiring the bootstrap node without moving the bootstrap",
    retire("cp1"),
    "homelab:cluster.nodes.cp1.retire",
    "set cluster.bootstrapNode to a control plane that stays (cp2)",
  ],
  [
    "retiring the bootstrap node named by cluster.bootstrapNode",
    { ...retire("cp2"), "cluster.bootstrapNode": "cp2" },
    "homelab:cluster.nodes.cp2.retire",
    "set cluster.bootstrapNode to a control plane that stays (cp1)",
  ],
  [
    "retiring the node that is the Kubernetes endpoint of a cluster without a VIP",
    { ...retire("cp1"), "cluster.network.vip": undefined, "traefik.placement": "daemonset", "metallb.enabled": false },
    "homelab:cluster.nodes.cp1.retire",
    "without cluster.network.vip the Kubernetes endpoint is this node's address (10.0.10.11)",
  ],
  [
    "forgetting a dead control plane of two (etcd has lost quorum)",
    { "cluster.nodes.cp3": undefined, ...retire("cp2", "forget"), "cluster.bootstrapNode": "cp1" },
    "homelab:cluster.nodes.cp2.retire",
    "recover the control plane from an etcd snapshot",
  ],
  [
    "a bootstrapNode that is not a control plane",
    { "cluster.bootstrapNode": "worker1" },
    "homelab:cluster.bootstrapNode",
    "use one of cp1, cp2, cp3",
  ],
  ["an unknown retire mode", retire("worker1", "yes"), "homelab:cluster.nodes.worker1.retire", "expected retire reset"],
  [
    "moving a node to a Proxmox host that is not configured",
    { "cluster.proxmox.hosts": ["pve1", "pve2"], "cluster.nodes.worker1.proxmoxNode": "pve3" },
    "homelab:cluster.nodes.worker1.proxmoxNode",
    "pve3 is not in cluster.proxmox.hosts (pve1, pve2)",
  ],
];

describe("node lifecycle: bad input is refused before anything registers, naming the key and the fix", () => {
  itRejectsEach(BAD_LIFECYCLE);
});
