/**
 * The first `pulumi up` of every example stack, in the deployment twin: from no
 * state into an empty world (Proxmox hosts, a Cloudflare account, the fake
 * Talos cluster or an existing cluster), then a second run on its state that
 * plans no change. The engine, the providers' awaits and Talos' checks are the
 * twin's models (test/twin/engine.ts, test/twin/world/*: each cites its source).
 * Each stack is deployed once; the defect checks below read those runs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { exampleStackNames } from "../../synth/stack-file.ts";
import { deploy, stateDocument, twinConfig, twinWorld, type TwinWorld } from "./stack.ts";
import { checkStack } from "../../policies/offline.ts";
import type { RunResult } from "./engine.ts";
import { findObject } from "./world/kubernetes.ts";
import { FIRST_BOOT_TIMEOUTS } from "../../components/talos-cluster.ts";
import { goDuration } from "./world/time.ts";
import { COMPONENTS, TYPES } from "../../contract/tokens.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const STACKS = exampleStackNames(ROOT);

const firstUps = new Map<string, Promise<RunResult<TwinWorld>>>();
function firstUp(stack: string): Promise<RunResult<TwinWorld>> {
  if (!firstUps.has(stack)) {
    const config = twinConfig(stack);
    firstUps.set(stack, deploy(stack, config, twinWorld(config)));
  }
  return firstUps.get(stack)!;
}

const failures = (r: RunResult<TwinWorld>) =>
  r.steps
    .filter((s) => s.status === "failed")
    .map((s) => `${s.urn}: ${s.error}`)
    .join("\n");

test("every example stack is covered", () => {
  assert.deepEqual(STACKS, ["edge", "gateway", "homelab", "k3s", "lab", "single", "tunnel"]);
});

for (const stack of STACKS) {
  test(`${stack}: the first up completes from nothing, and the next preview plans no change`, async () => {
    const first = await firstUp(stack);
    assert.equal(first.error, undefined, failures(first));
    assert.equal(first.ok, true);
    assert.ok(first.state.resources.length > 10);
    const again = await deploy(stack, twinConfig(stack), first.world, first.state, true);
    assert.equal(again.ok, true, again.error);
    assert.deepEqual(
      again.changes.map((s) => `${s.op} ${s.urn} ${s.changes?.join(",") ?? ""}`),
      [],
    );
  });
}

test("host-network placements: Traefik writes each Ingress's status from ingressEndpoint, so the awaited Ingresses and their DNS records complete", async () => {
  for (const [stack, ip] of [
    ["single", "192.168.1.50"],
    ["edge", "192.168.50.11"],
    ["k3s", "192.168.1.21"],
    ["lab", "10.20.0.10"],
  ] as const) {
    const { world, state } = await firstUp(stack);
    const ingresses = Object.values(world.kubernetes.objects).filter((o) => o.kind === "Ingress");
    assert.ok(ingresses.length > 0, stack);
    for (const ingress of ingresses)
      assert.deepEqual(ingress.status, { loadBalancer: { ingress: [{ ip }] } }, `${stack} ${ingress.metadata.name}`);
    // Every record the stack declares was created (single's one app is LAN-only: it declares none).
    const declared = state.resources.filter((r) => r.type === TYPES.dnsRecord).length;
    assert.equal(Object.values(world.cloudflare.records).length, declared, `${stack}: DNS records created`);
    assert.equal(declared > 0, stack !== "single", `${stack}: declares public records`);
  }
});

test("MetalLB stacks: the pools are admitted while the webhook does not serve yet, and Traefik gets its LoadBalancer IP", async () => {
  for (const stack of ["gateway", "homelab", "tunnel"]) {
    const { world } = await firstUp(stack);
    const hook = world.kubernetes.webhooks.find((w) => w.name === "metallb-webhook-configuration")!;
    assert.deepEqual([hook.failurePolicy, hook.serving], ["Ignore", false], stack);
    assert.ok(
      Object.values(world.kubernetes.objects).some((o) => o.kind === "IPAddressPool"),
      stack,
    );
    assert.match(world.kubernetes.loadBalancerIPs["traefik/traefik"] ?? "", /^\d+\.\d+\.\d+\.\d+$/, stack);
  }
});

test("tunnel: the stack policies pass on the outputs the engine stores after the first up (and on the preview after it)", async () => {
  const { state, world, ok } = await firstUp("tunnel");
  assert.equal(ok, true);
  const policy = await checkStack(stateDocument("tunnel", state));
  assert.deepEqual(policy.violations, []);
  assert.ok(policy.passed.includes("traefik-forwarded-headers-cloudflare-only") && policy.passed.includes("cloudflare-zone-ssl-mode"));
  const tunnel = state.resources.find((r) => r.type === COMPONENTS.cloudflareTunnel)!;
  assert.deepEqual(Object.keys(tunnel.outputs).sort(), ["cnameTarget", "forwarders", "ingressRules", "name", "trustReason", "tunnelId"]);
  const edge = state.resources.find((r) => r.type === COMPONENTS.zoneEdge)!;
  assert.deepEqual(Object.keys(edge.outputs).sort(), ["entry", "proxiedHosts", "redirectToHttps", "sslMode", "zone"]);
  assert.equal(edge.outputs.entry, "tunnel");
  assert.equal(Object.values(world.cloudflare.tunnels)[0]?.name, "cgnat-homelab");
});

test("Proxmox: every q35 VM keeps its IDE drives on ide0/ide2, which Proxmox releases without the ide3 remap start", async () => {
  for (const stack of ["single", "homelab"]) {
    const { world } = await firstUp(stack);
    assert.equal(world.proxmox.remapsIde, false);
    const vms = Object.values(world.proxmox.hosts).flatMap((h) => Object.values(h.vms));
    assert.ok(vms.length > 0);
    for (const vm of vms)
      assert.deepEqual(
        Object.entries(vm.devices)
          .filter(([slot]) => slot.startsWith("ide"))
          .sort(),
        [
          ["ide0", "cdrom"],
          ["ide2", "cloud-init drive"],
        ],
      );
  }
});

test("a slow first boot (15-minute installs) completes within the stack's timeouts, where the providers' 10-minute defaults give up", async () => {
  const slow = { bootToMaintenance: 240, install: 900, apiServer: 300, nodeReady: 480 };
  const config = twinConfig("single");
  const run = await deploy("single", config, twinWorld(config, { timings: slow }));
  assert.equal(run.ok, true, failures(run));
  const waited = (stage: string) => run.world.stages[stage]!.end - run.world.stages[stage]!.start;
  // The bootstrap waits for the install, the health gate for the API server and the node: both beyond 10 minutes.
  assert.ok(
    waited("bootstrap") > 600 && waited("bootstrap") <= goDuration(FIRST_BOOT_TIMEOUTS.bootstrap.create, 0),
    `bootstrap waited ${waited("bootstrap")} s`,
  );
  assert.ok(
    waited("health") > 600 && waited("health") <= goDuration(FIRST_BOOT_TIMEOUTS.health.read, 0),
    `health waited ${waited("health")} s`,
  );
});

test("a node that never boots fails the first up at the apply, naming the node, and nothing after it runs", async () => {
  const config = twinConfig("single");
  const dead = { bootToMaintenance: 24 * 3600, install: 150, apiServer: 90, nodeReady: 60 };
  const run = await deploy("single", config, twinWorld(config, { timings: dead }));
  assert.equal(run.ok, false);
  assert.match(
    run.error!,
    /ConfigurationApply::cluster-single-cp1-config: failed to apply configuration: rpc error: code = Unavailable .*dial tcp 192\.168\.1\.50:50000: connect: connection refused/,
  );
  assert.equal(run.world.clock, goDuration(FIRST_BOOT_TIMEOUTS.apply.create, 0), "it gave up at the apply's timeout");
  assert.equal(
    run.state.resources.some((r) => r.type === TYPES.bootstrap),
    false,
  );
  assert.equal(findObject(run.world.kubernetes, "", "Namespace", undefined, "traefik"), undefined);
});

test("bad input is refused before anything registers, naming the key and the fix", async () => {
  const config = twinConfig("single");
  const cluster = JSON.parse(config.values["homelab:cluster"]!) as { nodes: Record<string, { ip: string }> };
  const first = Object.keys(cluster.nodes)[0]!;
  cluster.nodes[first]!.ip = "192.168.1.500";
  const run = await deploy(
    "single",
    { ...config, values: { ...config.values, "homelab:cluster": JSON.stringify(cluster) } },
    twinWorld(config),
  );
  assert.equal(run.ok, false);
  assert.match(run.error!, new RegExp(`cluster\\.nodes\\.${first}\\.ip`));
  assert.deepEqual(run.run?.resources ?? [], []);
  assert.deepEqual(run.world.proxmox.hosts, twinWorld(config).proxmox.hosts, "nothing was created");
});
