/**
 * The day-2 script, run for real: scripts/talos-upgrade.ts with the command lines the
 * stack registers (builders/talos-upgrade.ts, builders/node-lifecycle.ts), against the fake
 * talosctl and kubectl on PATH (test/fixtures/fake-talosctl), whose output is the real
 * tools' format and whose cluster runs Talos' own cluster checks (see cluster.ts there
 * for the upstream files each behaviour is read from).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { promisify } from "node:util";
import { talosCluster } from "../helpers/cluster.ts";
import { kubernetesCommand, rolloutCommand } from "../../builders/talos-upgrade.ts";
import { leaveCommand } from "../../builders/node-lifecycle.ts";
import { healthyCluster, loadCluster, memberId, saveCluster, type FakeCluster } from "../fixtures/fake-talosctl/cluster.ts";
import type { TalosClusterSpec } from "../../model/resolve.ts";
import { dayTwo, failureMessage } from "../../scripts/talos-upgrade.ts";
import { talosctl } from "../fixtures/fake-talosctl/fake-talosctl.ts";
import { kubectl } from "../fixtures/fake-talosctl/fake-kubectl.ts";
import { inProcess } from "../fixtures/fake-talosctl/outcome.ts";

const run = promisify(execFile);
const ROOT = new URL("../../", import.meta.url).pathname;
const FAKE_BIN = join(ROOT, "test/fixtures/fake-talosctl");
const TALOSCONFIG = "context: lab\ncontexts:\n  lab:\n    key: not-a-real-key\n";
const KUBECONFIG = "apiVersion: v1\nkind: Config\n";
const SCHEMATIC = "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba";
const OTHER_SCHEMATIC = "ce4c980550dd2ab1b17bbf2b08801c7eb59418eafe8f279833297925d67c7515";
const INSTALLER = (v: string, schematic = SCHEMATIC) => `factory.talos.dev/nocloud-installer/${schematic}:${v}`;
const CP = ["10.0.10.11", "10.0.10.12", "10.0.10.13"];
const WORKERS = ["10.0.10.21", "10.0.10.22"];

const spec = (talos: Record<string, unknown> = {}, nodes?: Record<string, unknown>, more: Record<string, unknown> = {}): TalosClusterSpec =>
  talosCluster({
    talos: { version: "v1.13.10", configContract: "v1.13", kubernetesVersion: "1.36.3", ...talos },
    ...(nodes ? { nodes } : {}),
    ...more,
  });

function fakeCluster(change: (c: FakeCluster) => void = () => {}, o: { release?: string; client?: string } = {}): string {
  const c = spec();
  const state = healthyCluster(
    c.nodes.map((n) => ({ ip: n.ip, hostname: n.name, role: n.role })),
    { release: o.release ?? "v1.13.9", schematic: SCHEMATIC, kubernetes: "1.36.3", client: o.client ?? "v1.13.10" },
  );
  change(state);
  const file = join(mkdtempSync(join(tmpdir(), "fake-talos-")), "cluster.json");
  saveCluster(file, state);
  return file;
}
const patch = (file: string, change: (c: FakeCluster) => void) => {
  const state = loadCluster(file);
  change(state);
  saveCluster(file, state);
};

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The words of a command line the stack registers (every word single-quoted). */
const words = (line: string): string[] => [...line.matchAll(/'((?:[^']|'\\'')*)'/g)].map((m) => m[1]!.replace(/'\\''/g, "'"));

/**
 * The command line run by the script's own entry point, its talosctl and kubectl calls served
 * in this process by the fakes (a child process per call would make each rollout take seconds).
 */
async function sh(line: string, stateFile: string): Promise<Result> {
  const [node, script, ...argv] = words(line);
  assert.deepEqual([node, script], ["node", "scripts/talos-upgrade.ts"]);
  const out: string[] = [];
  const state = loadCluster(stateFile);
  try {
    await dayTwo(argv, { TALOSCONFIG_CONTENT: TALOSCONFIG, KUBECONFIG_CONTENT: KUBECONFIG }, inProcess({ talosctl, kubectl }, state), (l) =>
      out.push(l),
    );
    return { code: 0, stdout: out.join("\n"), stderr: "" };
  } catch (e) {
    const message = failureMessage(e);
    if (!message) throw e;
    return { code: 1, stdout: out.join("\n"), stderr: message };
  } finally {
    saveCluster(stateFile, state);
  }
}

/** The command line run exactly as the Command runs it: `sh -c`, the fake tools first on PATH. */
async function process_(line: string, stateFile: string, env: Record<string, string | undefined> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run("sh", ["-c", line], {
      cwd: ROOT,
      env: {
        ...process.env,
        PATH: `${FAKE_BIN}${delimiter}${process.env.PATH}`,
        FAKE_TALOS_STATE: stateFile,
        TALOSCONFIG_CONTENT: TALOSCONFIG,
        KUBECONFIG_CONTENT: KUBECONFIG,
        TALOSCONFIG: undefined,
        KUBECONFIG: undefined,
        ...env,
      },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const rollout = (file: string, c = spec(), schematic = SCHEMATIC) => sh(rolloutCommand(c, INSTALLER(c.talos.version, schematic)), file);
/** What changed the cluster, without the health checks between. */
const changes = (file: string) => loadCluster(file).events.filter((e) => !e.startsWith("health"));

describe("the Talos rollout (scripts/talos-upgrade.ts rollout)", () => {
  it("checks the cluster before the first node and after each, upgrades control planes first with the schematic's installer, then syncs the bootstrap manifests", async () => {
    const file = fakeCluster();
    const result = await rollout(file);
    assert.equal(result.code, 0, result.stderr);
    const state = loadCluster(file);
    assert.deepEqual(state.events, [
      "health ok",
      ...[...CP, ...WORKERS].flatMap((ip) => [`upgrade ${ip} v1.13.10`, "health ok"]),
      "upgrade-k8s 1.36.3",
      "health ok",
    ]);
    assert.ok(Object.values(state.nodes).every((n) => n.release === "v1.13.10" && n.schematic === SCHEMATIC));
    assert.equal(state.manifests.talos, "v1.13.10");
    assert.equal(state.quorumLost, undefined);
    assert.ok(state.calls.includes(`10.0.10.11 upgrade --image ${INSTALLER("v1.13.10")} --wait --timeout 15m`), state.calls.join("\n"));
    // upgrade-k8s patches the node configs; without these it would add docs and examples the generated configs leave out.
    assert.ok(state.calls.includes("10.0.10.11 upgrade-k8s --to 1.36.3 --with-docs=false --with-examples=false"));
  });

  it("a re-run upgrades nothing but checks the cluster again before anything else", async () => {
    const file = fakeCluster(() => {}, { release: "v1.13.10" });
    const result = await rollout(file);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(changes(file), ["upgrade-k8s 1.36.3"]);
    assert.equal(loadCluster(file).events[0], "health ok");
    assert.match(result.stdout, /10\.0\.10\.11: already v1\.13\.10 with schematic 376567988ad3, skipped/);
  });

  it("refuses to start while an etcd member is unhealthy: Talos' LifecycleService upgrade has no etcd guard, and the first control plane would take etcd below quorum", async () => {
    const file = fakeCluster((c) => {
      c.nodes["10.0.10.13"]!.etcdHealthy = false;
    });
    const result = await rollout(file);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /cluster not healthy before the rollout: .*health .*failed: healthcheck error: .*10\.0\.10\.13: service "etcd" not in expected state "Running"\. Nothing further was changed/,
    );
    assert.deepEqual(changes(file), []);
    assert.equal(loadCluster(file).quorumLost, undefined);
  });

  it("refuses a control-plane step on a two-member etcd, as Talos' legacy guard does, before touching it", async () => {
    const file = fakeCluster();
    const two = spec(
      {},
      {
        cp1: { role: "controlplane", ip: CP[0], vmId: 1011, proxmoxNode: "pve1" },
        cp2: { role: "controlplane", ip: CP[1], vmId: 1012, proxmoxNode: "pve1" },
      },
      { allowSchedulingOnControlPlanes: true },
    );
    patch(file, (c) => {
      delete c.nodes[CP[2]!];
      for (const ip of WORKERS) delete c.nodes[ip];
      c.etcd = c.etcd.filter((m) => m.ip !== CP[2]);
      c.k8sNodes = c.k8sNodes.filter((k) => CP.slice(0, 2).includes(k.ip));
    });
    const result = await rollout(file, two);
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /refusing to upgrade control plane 10\.0\.10\.11: etcd has 2 members and keeps quorum \(2\) only while all of them run/,
    );
    assert.deepEqual(changes(file), []);
  });

  it("stops at a node whose upgrade fails, naming it and what to do; the re-run checks the cluster and continues there", async () => {
    const file = fakeCluster((c) => {
      c.faults.failUpgrade = "10.0.10.12";
    });
    const first = await rollout(file);
    assert.equal(first.code, 1);
    assert.match(
      first.stderr,
      /node 10\.0\.10\.12: upgrade to v1\.13\.10 failed: .*install image pull failed.*The rollout stopped here; see docs\/upgrading\.md/s,
    );
    assert.deepEqual(changes(file), ["upgrade 10.0.10.11 v1.13.10"]);
    patch(file, (c) => {
      c.faults = {};
      c.events = [];
    });
    const second = await rollout(file);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(changes(file), [
      "upgrade 10.0.10.12 v1.13.10",
      "upgrade 10.0.10.13 v1.13.10",
      "upgrade 10.0.10.21 v1.13.10",
      "upgrade 10.0.10.22 v1.13.10",
      "upgrade-k8s 1.36.3",
    ]);
  });

  it("does not start the next node while the cluster is unhealthy after one", async () => {
    const file = fakeCluster((c) => {
      c.faults.unhealthyAfterUpgrade = "10.0.10.11";
    });
    const result = await rollout(file);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /cluster not healthy after upgrading 10\.0\.10\.11: .*some nodes are not ready: \[cp1\]/);
    assert.deepEqual(changes(file), ["upgrade 10.0.10.11 v1.13.10"]);
  });

  it("fails a node that boots back into its old release before any other is touched", async () => {
    const file = fakeCluster((c) => {
      c.faults.stuckAt = "10.0.10.11";
    });
    const result = await rollout(file);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /node 10\.0\.10\.11: still reports v1\.13\.9 after the upgrade to v1\.13\.10/);
    assert.deepEqual(changes(file), ["upgrade 10.0.10.11 v1.13.10"]);
  });

  it("rolls a schematic change at the same release the same way", async () => {
    const file = fakeCluster(() => {}, { release: "v1.13.10" });
    const result = await rollout(file, spec(), OTHER_SCHEMATIC);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(changes(file).filter((e) => e.startsWith("upgrade ")).length, 5);
    assert.ok(Object.values(loadCluster(file).nodes).every((n) => n.schematic === OTHER_SCHEMATIC));
  });

  it("refuses a two-minor jump or a downgrade from what the nodes report, before touching any node", async () => {
    for (const [to, message] of [
      ["v1.15.0", /node 10\.0\.10\.11: v1\.13\.9 → v1\.15\.0 skips a minor release/],
      ["v1.13.8", /node 10\.0\.10\.11: v1\.13\.8 is older than the installed v1\.13\.9: a downgrade is not supported/],
    ] as const) {
      const file = fakeCluster(() => {}, { client: "v1.15.0" });
      const result = await rollout(file, spec({ version: to, kubernetesVersion: to === "v1.15.0" ? "1.36.3" : "1.36.3" }));
      assert.equal(result.code, 1);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /before touching any node/);
      assert.deepEqual(changes(file), []);
    }
  });

  it("reads releases in talosctl's real format (`\\tTag:         v1.13.9`) and refuses a talosctl older than the target", async () => {
    const file = fakeCluster(() => {}, { client: "v1.12.6" });
    const result = await rollout(file);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /talosctl v1\.12\.6 is older than the target v1\.13\.10; install talosctl v1\.13\.10 or newer/);
    const missing = await process_(rolloutCommand(spec(), INSTALLER("v1.13.10")), file, {
      PATH: [dirname(process.execPath), "/usr/bin", "/bin"].join(delimiter),
    });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /talosctl is not on PATH/);
  });

  it("reboots the nodes whose config change was staged, one at a time with the cluster healthy between", async () => {
    const file = fakeCluster(
      (c) => {
        for (const n of Object.values(c.nodes)) n.persistent = "r2";
      },
      { release: "v1.13.10" },
    );
    const result = await rollout(file);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(loadCluster(file).events, [
      "health ok",
      ...[...CP, ...WORKERS].flatMap((ip) => [`reboot ${ip}`, "health ok"]),
      "upgrade-k8s 1.36.3",
      "health ok",
    ]);
    assert.ok(Object.values(loadCluster(file).nodes).every((n) => n.running === "r2"));
  });

  it("deploys kube-network-policies in a running cluster whose configs turned it on: the manifests follow only through upgrade-k8s", async () => {
    const file = fakeCluster(
      (c) => {
        for (const n of Object.values(c.nodes)) n.kubeNetworkPolicies = true;
      },
      { release: "v1.13.10" },
    );
    assert.equal(loadCluster(file).manifests.kubeNetworkPolicies, false);
    const result = await rollout(file);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(loadCluster(file).manifests.kubeNetworkPolicies, true);
  });
});

describe("the command lines as the Commands run them (sh -c, talosctl and kubectl from PATH)", () => {
  it("a rollout and a departure complete through the fake binaries", async () => {
    const file = fakeCluster(
      (c) => {
        c.nodes["10.0.10.22"]!.release = "v1.13.9";
      },
      { release: "v1.13.10" },
    );
    const result = await process_(rolloutCommand(spec(), INSTALLER("v1.13.10")), file);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(changes(file), ["upgrade 10.0.10.22 v1.13.10", "upgrade-k8s 1.36.3"]);
    const c = spec(
      {},
      Object.fromEntries(
        spec().nodes.map((n) => [
          n.name,
          { role: n.role, ip: n.ip, vmId: n.vmId, proxmoxNode: n.proxmoxNode, ...(n.name === "worker1" ? { retire: "reset" } : {}) },
        ]),
      ),
    );
    const leave = await process_(leaveCommand(c, c.nodes.find((n) => n.name === "worker1")!), file);
    assert.equal(leave.code, 0, leave.stderr);
    assert.ok(loadCluster(file).calls.includes("kubectl get node worker1 --ignore-not-found -o name"));
  });
});

describe("the Kubernetes upgrade (scripts/talos-upgrade.ts kubernetes)", () => {
  it("runs upgrade-k8s between two health gates on the nodes that answer, leaving out a node that joins in the same deploy", async () => {
    const c = spec(
      { kubernetesVersion: "1.36.4" },
      {
        ...Object.fromEntries(spec().nodes.map((n) => [n.name, { role: n.role, ip: n.ip, vmId: n.vmId, proxmoxNode: n.proxmoxNode }])),
        worker3: { role: "worker", ip: "10.0.10.23", vmId: 1023, proxmoxNode: "pve1" },
      },
    );
    const file = fakeCluster(() => {}, { release: "v1.13.10" });
    const result = await sh(kubernetesCommand(c), file);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /10\.0\.10\.23: does not answer on its Talos API yet/);
    assert.deepEqual(loadCluster(file).events, ["health ok", "upgrade-k8s 1.36.4", "health ok"]);
    assert.ok(Object.values(loadCluster(file).nodes).every((n) => n.kubelet === "1.36.4"));
  });

  it("refuses a minor the nodes' Talos cannot run before touching anything, and upgrade-k8s refuses a skipped minor", async () => {
    const file = fakeCluster(() => {}, { release: "v1.13.10" });
    // The config says Talos v1.14.7 (which runs 1.37) while the nodes still report v1.13.10.
    const tooNew = await sh(kubernetesCommand(spec({ version: "v1.14.7", kubernetesVersion: "1.37.2" })), file);
    assert.equal(tooNew.code, 1);
    assert.match(
      tooNew.stderr,
      /refusing Kubernetes 1\.37\.2 before touching any node:\n {2}node 10\.0\.10\.11: Talos v1\.13\.10 runs Kubernetes 1\.31 to 1\.36, not 1\.37\.2\n( {2}node .*\n)*upgrade Talos first/,
    );
    patch(file, (c) => {
      for (const n of Object.values(c.nodes)) {
        n.release = "v1.14.7";
        n.kubelet = "1.35.2";
      }
    });
    const skew = await sh(kubernetesCommand(spec({ version: "v1.14.7", kubernetesVersion: "1.37.2" })), file);
    assert.equal(skew.code, 1);
    assert.match(skew.stderr, /unsupported upgrade path 1\.35\.2->1\.37\.2/);
    assert.deepEqual(changes(file), []);
  });
});

describe("a retiring node leaves (scripts/talos-upgrade.ts leave)", () => {
  const retiring = (name: string, retire: "reset" | "forget") =>
    spec(
      {},
      Object.fromEntries(
        spec().nodes.map((n) => [
          n.name,
          { role: n.role, ip: n.ip, vmId: n.vmId, proxmoxNode: n.proxmoxNode, ...(n.name === name ? { retire } : {}) },
        ]),
      ),
    );

  it("reset: drains and wipes the node, deletes its Node, and the staying nodes pass Talos' checks; a re-run changes nothing", async () => {
    const c = retiring("worker2", "reset");
    const file = fakeCluster(() => {}, { release: "v1.13.10" });
    const line = leaveCommand(c, c.nodes.find((n) => n.name === "worker2")!);
    const result = await sh(line, file);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(loadCluster(file).events, ["health ok", "reset 10.0.10.22", "kubectl delete node worker2", "health ok"]);
    patch(file, (s) => {
      s.events = [];
    });
    const again = await sh(line, file);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(loadCluster(file).events, ["health ok"]);
  });

  it("reset on a control plane: it leaves etcd in its graceful reset, and Talos' checks pass for the other two", async () => {
    const c = retiring("cp3", "reset");
    const file = fakeCluster(() => {}, { release: "v1.13.10" });
    const result = await sh(leaveCommand(c, c.nodes.find((n) => n.name === "cp3")!), file);
    assert.equal(result.code, 0, result.stderr);
    const state = loadCluster(file);
    assert.deepEqual(
      state.etcd.map((m) => m.hostname),
      ["cp1", "cp2"],
    );
    assert.deepEqual(
      state.k8sNodes.map((k) => k.name),
      ["cp1", "cp2", "worker1", "worker2"],
    );
  });

  it("forget on a dead control plane: removes its etcd member by its hex ID and its Node", async () => {
    const c = retiring("cp3", "forget");
    const file = fakeCluster(
      (s) => {
        s.nodes["10.0.10.13"]!.up = false;
        s.k8sNodes.find((k) => k.name === "cp3")!.ready = false;
      },
      { release: "v1.13.10" },
    );
    const result = await sh(leaveCommand(c, c.nodes.find((n) => n.name === "cp3")!), file);
    assert.equal(result.code, 0, result.stderr);
    const state = loadCluster(file);
    assert.ok(state.calls.includes(`10.0.10.11 etcd remove-member ${memberId("10.0.10.13")}`), state.calls.join("\n"));
    assert.match(memberId("10.0.10.13"), /^[0-9a-f]{16}$/);
    assert.deepEqual(state.events, ["etcd remove-member cp3", "kubectl delete node cp3", "health ok"]);
  });

  it("the fake talosctl refuses a member name where the ID belongs, as the real one does", async () => {
    const result = talosctl(["--nodes", "10.0.10.11", "etcd", "remove-member", "cp3"], loadCluster(fakeCluster()));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /error parsing member ID: error parsing etcd member id: strconv\.ParseUint: parsing "cp3": invalid syntax/);
  });
});
