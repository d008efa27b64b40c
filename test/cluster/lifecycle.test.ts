/**
 * Node lifecycle from the config alone: each case runs the cluster under the
 * mocks before and after one config change and compares what registers, the
 * way the engine's diff would: resources that appear, disappear, or change
 * inputs or options (ignored paths and dependencies aside, which it never diffs).
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { recordProgram, type ProgramRun, type RecordedResource } from "../../synth/recorder.ts";
import { createCluster } from "../../components/cluster.ts";
import type { StackSecrets } from "../../config/load.ts";
import { GET_CLIENT_CONFIGURATION, GET_CLUSTER_HEALTH } from "../../components/talos-provider.ts";
import { parseHomelabConfig } from "../../config/validate.ts";
import { entryAddresses } from "../../lib/traefik-values.ts";
import { talosCluster, talosRaw } from "../helpers/cluster.ts";
import { itRejectsEach, type BadConfigCase } from "../helpers/config.ts";

const noSecrets: StackSecrets = { homelab: (key) => { throw new Error(`no secret homelab:${key}`); }, optional: () => undefined };

type Nodes = Record<string, Record<string, unknown>>;
const baseNodes = (): Nodes => structuredClone((talosRaw().cluster as { nodes: Nodes }).nodes);

function run(cluster: Record<string, unknown>, stack = "homelab"): Promise<ProgramRun<unknown>> {
  const spec = talosCluster(cluster);
  return recordProgram(() => {
    const c = createCluster("cluster", spec, noSecrets);
    return { kubeconfig: c.kubeconfig };
  }, { values: {}, secretKeys: [] }, { stack });
}

/** Deletes `a.b[0].c` style paths, the ignoreChanges the engine leaves out of a diff. */
function withoutIgnored(inputs: Record<string, unknown>, ignored: readonly string[] = []): Record<string, unknown> {
  const copy = structuredClone(inputs);
  for (const path of ignored) {
    const keys = path.replace(/\[(\d+)\]/g, ".$1").split(".");
    let target: unknown = copy;
    for (const k of keys.slice(0, -1)) target = (target as Record<string, unknown> | undefined)?.[k];
    if (target && typeof target === "object") delete (target as Record<string, unknown>)[keys[keys.length - 1]!];
  }
  return copy;
}

interface Change {
  readonly added: string[];
  readonly deleted: string[];
  /** resource name → the top-level inputs and options whose value changed */
  readonly changed: Record<string, string[]>;
}

function changes(from: ProgramRun<unknown>, to: ProgramRun<unknown>): Change {
  const key = (r: RecordedResource) => r.name;
  const before = new Map(from.resources.map((r) => [key(r), r]));
  const after = new Map(to.resources.map((r) => [key(r), r]));
  const changed: Record<string, string[]> = {};
  for (const [name, r] of after) {
    const old = before.get(name);
    if (!old) continue;
    const oldInputs = withoutIgnored(old.inputs, r.options.ignoreChanges);
    const newInputs = withoutIgnored(r.inputs, r.options.ignoreChanges);
    const fields = [...new Set([...Object.keys(oldInputs), ...Object.keys(newInputs)])]
      .filter((k) => JSON.stringify(oldInputs[k]) !== JSON.stringify(newInputs[k]))
      .map((k) => `inputs.${k}`);
    const { dependsOn: _a, ...oldOptions } = old.options;
    const { dependsOn: _b, ...newOptions } = r.options;
    for (const k of new Set([...Object.keys(oldOptions), ...Object.keys(newOptions)])) {
      if (JSON.stringify((oldOptions as Record<string, unknown>)[k]) !== JSON.stringify((newOptions as Record<string, unknown>)[k])) fields.push(`options.${k}`);
    }
    if (fields.length) changed[name] = fields.sort();
  }
  return {
    added: [...after.keys()].filter((n) => !before.has(n)).sort(),
    deleted: [...before.keys()].filter((n) => !after.has(n)).sort(),
    changed,
  };
}

const invokeArgs = (r: ProgramRun<unknown>, token: string) => {
  const { clientConfiguration: _secret, ...args } = r.invokes.find((i) => i.token === token)!.args;
  return args;
};

describe("node lifecycle, as the engine would diff it", () => {
  let today: ProgramRun<unknown>;
  before(async () => {
    today = await run({ nodes: baseNodes() });
  });

  it("adds a worker and a control plane: their VM and config register, nothing else changes and the bootstrap stays on cp1", async () => {
    const nodes = baseNodes();
    nodes.worker3 = { role: "worker", ip: "10.0.10.23", vmId: 1023, proxmoxNode: "pve2" };
    nodes.cp4 = { role: "controlplane", ip: "10.0.10.14", vmId: 1014, proxmoxNode: "pve2" };
    const grown = await run({ nodes });
    assert.deepEqual(changes(today, grown), {
      added: ["cluster-cp4-config", "cluster-cp4-vm", "cluster-worker3-config", "cluster-worker3-vm"],
      deleted: [],
      changed: {},
    });
    const bootstrap = grown.resources.find((r) => r.name === "cluster-bootstrap")!;
    assert.equal(bootstrap.inputs.node, "10.0.10.11");
    assert.deepEqual(invokeArgs(grown, GET_CLUSTER_HEALTH).controlPlaneNodes, ["10.0.10.11", "10.0.10.12", "10.0.10.13", "10.0.10.14"]);
  });

  it("adds a control plane that sorts first without moving the bootstrap once cluster.bootstrapNode pins it", async () => {
    const nodes = baseNodes();
    nodes.cp0 = { role: "controlplane", ip: "10.0.10.15", vmId: 1015, proxmoxNode: "pve2" };
    const grown = await run({ nodes, bootstrapNode: "cp1" });
    assert.deepEqual(changes(today, grown), { added: ["cluster-cp0-config", "cluster-cp0-vm"], deleted: [], changed: {} });
  });

  it("never bootstraps etcd again when the bootstrap node moves: the Bootstrap ignores its node, only the kubeconfig's source changes", async () => {
    const moved = await run({ nodes: baseNodes(), bootstrapNode: "cp2" });
    assert.deepEqual(changes(today, moved).changed, { "cluster-kubeconfig": ["inputs.endpoint", "inputs.node"] });
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

    it("first deploy: unprotects only its VM and arms a graceful reset on its config; nothing registers or goes", () => {
      assert.deepEqual(changes(today, retiring), {
        added: [],
        deleted: [],
        changed: { "cluster-cp3-config": ["inputs.onDestroy"], "cluster-cp3-vm": ["inputs.stopOnDestroy", "inputs.tags", "options.protect"] },
      });
      const config = retiring.resources.find((r) => r.name === "cluster-cp3-config")!;
      assert.deepEqual(config.inputs.onDestroy, { graceful: true, reset: true, reboot: false });
      const vm = retiring.resources.find((r) => r.name === "cluster-cp3-vm")!;
      // Unprotected so the next deploy can delete it; stopped, not shut down through a guest agent that is gone.
      assert.deepEqual([vm.options.protect, vm.inputs.stopOnDestroy, vm.inputs.tags], [undefined, true, ["controlplane", "lab", "retiring", "talos"]]);
    });

    it("first deploy: the health check and the talosconfig leave the node out", () => {
      assert.deepEqual(invokeArgs(retiring, GET_CLUSTER_HEALTH), {
        endpoints: ["10.0.10.11", "10.0.10.12"],
        controlPlaneNodes: ["10.0.10.11", "10.0.10.12"],
        workerNodes: ["10.0.10.21", "10.0.10.22"],
      });
      const talosconfig = invokeArgs(retiring, GET_CLIENT_CONFIGURATION);
      assert.deepEqual([talosconfig.endpoints, talosconfig.nodes], [["10.0.10.11", "10.0.10.12"], ["10.0.10.11", "10.0.10.12", "10.0.10.21", "10.0.10.22"]]);
    });

    it("second deploy: deletes exactly its config (which resets it) and its unprotected VM, in that order, and changes nothing else", () => {
      assert.deepEqual(changes(retiring, removed), { added: [], deleted: ["cluster-cp3-config", "cluster-cp3-vm"], changed: {} });
      // The engine deletes dependents first: the config (and its reset) goes before the VM.
      const config = retiring.resources.find((r) => r.name === "cluster-cp3-config")!;
      assert.ok(config.options.dependsOn?.includes("proxmoxve:index/vmLegacy:VmLegacy::cluster-cp3-vm"));
    });
  });

  it("forgets a dead worker: its VM is unprotected, its config resets nothing, and the health check stops waiting for it", async () => {
    const nodes = baseNodes();
    nodes.worker2 = { ...nodes.worker2, retire: "forget" };
    const forgetting = await run({ nodes });
    assert.deepEqual(changes(today, forgetting), { added: [], deleted: [], changed: { "cluster-worker2-vm": ["inputs.stopOnDestroy", "inputs.tags", "options.protect"] } });
    assert.equal(forgetting.resources.find((r) => r.name === "cluster-worker2-config")!.inputs.onDestroy, undefined);
    assert.deepEqual(invokeArgs(forgetting, GET_CLUSTER_HEALTH).workerNodes, ["10.0.10.21"]);
  });

  it("takes a retiring node out of the DNS targets of a host-network Traefik at once", () => {
    const result = parseHomelabConfig(talosRaw({ nodes: { ...baseNodes(), worker2: { ...baseNodes().worker2, retire: "forget" } } }));
    assert.ok(result.ok);
    if (!result.ok) return;
    assert.deepEqual(entryAddresses(result.config.traefik, result.config.cluster), ["10.0.10.11", "10.0.10.12", "10.0.10.13", "10.0.10.21"]);
  });

  it("moves a node to another configured Proxmox host: its VM changes host in place (migrate) and the new host gets the image", async () => {
    const hosts = { proxmox: { hosts: ["pve1", "pve2", "pve3"] } };
    const before = await run({ nodes: baseNodes(), ...hosts });
    const nodes = baseNodes();
    nodes.worker1 = { ...nodes.worker1, proxmoxNode: "pve3" };
    const moved = await run({ nodes, ...hosts });
    assert.deepEqual(changes(before, moved), { added: ["cluster-image-pve3"], deleted: [], changed: { "cluster-worker1-vm": ["inputs.nodeName"] } });
    const vm = moved.resources.find((r) => r.name === "cluster-worker1-vm")!;
    assert.deepEqual([vm.inputs.migrate, vm.inputs.cdrom], [true, { fileId: "none", interface: "ide3" }]);
  });

  it("renames the image file (it is named after the stack) by downloading it again: no VM changes, its disk only seeded from the old file", async () => {
    const renamed = await run({ nodes: baseNodes() }, "homelab-2");
    assert.deepEqual(changes(today, renamed), {
      added: [],
      deleted: [],
      changed: { "cluster-image-pve1": ["inputs.fileName"], "cluster-image-pve2": ["inputs.fileName"] },
    });
  });

  it("moves the last node off a host: that host's image download goes with it", async () => {
    const nodes = baseNodes();
    nodes.cp2 = { ...nodes.cp2, proxmoxNode: "pve1" };
    nodes.worker2 = { ...nodes.worker2, proxmoxNode: "pve1" };
    const moved = await run({ nodes });
    assert.deepEqual(changes(today, moved), {
      added: [],
      deleted: ["cluster-image-pve2"],
      changed: { "cluster-cp2-vm": ["inputs.nodeName"], "cluster-worker2-vm": ["inputs.nodeName"] },
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
    assert.deepEqual(errorsOf({ nodes: nodes({ cp3: { retire: "reset" }, worker1: { retire: "reset" }, worker2: { retire: "forget" } }) }), []);
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
  ["going from three control planes to one in one deploy", { ...retire("cp2"), ...retire("cp3") }, "homelab:cluster.nodes.cp3.retire", "retire one control plane per deploy: remove cp2 first"],
  ["retiring every control plane", { "cluster.nodes": { cp1: { role: "controlplane", ip: "10.0.10.11", vmId: 1011, proxmoxNode: "pve1", retire: "reset" }, worker1: { role: "worker", ip: "10.0.10.21", vmId: 1021, proxmoxNode: "pve1" } } }, "homelab:cluster.nodes", "add a control plane (and deploy it) before retiring the last one"],
  ["retiring the bootstrap node without moving the bootstrap", retire("cp1"), "homelab:cluster.nodes.cp1.retire", "set cluster.bootstrapNode to a control plane that stays (cp2)"],
  ["retiring the bootstrap node named by cluster.bootstrapNode", { ...retire("cp2"), "cluster.bootstrapNode": "cp2" }, "homelab:cluster.nodes.cp2.retire", "set cluster.bootstrapNode to a control plane that stays (cp1)"],
  ["retiring the node that is the Kubernetes endpoint of a cluster without a VIP", { ...retire("cp1"), "cluster.network.vip": undefined, "traefik.placement": "daemonset", "metallb.enabled": false }, "homelab:cluster.nodes.cp1.retire", "without cluster.network.vip the Kubernetes endpoint is this node's address (10.0.10.11)"],
  ["forgetting a dead control plane of two (etcd has lost quorum)", { "cluster.nodes.cp3": undefined, ...retire("cp2", "forget"), "cluster.bootstrapNode": "cp1" }, "homelab:cluster.nodes.cp2.retire", "recover the control plane from an etcd snapshot"],
  ["a bootstrapNode that is not a control plane", { "cluster.bootstrapNode": "worker1" }, "homelab:cluster.bootstrapNode", "use one of cp1, cp2, cp3"],
  ["an unknown retire mode", retire("worker1", "yes"), "homelab:cluster.nodes.worker1.retire", "expected retire reset"],
  ["moving a node to a Proxmox host that is not configured", { "cluster.proxmox.hosts": ["pve1", "pve2"], "cluster.nodes.worker1.proxmoxNode": "pve3" }, "homelab:cluster.nodes.worker1.proxmoxNode", "pve3 is not in cluster.proxmox.hosts (pve1, pve2)"],
];

describe("node lifecycle: bad input is refused before anything registers, naming the key and the fix", () => {
  itRejectsEach(BAD_LIFECYCLE);
});

