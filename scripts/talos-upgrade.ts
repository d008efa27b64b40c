/**
 * Day 2 with talosctl: the Talos rollout, the Kubernetes upgrade and a retiring
 * node's departure, each one node at a time with the cluster healthy before and
 * after every step. `pulumi up` runs them as local Commands
 * (components/talos-cluster.ts, command lines from builders/talos-upgrade.ts and
 * builders/node-lifecycle.ts); an operator runs the same lines by hand:
 *
 *   node scripts/talos-upgrade.ts rollout --talos v1.13.10 --image factory.talos.dev/nocloud-installer/<schematic>:v1.13.10 \
 *     --kubernetes 1.36.3 --control-planes 10.0.10.11,10.0.10.12,10.0.10.13 --workers 10.0.10.21
 *   node scripts/talos-upgrade.ts kubernetes --to 1.37.2 --control-planes … --workers …
 *   node scripts/talos-upgrade.ts leave --node 10.0.10.21 --hostname worker1 --role worker --mode reset --control-planes … --workers …
 *
 * The talosconfig comes from TALOSCONFIG_CONTENT (what Pulumi passes, as a
 * secret) or a TALOSCONFIG path; `leave` also needs a kubeconfig
 * (KUBECONFIG_CONTENT or KUBECONFIG) and kubectl, to delete the Node object.
 * Every step is idempotent: a re-run checks the cluster again and continues
 * where a failure stopped.
 *
 * What the real tools print, and what they do, read at siderolabs/talos v1.13.9:
 * - `talosctl version`: the client section is `Talos v1.13.9` with --short
 *   (pkg/machinery/version/version.go Short), the server section is always the
 *   long template, `\tTag:         v1.13.9` (cmd/talosctl/cmd/talos/version.go).
 * - `talosctl upgrade` to a node newer than 1.13.0-alpha.2 goes through the
 *   LifecycleService (cmd/talosctl/cmd/talos/upgrade.go): none of the legacy
 *   path's etcd guards (internal/pkg/etcd/etcd.go ValidateForUpgrade: refuse a
 *   two-member cluster, every member started and healthy) run, so this script
 *   applies them itself before each control plane.
 * - `talosctl etcd members` / `etcd status` are tab-aligned tables whose member
 *   IDs are 16 hex digits; `etcd remove-member` takes that ID
 *   (cmd/talosctl/cmd/talos/etcd.go, pkg/machinery/resources/etcd/etcd.go).
 * - `talosctl health` runs Talos' DefaultClusterChecks on the lists it is given
 *   (pkg/cluster/check/default.go): a Node or etcd member outside them fails it.
 * - `talosctl get machineconfig`: `v1alpha1` is the running config, `persistent`
 *   the one on disk, ahead of it while a change is staged
 *   (pkg/machinery/resources/config/machine_config.go).
 * - `talosctl upgrade-k8s` refuses a path of more than one minor and a release
 *   a node's Talos cannot run (pkg/cluster/kubernetes/talos_managed.go, compat.go),
 *   and syncs the bootstrap manifests; it also patches every node's machine
 *   config, with docs and examples unless told not to, which the generated
 *   configs leave out.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import {
  compareMinor,
  formatRelease,
  kubernetesSupportProblem,
  parseTalosRelease,
  upgradeStepProblem,
  type TalosRelease,
} from "../contract/talos-versions.ts";

/** How a tool runs: a child process here; the tests pass their fake tools' entry points. */
export type Exec = (binary: string, args: readonly string[]) => Promise<{ stdout: string }>;

const execTool: Exec = (binary, args) => promisify(execFile)(binary, [...args], { maxBuffer: 16 * 1024 * 1024 });

/** How long one node's upgrade or reboot, one health wait and one reset may take. */
const UPGRADE_TIMEOUT = "15m";
const HEALTH_TIMEOUT = "10m";

class RolloutError extends Error {}

interface Members {
  readonly controlPlanes: readonly string[];
  readonly workers: readonly string[];
}

type Tool = (args: readonly string[]) => Promise<string>;

function tool(exec: Exec, binary: string, prefix: readonly string[], missing: string): Tool {
  return async (args) => {
    try {
      const { stdout } = await exec(binary, [...prefix, ...args]);
      return stdout;
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      if (err.code === "ENOENT") throw new RolloutError(missing);
      throw new RolloutError(`${binary} ${args.join(" ")} failed: ${(err.stderr ?? err.message).trim()}`);
    }
  };
}

/** A tab-aligned talosctl table (padding 3, cells never hold three spaces): header and rows as cells. */
const cells = (out: string): string[][] =>
  out
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => l.trim().split(/\s{3,}/));

/** The same table as one record per row, for tables whose column names are unique. */
function table(out: string): Record<string, string>[] {
  const [columns, ...rows] = cells(out);
  return columns ? rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i] ?? ""]))) : [];
}

interface EtcdMember {
  readonly id: string;
  readonly hostname: string;
  readonly ip: string;
  readonly learner: boolean;
}

type Log = (line: string) => void;

class Cluster {
  readonly ctl: Tool;
  readonly members: Members;
  readonly log: Log;

  constructor(ctl: Tool, members: Members, log: Log) {
    this.ctl = ctl;
    this.members = members;
    this.log = log;
  }

  /** talosctl through the control planes as endpoints (never the VIP), at one node. */
  at(node: string, args: readonly string[]): Promise<string> {
    return this.ctl(["--endpoints", this.members.controlPlanes.join(","), "--nodes", node, ...args]);
  }

  async clientRelease(): Promise<TalosRelease> {
    const out = await this.ctl(["version", "--client", "--short"]);
    const release = /Talos (v\d+\.\d+\.\d+\S*)/.exec(out)?.[1];
    const parsed = release ? parseTalosRelease(release) : undefined;
    if (!parsed) throw new RolloutError(`talosctl version --client printed no release: ${out.trim()}`);
    return parsed;
  }

  async checkClient(target: TalosRelease | undefined): Promise<void> {
    const client = await this.clientRelease();
    if (target && compareMinor(client, target) < 0) {
      throw new RolloutError(
        `talosctl ${formatRelease(client)} is older than the target ${formatRelease(target)}; install talosctl ${formatRelease(target)} or newer and re-run`,
      );
    }
  }

  /** The release the node's Talos API reports, or undefined when it does not answer with the cluster's credentials (not created, not configured yet, or gone). */
  async release(node: string): Promise<TalosRelease | undefined> {
    let out: string;
    try {
      out = await this.at(node, ["version"]);
    } catch {
      return undefined;
    }
    const server = out.slice(out.indexOf("Server:"));
    const tag = /\bTag:\s+(v\d+\.\d+\.\d+\S*)/.exec(server)?.[1];
    return tag ? parseTalosRelease(tag) : undefined;
  }

  async mustRelease(node: string): Promise<TalosRelease> {
    const release = await this.release(node);
    if (!release)
      throw new RolloutError(
        `node ${node} does not answer on its Talos API (talosctl -n ${node} version); check the VM is running (talosctl -n ${node} dmesg), or retire it (README, Operations), then re-run`,
      );
    return release;
  }

  /**
   * The Image Factory schematic a node booted: its installer carries a `schematic`
   * extension whose version is the schematic id. A node at the right release with
   * another schematic (extensions or kernel arguments changed) still needs the upgrade.
   */
  async schematic(node: string): Promise<string | undefined> {
    // Columns NODE NAMESPACE TYPE ID VERSION NAME VERSION: the name and the extension's version come last.
    return cells(await this.at(node, ["get", "extensions"]))
      .slice(1)
      .find((row) => row.at(-2) === "schematic")
      ?.at(-1);
  }

  async etcdMembers(via: string): Promise<EtcdMember[]> {
    return table(await this.at(via, ["etcd", "members"])).map((row) => ({
      id: row.ID!,
      hostname: row.HOSTNAME!,
      ip: new URL(row["PEER URLS"]!.split(",")[0]!).hostname,
      learner: row.LEARNER === "true",
    }));
  }

  /**
   * Every etcd member is one of `controlPlanes`, each answers its status without
   * errors, none is a learner: what Talos' legacy upgrade path demanded of all
   * members before it touched one.
   */
  async etcdHealthy(controlPlanes: readonly string[]): Promise<EtcdMember[]> {
    const members = await this.etcdMembers(controlPlanes[0]!);
    const strangers = members.filter((m) => !controlPlanes.includes(m.ip));
    if (strangers.length)
      throw new RolloutError(
        `etcd member${strangers.length > 1 ? "s" : ""} ${strangers.map((m) => `${m.hostname} (${m.id}, ${m.ip})`).join(", ")} ${strangers.length > 1 ? "are" : "is"} not among the control planes ${controlPlanes.join(", ")}`,
      );
    const missing = controlPlanes.filter((ip) => !members.some((m) => m.ip === ip));
    if (missing.length)
      throw new RolloutError(
        `control plane${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not an etcd member`,
      );
    const learners = members.filter((m) => m.learner);
    if (learners.length) throw new RolloutError(`etcd member ${learners.map((m) => m.hostname).join(", ")} is still a learner`);
    await this.etcdStatus(members);
    return members;
  }

  /** Every one of `members` answers its status without errors. */
  async etcdStatus(members: readonly EtcdMember[]): Promise<void> {
    const status = table(await this.at(members.map((m) => m.ip).join(","), ["etcd", "status"]).catch(() => ""));
    for (const m of members) {
      const row = status.find((r) => r.MEMBER === m.id);
      if (!row) throw new RolloutError(`etcd member ${m.hostname} (${m.id}) does not answer its status`);
      if (row.ERRORS) throw new RolloutError(`etcd member ${m.hostname} (${m.id}) reports errors: ${row.ERRORS}`);
    }
  }

  /**
   * Refuses a step that takes one control plane down when etcd would lose quorum:
   * with n members quorum is ⌊n/2⌋+1, so a two-member etcd (Talos' legacy guard)
   * cannot lose one; a single member is the whole cluster, down for the step either way.
   */
  static quorumProblem(members: number): string | undefined {
    if (members === 1) return undefined;
    return members - 1 < Math.floor(members / 2) + 1
      ? `etcd has ${members} members and keeps quorum (${Math.floor(members / 2) + 1}) only while all of them run: taking one down for this step would stop the cluster; add a control plane (an odd number, three or more) or retire one (README, Operations), then re-run`
      : undefined;
  }

  async health(members: Members): Promise<void> {
    await this.at(members.controlPlanes[0]!, [
      "health",
      "--control-plane-nodes",
      members.controlPlanes.join(","),
      ...(members.workers.length ? ["--worker-nodes", members.workers.join(",")] : []),
      "--wait-timeout",
      HEALTH_TIMEOUT,
    ]);
  }

  /** The gate before the first node and after each: Talos' cluster checks on the given nodes, then every etcd member healthy. */
  async gate(members: Members, when: string): Promise<EtcdMember[]> {
    try {
      await this.health(members);
      return await this.etcdHealthy(members.controlPlanes);
    } catch (e) {
      const cp = members.controlPlanes[0];
      throw new RolloutError(
        `cluster not healthy ${when}: ${(e as Error).message}. Nothing further was changed; inspect with talosctl -n ${cp} health, talosctl -n ${cp} etcd members and kubectl get nodes, fix it, then re-run (steps already done are skipped)`,
      );
    }
  }

  /** Whether the node's config on disk is ahead of the running one: a change staged for its next reboot. */
  async staged(node: string): Promise<boolean> {
    const spec = (out: string) => out.slice(out.search(/^spec:/m));
    const running = spec(await this.at(node, ["get", "machineconfig", "v1alpha1", "-o", "yaml"]));
    const persistent = spec(await this.at(node, ["get", "machineconfig", "persistent", "-o", "yaml"]));
    return running !== persistent;
  }
}

const all = (m: Members) => [...m.controlPlanes, ...m.workers];
const isControlPlane = (m: Members, node: string) => m.controlPlanes.includes(node);

/** `factory.talos.dev/nocloud-installer/<schematic>:v1.13.10` → `<schematic>` */
const installerSchematic = (image: string) => /\/([0-9a-f]{64}):[^/]+$/.exec(image)?.[1];

async function guardControlPlaneStep(cluster: Cluster, node: string, members: readonly EtcdMember[], what: string): Promise<void> {
  if (!isControlPlane(cluster.members, node)) return;
  const problem = Cluster.quorumProblem(members.length);
  if (problem) throw new RolloutError(`refusing to ${what} control plane ${node}: ${problem}`);
}

async function rollout(cluster: Cluster, to: string, image: string, kubernetes: string): Promise<void> {
  const target = parseTalosRelease(to);
  if (!target || target.patch === undefined) throw new RolloutError(`--talos ${to}: expected an exact Talos release like v1.13.10`);
  if (!image.endsWith(`:${formatRelease(target)}`))
    throw new RolloutError(`--image ${image} is not the installer of ${formatRelease(target)}`);
  const unsupported = kubernetesSupportProblem(target, kubernetes);
  if (unsupported)
    throw new RolloutError(
      `refusing the rollout before touching any node: ${unsupported}; set cluster.talos.kubernetesVersion to a release it runs and re-run`,
    );
  await cluster.checkClient(target);

  const nodes = all(cluster.members);
  const reported = new Map<string, TalosRelease>();
  for (const node of nodes) reported.set(node, await cluster.mustRelease(node));
  const refused = nodes.flatMap((node) => {
    const problem = upgradeStepProblem(reported.get(node)!, target);
    return problem ? [`node ${node}: ${problem}`] : [];
  });
  if (refused.length)
    throw new RolloutError(
      `refusing the upgrade to ${formatRelease(target)} before touching any node:\n  ${refused.join("\n  ")}\nset cluster.talos.version to a release one minor step from every node's (or back to the installed one) and re-run`,
    );

  let members = await cluster.gate(cluster.members, "before the rollout");
  const schematic = installerSchematic(image);
  for (const node of nodes) {
    const before = reported.get(node)!;
    const booted = await cluster.schematic(node);
    if (formatRelease(before) === formatRelease(target) && booted === schematic) {
      cluster.log(`${node}: already ${formatRelease(target)} with schematic ${schematic?.slice(0, 12)}, skipped`);
      continue;
    }
    await guardControlPlaneStep(cluster, node, members, "upgrade");
    cluster.log(
      `${node}: upgrading ${formatRelease(before)} → ${formatRelease(target)} with ${image}${booted !== schematic ? ` (schematic ${booted?.slice(0, 12) ?? "none"} → ${schematic?.slice(0, 12)})` : ""}`,
    );
    try {
      await cluster.at(node, ["upgrade", "--image", image, "--wait", "--timeout", UPGRADE_TIMEOUT]);
    } catch (e) {
      throw new RolloutError(
        `node ${node}: upgrade to ${formatRelease(target)} failed: ${(e as Error).message}. The rollout stopped here; see README "Upgrading" (talosctl -n ${node} dmesg, talosctl -n ${node} rollback if it booted badly), then re-run`,
      );
    }
    const after = await cluster.mustRelease(node);
    if (formatRelease(after) !== formatRelease(target)) {
      throw new RolloutError(
        `node ${node}: still reports ${formatRelease(after)} after the upgrade to ${formatRelease(target)} (Talos may have rolled back); check talosctl -n ${node} dmesg, then re-run`,
      );
    }
    const bootedAfter = await cluster.schematic(node);
    if (bootedAfter !== schematic) {
      throw new RolloutError(
        `node ${node}: booted schematic ${bootedAfter ?? "none"} after the upgrade, not ${schematic}; check talosctl -n ${node} get extensions, then re-run`,
      );
    }
    members = await cluster.gate(cluster.members, `after upgrading ${node}`);
    cluster.log(`${node}: ${formatRelease(target)}, cluster healthy`);
  }

  for (const node of nodes) {
    if (!(await cluster.staged(node))) continue;
    await guardControlPlaneStep(cluster, node, members, "reboot");
    cluster.log(`${node}: rebooting into its staged config`);
    await cluster.at(node, ["reboot", "--wait", "--timeout", UPGRADE_TIMEOUT]);
    if (await cluster.staged(node))
      throw new RolloutError(
        `node ${node}: its staged config is still not running after the reboot; check talosctl -n ${node} dmesg, then re-run`,
      );
    members = await cluster.gate(cluster.members, `after rebooting ${node}`);
    cluster.log(`${node}: staged config running, cluster healthy`);
  }

  // Talos creates the bootstrap manifests (Flannel, kube-network-policies, CoreDNS, kube-proxy) only
  // at bootstrap; a new Talos release or a changed CNI setting reaches them only through upgrade-k8s.
  await upgradeKubernetes(cluster, kubernetes, "syncing the bootstrap manifests");
  await cluster.gate(cluster.members, "after syncing the bootstrap manifests");
  cluster.log(`rollout: every node ${formatRelease(target)}, Kubernetes ${kubernetes}, manifests synced, cluster healthy`);
}

async function upgradeKubernetes(cluster: Cluster, to: string, why: string): Promise<void> {
  const cp = cluster.members.controlPlanes[0]!;
  cluster.log(`kubernetes: upgrade-k8s --to ${to} through ${cp} (${why})`);
  try {
    await cluster.at(cp, ["upgrade-k8s", "--to", to, "--with-docs=false", "--with-examples=false"]);
  } catch (e) {
    throw new RolloutError(
      `kubernetes: upgrade-k8s --to ${to} failed: ${(e as Error).message}. It is safe to re-run: upgrade-k8s skips what is already at ${to}`,
    );
  }
}

/**
 * Runs before the config applies, so it gates on the nodes that already answer
 * with the cluster's credentials: a node being added in the same deploy does not
 * exist yet, and a dead one, still a Kubernetes Node, fails Talos' checks as it should.
 */
async function kubernetesUpgrade(cluster: Cluster, to: string): Promise<void> {
  if (!/^\d+\.\d+\.\d+$/.test(to)) throw new RolloutError(`--to ${to}: expected an exact Kubernetes release like 1.36.3`);
  await cluster.checkClient(undefined);
  const joined: { controlPlanes: string[]; workers: string[] } = { controlPlanes: [], workers: [] };
  const refused: string[] = [];
  for (const node of all(cluster.members)) {
    const release = await cluster.release(node);
    if (!release) {
      cluster.log(`${node}: does not answer on its Talos API yet (joining in this deploy?), not waited for`);
      continue;
    }
    (isControlPlane(cluster.members, node) ? joined.controlPlanes : joined.workers).push(node);
    const problem = kubernetesSupportProblem(release, to);
    if (problem) refused.push(`node ${node}: ${problem}`);
  }
  if (joined.controlPlanes.length === 0)
    throw new RolloutError(
      `no control plane of ${cluster.members.controlPlanes.join(", ")} answers on its Talos API; bring one back (talosctl -n <ip> dmesg) and re-run`,
    );
  if (refused.length)
    throw new RolloutError(
      `refusing Kubernetes ${to} before touching any node:\n  ${refused.join("\n  ")}\nupgrade Talos first (cluster.talos.version, one deploy), then Kubernetes`,
    );
  const scoped = new Cluster(cluster.ctl, joined, cluster.log);
  await scoped.gate(joined, `before the Kubernetes upgrade to ${to}`);
  await upgradeKubernetes(scoped, to, "the pinned release");
  await scoped.gate(joined, `after the Kubernetes upgrade to ${to}`);
  cluster.log(`kubernetes: ${to}, cluster healthy`);
}

interface Departure {
  readonly node: string;
  readonly hostname: string;
  readonly role: "controlplane" | "worker";
  readonly mode: "reset" | "forget";
}

/**
 * A retiring node leaves Talos, etcd and Kubernetes; the staying nodes must pass
 * Talos' checks afterwards. Each part is skipped when already done, so a re-run
 * after a failure finishes the job.
 */
async function leave(cluster: Cluster, kubectl: Tool, d: Departure): Promise<void> {
  await cluster.checkClient(undefined);
  const staying = cluster.members;
  const withNode: Members =
    d.role === "controlplane"
      ? { controlPlanes: [...staying.controlPlanes, d.node], workers: staying.workers }
      : { controlPlanes: staying.controlPlanes, workers: [...staying.workers, d.node] };

  if (d.mode === "reset" && (await cluster.release(d.node))) {
    // A member that leaves gracefully shrinks etcd with it (quorum follows), so the gate suffices.
    await cluster.gate(withNode, `before ${d.hostname} leaves`);
    cluster.log(`${d.node}: graceful reset (cordon, drain${d.role === "controlplane" ? ", leave etcd" : ""}, wipe, power off)`);
    await cluster.ctl([
      "--endpoints",
      d.node,
      "--nodes",
      d.node,
      "reset",
      "--graceful=true",
      "--reboot=false",
      "--wait",
      "--timeout",
      UPGRADE_TIMEOUT,
    ]);
  } else if (d.mode === "reset") {
    cluster.log(`${d.node}: does not answer on its Talos API: already reset`);
  }

  if (d.role === "controlplane") {
    const members = await cluster.etcdMembers(staying.controlPlanes[0]!);
    const member = members.find((m) => m.ip === d.node);
    if (member) {
      const others = members.filter((m) => m !== member);
      const healthy = await cluster.etcdStatus(others).then(
        () => true,
        () => false,
      );
      const quorum = Math.floor(members.length / 2) + 1;
      if (!healthy || others.length < quorum) {
        throw new RolloutError(
          `refusing to remove etcd member ${member.hostname} (${member.id}): the other ${members.length - 1} of ${members.length} members must all be healthy to keep quorum (${quorum}); check talosctl -n ${staying.controlPlanes[0]} etcd status, or recover the cluster (README, Operations: recover a lost control plane)`,
        );
      }
      cluster.log(`${d.node}: removing etcd member ${member.hostname} (${member.id})`);
      await cluster.at(staying.controlPlanes[0]!, ["etcd", "remove-member", member.id]);
    }
  }

  const present = (await kubectl(["get", "node", d.hostname, "--ignore-not-found", "-o", "name"])).trim();
  if (present) {
    cluster.log(`${d.hostname}: deleting the Kubernetes Node`);
    await kubectl(["delete", "node", d.hostname, "--ignore-not-found"]);
  }
  await cluster.gate(staying, `after ${d.hostname} left`);
  cluster.log(`${d.hostname}: left the cluster; the staying nodes are healthy`);
}

const list = (v: string | undefined) =>
  (v ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** A credential from `<NAME>_CONTENT` (what Pulumi passes) written to a private temporary file, else the `<NAME>` path. */
function credential(env: NodeJS.ProcessEnv, name: "TALOSCONFIG" | "KUBECONFIG", dir: string): string | undefined {
  const content = env[`${name}_CONTENT`];
  if (!content) return env[name];
  const file = join(dir, name.toLowerCase());
  writeFileSync(file, content, { mode: 0o600 });
  return file;
}

const USAGE =
  "usage: talos-upgrade.ts rollout --talos <release> --image <installer> --kubernetes <release> | kubernetes --to <release> | leave --node <ip> --hostname <name> --role controlplane|worker --mode reset|forget; each with --control-planes <ips> [--workers <ips>]";

/** The command line's work; `exec` runs talosctl and kubectl, `env` holds the credentials. */
export async function dayTwo(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  exec: Exec = execTool,
  log: Log = console.log,
): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    log(USAGE);
    return;
  }
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      talos: { type: "string" },
      image: { type: "string" },
      kubernetes: { type: "string" },
      to: { type: "string" },
      node: { type: "string" },
      hostname: { type: "string" },
      role: { type: "string" },
      mode: { type: "string" },
      "control-planes": { type: "string" },
      workers: { type: "string" },
    },
  });
  const command = positionals[0];
  if (command !== "rollout" && command !== "kubernetes" && command !== "leave") {
    throw new RolloutError(USAGE);
  }
  const members: Members = { controlPlanes: list(values["control-planes"]), workers: list(values.workers) };
  if (members.controlPlanes.length === 0) throw new RolloutError("--control-planes is required (the staying control planes' addresses)");

  const dir = mkdtempSync(join(tmpdir(), "talos-upgrade-"));
  try {
    const talosconfig = credential(env, "TALOSCONFIG", dir);
    if (!talosconfig)
      throw new RolloutError("no talosconfig: set TALOSCONFIG to its path (pulumi stack output --show-secrets talosconfig > talosconfig)");
    const cluster = new Cluster(
      tool(
        exec,
        "talosctl",
        ["--talosconfig", talosconfig],
        "talosctl is not on PATH; install the release the cluster runs or newer (README, Upgrading: what the workstation needs) and re-run",
      ),
      members,
      log,
    );
    if (command === "rollout") {
      if (!values.talos || !values.image || !values.kubernetes)
        throw new RolloutError("rollout needs --talos, --image (the schematic's installer, never the vanilla one) and --kubernetes");
      await rollout(cluster, values.talos, values.image, values.kubernetes);
    } else if (command === "kubernetes") {
      if (!values.to) throw new RolloutError("kubernetes needs --to");
      await kubernetesUpgrade(cluster, values.to);
    } else {
      const { node, hostname, role, mode } = values;
      if (!node || !hostname || (role !== "controlplane" && role !== "worker") || (mode !== "reset" && mode !== "forget")) {
        throw new RolloutError("leave needs --node, --hostname, --role controlplane|worker and --mode reset|forget");
      }
      const kubeconfig = credential(env, "KUBECONFIG", dir);
      if (!kubeconfig)
        throw new RolloutError("no kubeconfig: set KUBECONFIG to its path (pulumi stack output --show-secrets kubeconfig > kubeconfig)");
      const kubectl = tool(
        exec,
        "kubectl",
        ["--kubeconfig", kubeconfig],
        "kubectl is not on PATH; install it (https://kubernetes.io/docs/tasks/tools/) and re-run",
      );
      await leave(cluster, kubectl, { node, hostname, role, mode });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the operator (or the Command's log) reads for a refusal: the message, no stack trace. */
export function failureMessage(e: unknown): string | undefined {
  const usage = (e as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS");
  return e instanceof RolloutError || usage ? `talos-upgrade: ${(e as Error).message}` : undefined;
}

if (import.meta.main) {
  try {
    await dayTwo(process.argv.slice(2));
  } catch (e) {
    const message = failureMessage(e);
    if (!message) throw e;
    console.error(message);
    process.exitCode = 1;
  }
}
