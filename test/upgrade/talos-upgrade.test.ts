/**
 * The rolling upgrade, run for real: scripts/talos-upgrade.ts against a fake
 * talosctl on PATH that keeps each node's release and health. The command
 * lines are the ones the stack registers (lib/talos-upgrade.ts), run in the
 * order the stack chains them.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { promisify } from "node:util";
import { talosCluster } from "../helpers/cluster.ts";
import { kubernetesUpgradeCommand, osUpgradeCommand, upgradeOrder } from "../../lib/talos-upgrade.ts";

const run = promisify(execFile);
const ROOT = new URL("../../", import.meta.url).pathname;
const FAKE_BIN = join(ROOT, "test/fixtures/fake-talosctl");
const TALOSCONFIG = "context: lab\ncontexts:\n  lab:\n    key: not-a-real-key\n";
const SCHEMATIC = "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba";
const OTHER_SCHEMATIC = "ce4c980550dd2ab1b17bbf2b08801c7eb59418eafe8f279833297925d67c7515";
const INSTALLER = (v: string, schematic = SCHEMATIC) => `factory.talos.dev/nocloud-installer/${schematic}:${v}`;

interface FakeState {
  client: string;
  nodes: Record<string, { role: string; version: string; schematic: string; healthy: boolean }>;
  calls: string[];
  events: string[];
  failUpgrade?: string;
  unhealthyAfterUpgrade?: string;
  stuckAt?: string;
  kubernetes?: string;
  talosconfigSeen?: string;
}

const cluster = (version = "v1.13.10") => talosCluster({ talos: { version, configContract: "v1.13" } });

function fakeTalos(overrides: Partial<FakeState> = {}, versions: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "fake-talos-"));
  const nodes = Object.fromEntries(cluster().nodes.map((n) => [n.ip, { role: n.role, version: versions[n.ip] ?? "v1.13.9", schematic: SCHEMATIC, healthy: true }]));
  const file = join(dir, "state.json");
  writeFileSync(file, JSON.stringify({ client: "v1.13.10", nodes, calls: [], events: [], ...overrides }));
  return file;
}
const stateOf = (file: string): FakeState => JSON.parse(readFileSync(file, "utf8"));
const patch = (file: string, change: Partial<FakeState>) => writeFileSync(file, JSON.stringify({ ...stateOf(file), ...change }));

interface Result { code: number; stdout: string; stderr: string }

async function sh(line: string, stateFile: string, env: Record<string, string | undefined> = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await run("sh", ["-c", line], {
      cwd: ROOT,
      env: { ...process.env, PATH: `${FAKE_BIN}${delimiter}${process.env.PATH}`, FAKE_TALOS_STATE: stateFile, TALOSCONFIG_CONTENT: TALOSCONFIG, TALOSCONFIG: undefined, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** What `pulumi up` does: each node's command in the chained order, stopping at the first that fails. */
async function rollout(stateFile: string, version = "v1.13.10", schematic = SCHEMATIC): Promise<Result[]> {
  const c = cluster(version);
  const results: Result[] = [];
  for (const node of upgradeOrder(c)) {
    const result = await sh(osUpgradeCommand(c, node, INSTALLER(version, schematic)), stateFile);
    results.push(result);
    if (result.code !== 0) break;
  }
  return results;
}

describe("rolling Talos upgrade (scripts/talos-upgrade.ts against a fake talosctl)", () => {
  it("upgrades control planes first, one node at a time, each followed by a health gate, with the schematic's installer", async () => {
    const file = fakeTalos();
    const results = await rollout(file);
    assert.deepEqual(results.map((r) => r.code), [0, 0, 0, 0, 0]);
    const state = stateOf(file);
    assert.deepEqual(state.events, [
      "upgrade 10.0.10.11", "health", "upgrade 10.0.10.12", "health", "upgrade 10.0.10.13", "health",
      "upgrade 10.0.10.21", "health", "upgrade 10.0.10.22", "health",
    ]);
    assert.ok(Object.values(state.nodes).every((n) => n.version === "v1.13.10"));
    assert.ok(state.calls.includes(`10.0.10.11 upgrade --image ${INSTALLER("v1.13.10")} --wait --timeout 15m`));
    assert.ok(state.calls.some((c) => c.startsWith("10.0.10.11 health --control-plane-nodes 10.0.10.11,10.0.10.12,10.0.10.13 --worker-nodes 10.0.10.21,10.0.10.22")));
    assert.ok(state.calls.includes("10.0.10.11 etcd members"));
    // The talosconfig reached talosctl as a file and did not outlive the run.
    assert.equal(state.talosconfigSeen, TALOSCONFIG);
    assert.equal(readdirSync(tmpdir()).filter((d) => d.startsWith("talos-upgrade-")).length, 0);
  });

  it("stops at a node whose upgrade fails, naming it and what to do, and a re-run continues there, skipping nodes already upgraded", async () => {
    const file = fakeTalos({ failUpgrade: "10.0.10.12" });
    const first = await rollout(file);
    assert.deepEqual(first.map((r) => r.code), [0, 1]);
    assert.match(first[1]!.stderr, /talos-upgrade: node 10\.0\.10\.12: upgrade to v1\.13\.10 failed: .*install image pull failed.*re-run/s);
    assert.deepEqual(stateOf(file).events, ["upgrade 10.0.10.11", "health"]);

    patch(file, { failUpgrade: undefined, events: [] });
    const second = await rollout(file);
    assert.deepEqual(second.map((r) => r.code), [0, 0, 0, 0, 0]);
    assert.match(second[0]!.stdout, /10\.0\.10\.11: already v1\.13\.10 with schematic 376567988ad3, skipped/);
    assert.deepEqual(stateOf(file).events, [
      "upgrade 10.0.10.12", "health", "upgrade 10.0.10.13", "health", "upgrade 10.0.10.21", "health", "upgrade 10.0.10.22", "health",
    ]);
  });

  it("rolls a schematic change (extensions, kernel arguments) at the same release the same way", async () => {
    const file = fakeTalos({}, Object.fromEntries(cluster().nodes.map((n) => [n.ip, "v1.13.10"])));
    const results = await rollout(file, "v1.13.10", OTHER_SCHEMATIC);
    assert.deepEqual(results.map((r) => r.code), [0, 0, 0, 0, 0]);
    assert.match(results[0]!.stdout, /10\.0\.10\.11: upgrading v1\.13\.10 → v1\.13\.10 with .* \(schematic 376567988ad3 → ce4c980550dd\)/);
    assert.deepEqual(stateOf(file).events.filter((e) => e.startsWith("upgrade")), cluster().nodes.map((n) => n.ip).sort().map((ip) => `upgrade ${ip}`));
    assert.ok(Object.values(stateOf(file).nodes).every((n) => n.schematic === OTHER_SCHEMATIC));
  });

  it("does not start the next node while the cluster is unhealthy after one", async () => {
    const file = fakeTalos({ unhealthyAfterUpgrade: "10.0.10.11" });
    const results = await rollout(file);
    assert.deepEqual(results.map((r) => r.code), [1]);
    assert.match(results[0]!.stderr, /cluster not healthy after upgrading 10\.0\.10\.11: .*not ready.*Nothing further was upgraded/s);
    assert.deepEqual(stateOf(file).events, ["upgrade 10.0.10.11", "health"]);
  });

  it("fails a node that comes back on its old release (a rollback) before any other is touched", async () => {
    const file = fakeTalos({ stuckAt: "10.0.10.11" });
    const results = await rollout(file);
    assert.deepEqual(results.map((r) => r.code), [1]);
    assert.match(results[0]!.stderr, /node 10\.0\.10\.11: still reports v1\.13\.9 after the upgrade to v1\.13\.10/);
  });

  it("refuses a jump over a minor release or a downgrade from what the nodes report, before touching any node", async () => {
    const jump = fakeTalos({ client: "v1.14.7" }, { "10.0.10.21": "v1.12.11" });
    const [refused] = await rollout(jump, "v1.14.7");
    assert.equal(refused!.code, 1);
    assert.match(refused!.stderr, /before touching any node:\n  node 10\.0\.10\.21: v1\.12\.11 → v1\.14\.7 skips a minor release: Talos upgrades one minor at a time \(go to v1\.13\.x first\)/);
    assert.deepEqual(stateOf(jump).events, []);

    const down = fakeTalos();
    const [downgrade] = await rollout(down, "v1.13.8");
    assert.match(downgrade!.stderr, /node 10\.0\.10\.11: v1\.13\.8 is older than the installed v1\.13\.9: a downgrade is not supported/);
    assert.deepEqual(stateOf(down).events, []);
  });

  it("checks its prerequisites: talosctl present and not older than the target, a talosconfig", async () => {
    const c = cluster();
    const line = osUpgradeCommand(c, c.nodes[0]!, INSTALLER("v1.13.10"));
    const missing = await sh(line, fakeTalos(), { PATH: `${dirname(process.execPath)}${delimiter}/bin` });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /talosctl is not on PATH; install/);
    const old = await sh(line, fakeTalos({ client: "v1.12.0" }));
    assert.equal(old.code, 1);
    assert.match(old.stderr, /talosctl v1\.12\.0 is older than the target v1\.13\.10; install talosctl v1\.13\.10 or newer/);
    const noConfig = await sh(line, fakeTalos(), { TALOSCONFIG_CONTENT: "" });
    assert.match(noConfig.stderr, /no talosconfig: set TALOSCONFIG/);
    const misspelt = await sh("node scripts/talos-upgrade.ts os --too v1.13.10", fakeTalos());
    assert.equal(misspelt.code, 1);
    assert.match(misspelt.stderr, /^talos-upgrade: Unknown option '--too'/);
    assert.doesNotMatch(misspelt.stderr, /\n\s+at /);
  });

  it("runs the Kubernetes upgrade through the first control plane and gates it on health", async () => {
    const file = fakeTalos();
    const c = talosCluster({ talos: { configContract: "v1.13", kubernetesVersion: "1.36.4" } });
    const result = await sh(kubernetesUpgradeCommand(c, "1.36.4"), file);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(stateOf(file).events, ["upgrade-k8s 1.36.4", "health"]);
    assert.ok(stateOf(file).calls.includes("10.0.10.11 upgrade-k8s --to 1.36.4"));
  });
});
