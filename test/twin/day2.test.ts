/**
 * docs/upgrading.md and docs/operations.md as successive `pulumi up`s of the homelab
 * example stack in the deployment twin (test/twin/engine.ts): the day-2 Commands
 * run the real scripts/talos-upgrade.ts against the fake Talos cluster
 * (test/twin/world/talosctl.ts, test/fixtures/fake-talosctl), whose cluster checks
 * are Talos' own (siderolabs/talos v1.13.9 pkg/cluster/check). Every scenario must
 * converge: the run succeeds, the cluster is what the config says, and the next
 * preview changes nothing.
 *
 * @pulumi/command v1.2.1 (provider/pkg/provider/local/commandController.go): Create
 * runs `create` unless previewing (nothing when unset), Update runs `update` (else
 * `create`) with the new inputs; the twin's command model follows it
 * (test/twin/world/command.ts).
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { deploy, twinConfig, twinWorld, type TwinWorld } from "./stack.ts";
import type { RunResult, StackState } from "./engine.ts";
import type { StackConfig } from "../../synth/recorder.ts";
import { day2Of } from "./world/talosctl.ts";
import { kubeletOf } from "./world/talos.ts";
import { TYPES } from "../../contract/tokens.ts";

const STACK = "homelab";
type Cluster = Record<string, any>;

function withCluster(config: StackConfig, change: (cluster: Cluster) => void): StackConfig {
  const cluster = JSON.parse(config.values["homelab:cluster"]!) as Cluster;
  change(cluster);
  return { ...config, values: { ...config.values, "homelab:cluster": JSON.stringify(cluster) } };
}

interface Deployed {
  readonly config: StackConfig;
  readonly world: TwinWorld;
  readonly state: StackState;
}

/** One `up` that must succeed; the next preview must change nothing. */
async function converge(
  from: Deployed,
  config: StackConfig,
  edit: (w: TwinWorld) => void = () => {},
): Promise<Deployed & { run: RunResult<TwinWorld> }> {
  const world = structuredClone(from.world);
  edit(world);
  const run = await deploy(STACK, config, world, from.state);
  assert.ok(run.ok, run.error ?? "failed");
  const preview = await deploy(STACK, config, run.world, run.state, true);
  assert.deepEqual(
    preview.changes.map((s) => `${s.op} ${s.urn.split("::").pop()} ${(s.changes ?? []).join(",")}`),
    [],
  );
  return { config, world: run.world, state: run.state, run };
}

const nodes = (w: TwinWorld) => Object.values(w.talos!.nodes).filter((n) => n.phase === "running");
const releases = (w: TwinWorld) => Object.fromEntries(nodes(w).map((n) => [n.hostname, n.release]));
const changes = (w: TwinWorld) => day2Of(w).events.filter((e) => !e.startsWith("health"));
const ran = (r: RunResult<TwinWorld>, from: Deployed) =>
  r.world.command.ran.slice(from.world.command.ran.length).map((l) => l.split("' '")[2]);

describe("day 2 in the twin (examples/Pulumi.homelab.yaml: 3 control planes, 2 workers)", () => {
  let day0: Deployed;
  before(async () => {
    const config = withCluster(twinConfig(STACK), (c) => {
      c.firewall.enabled = false;
    });
    const world = twinWorld(config);
    const first = await deploy(STACK, config, world);
    assert.ok(first.ok, first.error);
    // The operator installs talosctl (the cluster's release) for day 2; the first up needed none.
    day2Of(first.world).talosctl = "v1.13.9";
    day0 = { config, world: first.world, state: first.state };
  });

  it("the first up ran no day-2 command and needed no talosctl", () => {
    assert.deepEqual(
      day0.world.command.ran.filter((l) => l.includes("talos-upgrade")),
      [],
    );
    assert.deepEqual(releases(day0.world), { cp1: "v1.13.9", cp2: "v1.13.9", cp3: "v1.13.9", worker1: "v1.13.9", worker2: "v1.13.9" });
  });

  it("Talos patch bump: every node upgraded one at a time, control planes first, health before and between, manifests synced", async () => {
    const next = await converge(
      day0,
      withCluster(day0.config, (c) => {
        c.talos.version = "v1.13.10";
      }),
      (w) => {
        day2Of(w).talosctl = "v1.13.10";
      },
    );
    assert.deepEqual(ran(next.run, day0), ["rollout"]);
    assert.deepEqual(Object.values(releases(next.world)), ["v1.13.10", "v1.13.10", "v1.13.10", "v1.13.10", "v1.13.10"]);
    assert.deepEqual(changes(next.world), [
      "upgrade 10.0.10.11 v1.13.10",
      "upgrade 10.0.10.12 v1.13.10",
      "upgrade 10.0.10.13 v1.13.10",
      "upgrade 10.0.10.21 v1.13.10",
      "upgrade 10.0.10.22 v1.13.10",
      "upgrade-k8s 1.36.3",
    ]);
    assert.equal(day2Of(next.world).events[0], "health ok");
    assert.equal(day2Of(next.world).manifests?.talos, "v1.13.10");
    assert.equal(day2Of(next.world).quorumLost, undefined);
  });

  it("Talos minor bump to v1.14.7, and a two-minor jump refused before any node is touched", async () => {
    const minor = await converge(
      day0,
      withCluster(day0.config, (c) => {
        c.talos.version = "v1.14.7";
      }),
      (w) => {
        day2Of(w).talosctl = "v1.14.7";
      },
    );
    assert.deepEqual([...new Set(Object.values(releases(minor.world)))], ["v1.14.7"]);
    const world = structuredClone(day0.world);
    day2Of(world).talosctl = "v1.15.2";
    const jump = await deploy(
      STACK,
      withCluster(day0.config, (c) => {
        c.talos.version = "v1.15.2";
      }),
      world,
      day0.state,
    );
    assert.equal(jump.ok, false);
    assert.match(
      jump.error!,
      /refusing the upgrade to v1\.15\.2 before touching any node:\n {2}node 10\.0\.10\.11: v1\.13\.9 → v1\.15\.2 skips a minor release/,
    );
    assert.deepEqual(changes(jump.world), []);
  });

  it("Kubernetes bump: upgrade-k8s runs before the config applies, which never move a kubelet themselves", async () => {
    const next = await converge(
      day0,
      withCluster(day0.config, (c) => {
        c.talos.kubernetesVersion = "1.36.4";
      }),
    );
    assert.deepEqual(ran(next.run, day0), ["kubernetes", "rollout"]);
    assert.deepEqual(changes(next.world), ["upgrade-k8s 1.36.4", "upgrade-k8s 1.36.4"]);
    assert.deepEqual(
      nodes(next.world).map((n) => kubeletOf(n.config)),
      ["1.36.4", "1.36.4", "1.36.4", "1.36.4", "1.36.4"],
    );
  });

  it("Kubernetes minor bump after the Talos minor that runs it; a minor the Talos release cannot run is refused before anything registers", async () => {
    const talos = await converge(
      day0,
      withCluster(day0.config, (c) => {
        c.talos.version = "v1.14.7";
      }),
      (w) => {
        day2Of(w).talosctl = "v1.14.7";
      },
    );
    const k8s = await converge(
      talos,
      withCluster(talos.config, (c) => {
        c.talos.kubernetesVersion = "1.37.2";
      }),
    );
    assert.deepEqual(
      nodes(k8s.world).map((n) => kubeletOf(n.config)),
      ["1.37.2", "1.37.2", "1.37.2", "1.37.2", "1.37.2"],
    );
    assert.ok(!day2Of(k8s.world).events.some((e) => e.startsWith("config apply moved")), day2Of(k8s.world).events.join("\n"));
    const skew = await deploy(
      STACK,
      withCluster(day0.config, (c) => {
        c.talos.kubernetesVersion = "1.37.2";
      }),
      structuredClone(day0.world),
      day0.state,
    );
    assert.equal(skew.ok, false);
    assert.match(skew.error!, /homelab:cluster\.talos\.kubernetesVersion: Talos v1\.13\.9 runs Kubernetes 1\.31 to 1\.36, not 1\.37\.2/);
    assert.equal(skew.steps.filter((s) => s.op !== "same" && s.op !== "invoke").length, 0);
  });

  it("a year later: the renewed client certificate reaches the day-2 commands, which check the cluster with it", async () => {
    // The provider renews the machine secrets' client certificate in its last month (what synth/mocks.ts's certificates look like).
    const cert = (name: string) => Buffer.from(`-----BEGIN CERTIFICATE-----\nmock-${name}\n-----END CERTIFICATE-----\n`).toString("base64");
    const renewed = structuredClone(day0.state) as unknown as { resources: { type: string; outputs: Record<string, unknown> }[] };
    const secrets = renewed.resources.find((r) => r.type === TYPES.talosSecrets)!;
    secrets.outputs = JSON.parse(JSON.stringify(secrets.outputs).replaceAll(cert("talos-admin"), cert("talos-admin-renewed"))) as Record<
      string,
      unknown
    >;
    const next = await converge({ ...day0, state: renewed as unknown as StackState }, day0.config, (w) => {
      day2Of(w).clientCertificate = cert("talos-admin-renewed");
    });
    assert.deepEqual(ran(next.run, day0), ["kubernetes", "rollout"]);
  });

  it("add a worker: it boots the pinned release and joins; the rollout only checks", async () => {
    const next = await converge(
      day0,
      withCluster(day0.config, (c) => {
        c.nodes.worker3 = { role: "worker", ip: "10.0.10.23", vmId: 1023, proxmoxNode: "pve2" };
      }),
    );
    assert.deepEqual(changes(next.world), ["upgrade-k8s 1.36.3", "upgrade-k8s 1.36.3"]);
    assert.equal(next.world.talos!.kubernetesNodes.length, 6);
  });

  it("add a control plane: it joins etcd", async () => {
    const next = await converge(
      day0,
      withCluster(day0.config, (c) => {
        c.nodes.cp4 = { role: "controlplane", ip: "10.0.10.14", vmId: 1014, proxmoxNode: "pve2" };
        c.nodes.cp5 = { role: "controlplane", ip: "10.0.10.15", vmId: 1015, proxmoxNode: "pve1" };
      }),
    );
    assert.deepEqual(next.world.talos!.etcd.map((m) => m.hostname).sort(), ["cp1", "cp2", "cp3", "cp4", "cp5"]);
  });

  for (const node of ["worker2", "cp3"]) {
    it(`retire then remove ${node}: it leaves (drain, etcd, wipe, Node deleted) before the health check, then its VM goes`, async () => {
      const retired = await converge(
        day0,
        withCluster(day0.config, (c) => {
          c.nodes[node].retire = "reset";
        }),
      );
      // The Kubernetes command names every configured node, retiring ones too: retire leaves it alone.
      assert.deepEqual(ran(retired.run, day0), ["leave", "rollout"]);
      assert.ok(!retired.world.talos!.kubernetesNodes.some((k) => k.name === node));
      assert.ok(!retired.world.talos!.etcd.some((m) => m.hostname === node));
      const removed = await converge(
        retired,
        withCluster(day0.config, (c) => {
          delete c.nodes[node];
        }),
      );
      assert.ok(!JSON.stringify(removed.state.resources.map((r) => r.name)).includes(`cluster-${node}-`));
    });
  }

  it("replace a dead worker: forget removes its Node, then it goes, then a new one joins", async () => {
    const dead = (w: TwinWorld) => {
      w.talos!.nodes["10.0.10.22"]!.phase = "halted";
    };
    const forgotten = await converge(
      day0,
      withCluster(day0.config, (c) => {
        c.nodes.worker2.retire = "forget";
      }),
      dead,
    );
    assert.ok(day2Of(forgotten.world).events.includes("kubectl delete node worker2"));
    const removed = await converge(
      forgotten,
      withCluster(day0.config, (c) => {
        delete c.nodes.worker2;
      }),
    );
    const replaced = await converge(
      removed,
      withCluster(day0.config, (c) => {
        delete c.nodes.worker2;
        c.nodes.worker3 = { role: "worker", ip: "10.0.10.23", vmId: 1023, proxmoxNode: "pve2" };
      }),
    );
    assert.deepEqual(replaced.world.talos!.kubernetesNodes.map((k) => k.name).sort(), ["cp1", "cp2", "cp3", "worker1", "worker3"]);
  });

  it("replace a dead control plane: forget removes its etcd member by ID and its Node; the other two keep quorum", async () => {
    const dead = (w: TwinWorld) => {
      w.talos!.nodes["10.0.10.13"]!.phase = "halted";
      w.talos!.etcd.find((m) => m.hostname === "cp3")!.healthy = false;
    };
    const forgotten = await converge(
      day0,
      withCluster(day0.config, (c) => {
        c.nodes.cp3.retire = "forget";
      }),
      dead,
    );
    assert.ok(day2Of(forgotten.world).events.includes("etcd remove-member cp3"));
    assert.deepEqual(
      forgotten.world.talos!.etcd.map((m) => m.hostname),
      ["cp1", "cp2"],
    );
  });

  it("turn on NetworkPolicies in a running cluster: the applies carry kube-network-policies and the rollout's upgrade-k8s deploys it", async () => {
    // A cluster created while no app declared a NetworkPolicy: Talos rendered Flannel alone at bootstrap.
    const withoutPolicies = (config: StackConfig): StackConfig => {
      const apps = JSON.parse(config.values["homelab:apps"]!) as Record<string, Record<string, unknown>>;
      const namespaces = JSON.parse(config.values["homelab:namespaces"]!) as Record<string, Record<string, unknown>>;
      for (const app of Object.values(apps)) app.networkPolicy = false;
      for (const ns of Object.values(namespaces)) ns.defaultDeny = false;
      return {
        ...config,
        values: { ...config.values, "homelab:apps": JSON.stringify(apps), "homelab:namespaces": JSON.stringify(namespaces) },
      };
    };
    const config = withoutPolicies(day0.config);
    const first = await deploy(STACK, config, twinWorld(config));
    assert.ok(first.ok, first.error);
    day2Of(first.world).talosctl = "v1.13.9";
    assert.equal(day2Of(first.world).manifests?.kubeNetworkPolicies, false);
    const next = await converge({ config, world: first.world, state: first.state }, day0.config);
    assert.equal(day2Of(next.world).manifests?.kubeNetworkPolicies, true);
    // The policies themselves are created after the rollout that deployed their enforcer.
    const policies = next.run.steps
      .filter((s) => s.urn.includes("NetworkPolicy") && s.op === "create")
      .map((s) => next.run.steps.indexOf(s));
    const rollout = next.run.steps.findIndex((s) => s.urn.endsWith("::cluster-rollout") && s.op === "update");
    assert.ok(
      policies.length > 0 && rollout >= 0 && policies.every((i) => i > rollout),
      `rollout at ${rollout}, policies at ${policies.join(",")}`,
    );
  });

  it("turn on the host firewall: applied in place, the rollout checks every node, nothing reboots", async () => {
    const next = await converge(
      day0,
      withCluster(day0.config, (c) => {
        c.firewall.enabled = true;
      }),
    );
    assert.deepEqual(changes(next.world), ["upgrade-k8s 1.36.3"]);
  });

  it("a config change staged for a reboot: the rollout reboots each staged node in turn, health between", async () => {
    const staged = (w: TwinWorld) => {
      for (const n of nodes(w)) n.staged = { ...n.config!, patches: [...n.config!.patches, "machine:\n  env:\n    STAGED: yes\n"] };
    };
    const next = await converge(
      day0,
      withCluster(day0.config, (c) => {
        c.firewall.enabled = true;
      }),
      staged,
    );
    assert.deepEqual(
      changes(next.world).filter((e) => e.startsWith("reboot")),
      ["reboot 10.0.10.11", "reboot 10.0.10.12", "reboot 10.0.10.13", "reboot 10.0.10.21", "reboot 10.0.10.22"],
    );
    assert.ok(nodes(next.world).every((n) => !n.staged));
  });

  it("an up with an etcd member down refuses the rollout before the first node (no quorum loss)", async () => {
    const world = structuredClone(day0.world);
    world.talos!.etcd.find((m) => m.hostname === "cp3")!.healthy = false;
    const run = await deploy(
      STACK,
      withCluster(day0.config, (c) => {
        c.talos.version = "v1.13.10";
      }),
      world,
      day0.state,
    );
    assert.equal(run.ok, false);
    assert.deepEqual(changes(run.world), []);
    assert.equal(day2Of(run.world).quorumLost, undefined);
  });
});
