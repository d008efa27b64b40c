/**
 * The day-2 commands in the twin: a `command:local:Command` whose line is
 * `node scripts/talos-upgrade.ts …` runs the REAL script (its exported `dayTwo`,
 * in this process for speed) with talosctl and kubectl served by the fakes in
 * test/fixtures/fake-talosctl, over the twin's Talos world: the world is handed
 * to the fake cluster before the run and takes its changes back after it
 * (releases, schematics, staged configs that a reboot made running, kubelet
 * images upgrade-k8s patched, etcd members, Node objects, bootstrap manifests).
 * Without `day2.talosctl` the workstation has no talosctl: the script fails as it
 * does on a PATH without it.
 */
import { createHash } from "node:crypto";
import { StepError, type StepContext } from "../engine.ts";
import { dayTwo, failureMessage } from "../../../scripts/talos-upgrade.ts";
import { talosctl } from "../../fixtures/fake-talosctl/fake-talosctl.ts";
import { kubectl } from "../../fixtures/fake-talosctl/fake-kubectl.ts";
import type { FakeCluster } from "../../fixtures/fake-talosctl/cluster.ts";
import type { Outcome } from "../../fixtures/fake-talosctl/outcome.ts";
import { configText, kubeletOf, type TalosDay2, type TalosNode } from "./talos.ts";
import type { TwinWorld } from "./time.ts";

/** The command lines this module runs (builders/talos-upgrade.ts quotes every word). */
export const DAY_TWO_PREFIX = "'node' 'scripts/talos-upgrade.ts' ";

type Config = NonNullable<TalosNode["config"]>;

const revision = (config: Config | undefined) => createHash("sha256").update(configText(config)).digest("hex").slice(0, 12);
/** The configuration with its kubelet image (`ghcr.io/siderolabs/kubelet:v1.36.3`) at another release. */
const withKubelet = (config: Config, release: string): Config => ({
  ...config,
  machineConfiguration: config.machineConfiguration.replace(/kubelet:v\d+\.\d+\.\d+/g, `kubelet:v${release}`),
});

export function day2Of(world: TwinWorld): TalosDay2 {
  world.talos!.day2 ??= { faults: {}, calls: [], events: [] };
  return world.talos!.day2;
}

/** The twin's Talos world as the fake cluster sees it. */
export function toFake(world: TwinWorld): FakeCluster {
  const t = world.talos!;
  const day2 = day2Of(world);
  return {
    client: day2.talosctl ?? "",
    nodes: Object.fromEntries(
      Object.values(t.nodes)
        .filter((n) => n.role && n.hostname)
        .map((n) => [
          n.ip,
          {
            hostname: n.hostname!,
            role: n.role!,
            release: n.release,
            schematic: n.schematic,
            up: n.phase === "running",
            configured: !!n.config,
            ...(n.role === "controlplane" ? { etcdHealthy: t.etcd.some((m) => m.ip === n.ip && m.healthy) } : {}),
            running: revision(n.config),
            persistent: revision(n.staged ?? n.config),
            kubelet: kubeletOf(n.config),
            kubeNetworkPolicies: /kubeNetworkPoliciesEnabled: true/.test(configText(n.config)),
          },
        ]),
    ),
    etcd: t.etcd.map((m) => ({ id: m.id, hostname: m.hostname, ip: m.ip })),
    k8sNodes: t.kubernetesNodes.map((k) => ({ name: k.name, ip: k.ip, ready: k.registeredAt + t.timings.nodeReady <= world.clock })),
    manifests: day2.manifests ?? { talos: "", kubernetes: "", kubeNetworkPolicies: false },
    ...(day2.quorumLost ? { quorumLost: day2.quorumLost } : {}),
    faults: day2.faults,
    ...(day2.clientCertificate ? { clientCertificate: day2.clientCertificate } : {}),
    calls: day2.calls,
    events: day2.events,
  };
}

/** The fake cluster's changes, back into the twin's world. */
export function fromFake(world: TwinWorld, fake: FakeCluster): void {
  const t = world.talos!;
  const day2 = day2Of(world);
  for (const [ip, f] of Object.entries(fake.nodes)) {
    const n = t.nodes[ip]!;
    n.release = f.release;
    n.schematic = f.schematic;
    if (!f.up && n.phase === "running") {
      n.phase = "halted";
      delete n.config;
      delete n.staged;
      continue;
    }
    if (n.staged && f.running === f.persistent) {
      n.config = n.staged;
      delete n.staged;
    }
    if (n.config && f.kubelet && kubeletOf(n.config) !== f.kubelet) n.config = withKubelet(n.config, f.kubelet);
  }
  t.etcd = t.etcd.filter((m) => fake.etcd.some((f) => f.id === m.id));
  for (const m of t.etcd) m.healthy = fake.nodes[m.ip]?.etcdHealthy ?? m.healthy;
  t.kubernetesNodes = t.kubernetesNodes.filter((k) => fake.k8sNodes.some((f) => f.name === k.name));
  day2.manifests = fake.manifests;
  if (fake.quorumLost) day2.quorumLost = fake.quorumLost;
  day2.calls = fake.calls;
  day2.events = fake.events;
}

/** Runs one day-2 command line in the twin; a failure fails the step as the Command's would. */
export async function runDayTwo(c: StepContext<TwinWorld>, line: string): Promise<{ stdout: string; stderr: string }> {
  const argv = [...line.matchAll(/'((?:[^']|'\\'')*)'/g)].map((m) => m[1]!.replace(/'\\''/g, "'")).slice(2);
  const env = { ...c.world.command.env, ...((c.inputs.environment as Record<string, string> | undefined) ?? {}) };
  c.world.command.ran.push(line);
  const fake = toFake(c.world);
  const tools: Record<string, (args: readonly string[]) => Outcome> = c.world.talos?.day2?.talosctl
    ? { talosctl: (a) => talosctl(a, fake), kubectl: (a) => kubectl(a, fake) }
    : {};
  const out: string[] = [];
  try {
    await dayTwo(
      argv,
      env,
      async (binary, args) => {
        const tool = tools[binary];
        if (!tool) throw Object.assign(new Error(`spawn ${binary} ENOENT`), { code: "ENOENT" });
        const { code, stdout, stderr } = tool(args);
        if (code !== 0) throw Object.assign(new Error(`Command failed: ${binary}`), { code, stdout, stderr });
        return { stdout };
      },
      (l) => out.push(l),
    );
  } catch (e) {
    const message = failureMessage(e);
    if (!message) throw e;
    throw new StepError(`exit status 1: running ${JSON.stringify(line)}:\n${out.join("\n")}\n${message}`);
  } finally {
    fromFake(c.world, fake);
  }
  return { stdout: out.join("\n"), stderr: "" };
}
