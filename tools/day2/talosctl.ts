/**
 * The cluster as talosctl sees it: releases, schematics, etcd members and
 * their status, Talos' health checks, staged configs. Every failure is a
 * RolloutError, whose message the operator reads without a stack trace.
 *
 * What the real tools print, and what they do, read at siderolabs/talos v1.13.9:
 * - `talosctl version`: the client section is `Talos v1.13.9` with --short
 *   (pkg/machinery/version/version.go Short), the server section is always the
 *   long template, `\tTag:         v1.13.9` (cmd/talosctl/cmd/talos/version.go).
 * - `talosctl upgrade` to a node newer than 1.13.0-alpha.2 goes through the
 *   LifecycleService (cmd/talosctl/cmd/talos/upgrade.go): none of the legacy
 *   path's etcd guards (internal/pkg/etcd/etcd.go ValidateForUpgrade: refuse a
 *   two-member cluster, every member started and healthy) run, so the rollout
 *   (rollout.ts) applies them itself before each control plane.
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
import { promisify } from "node:util";
import { compareMinor, formatRelease, parseTalosRelease, type TalosRelease } from "../../contract/talos-versions.ts";

/** How a tool runs: a child process here; the tests pass their fake tools' entry points. */
export type Exec = (binary: string, args: readonly string[]) => Promise<{ stdout: string }>;

export const execTool: Exec = (binary, args) => promisify(execFile)(binary, [...args], { maxBuffer: 16 * 1024 * 1024 });

/** How long one node's upgrade or reboot, one health wait and one reset may take. */
export const UPGRADE_TIMEOUT = "15m";
const HEALTH_TIMEOUT = "10m";

export class RolloutError extends Error {}

export interface Members {
  readonly controlPlanes: readonly string[];
  readonly workers: readonly string[];
}

export type Tool = (args: readonly string[]) => Promise<string>;

export function tool(exec: Exec, binary: string, prefix: readonly string[], missing: string): Tool {
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

export interface EtcdMember {
  readonly id: string;
  readonly hostname: string;
  readonly ip: string;
  readonly learner: boolean;
}

export type Log = (line: string) => void;

export class Cluster {
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
        `node ${node} does not answer on its Talos API (talosctl -n ${node} version); check the VM is running (talosctl -n ${node} dmesg), or retire it (docs/operations.md), then re-run`,
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
      ? `etcd has ${members} members and keeps quorum (${Math.floor(members / 2) + 1}) only while all of them run: taking one down for this step would stop the cluster; add a control plane (an odd number, three or more) or retire one (docs/operations.md), then re-run`
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

export const all = (m: Members) => [...m.controlPlanes, ...m.workers];
export const isControlPlane = (m: Members, node: string) => m.controlPlanes.includes(node);
