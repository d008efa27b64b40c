/**
 * Rolling Talos and Kubernetes upgrades with talosctl, one node at a time.
 * `pulumi up` runs it per node (components/talos-cluster.ts chains one Command
 * per node, control planes first); an operator runs the same thing by hand:
 *
 *   node scripts/talos-upgrade.ts os --to v1.13.10 --image factory.talos.dev/nocloud-installer/<schematic>:v1.13.10 \
 *     --nodes 10.0.10.11,10.0.10.12 --control-planes 10.0.10.11,10.0.10.12,10.0.10.13 --workers 10.0.10.21
 *   node scripts/talos-upgrade.ts kubernetes --to 1.36.3 --control-planes … --workers …
 *
 * The talosconfig comes from TALOSCONFIG_CONTENT (what Pulumi passes, as a
 * secret) or a TALOSCONFIG path. Before touching any node it checks talosctl
 * and every node's reported release: a downgrade or a jump over a minor
 * release stops it there. Each node is then upgraded with the schematic's own
 * installer (a vanilla installer would drop extensions and `net.ifnames=0`),
 * must report the new release and schematic, and the cluster must be healthy (etcd members,
 * API server, nodes Ready) before the next node starts. Nodes already at the
 * release and schematic are skipped, so a re-run continues where a failure
 * stopped, and a schematic change (extensions, kernel arguments) at the same
 * release is rolled out the same way.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import { compareMinor, formatRelease, parseTalosRelease, upgradeStepProblem, type TalosRelease } from "../policies/platform/talos-versions.ts";

const run = promisify(execFile);

/** How long one node's upgrade (reboot included) and one health wait may take. */
const UPGRADE_TIMEOUT = "15m";
const HEALTH_TIMEOUT = "10m";

class RolloutError extends Error {}

interface Cluster {
  readonly controlPlanes: readonly string[];
  readonly workers: readonly string[];
}

function talosctl(talosconfig: string | undefined) {
  return async (args: readonly string[]): Promise<string> => {
    const full = talosconfig ? ["--talosconfig", talosconfig, ...args] : [...args];
    try {
      const { stdout } = await run("talosctl", full, { maxBuffer: 16 * 1024 * 1024 });
      return stdout;
    } catch (e) {
      const err = e as NodeJS.ErrnoException & { stderr?: string };
      if (err.code === "ENOENT") throw new RolloutError("talosctl is not on PATH; install the release the cluster runs (https://www.talos.dev/latest/talos-guides/install/talosctl/) and re-run");
      throw new RolloutError(`talosctl ${args.join(" ")} failed: ${(err.stderr ?? err.message).trim()}`);
    }
  };
}

type Talosctl = ReturnType<typeof talosctl>;

/** The release a `talosctl version` section reports: `Tag: v1.13.9` (long form) or `Talos v1.13.9` (--short), never the NODE address. */
function reportedRelease(section: string): TalosRelease | undefined {
  const match = /(?:Tag:|Talos)\s+(v\d+\.\d+\.\d+)/.exec(section);
  return match ? parseTalosRelease(match[1]!) : undefined;
}

/** The release talosctl itself reports (`Client:` section). */
async function checkClient(ctl: Talosctl, target: TalosRelease | undefined): Promise<void> {
  const out = await ctl(["version", "--client", "--short"]);
  const client = reportedRelease(out);
  if (!client) throw new RolloutError(`talosctl version --client printed no release: ${out.trim()}`);
  if (target && compareMinor(client, target) < 0) {
    throw new RolloutError(`talosctl ${formatRelease(client)} is older than the target ${formatRelease(target)}; install talosctl ${formatRelease(target)} or newer (and the pinned version in .github/workflows) and re-run`);
  }
}

/** The release a node's Talos API reports (the `Server:` section of `talosctl version`). */
async function nodeRelease(ctl: Talosctl, node: string): Promise<TalosRelease> {
  const out = await ctl(["--nodes", node, "version", "--short"]);
  const release = out.includes("Server:") ? reportedRelease(out.slice(out.indexOf("Server:"))) : undefined;
  if (!release) throw new RolloutError(`node ${node}: talosctl version reported no server release; check the node answers on its Talos API (talosctl -n ${node} dmesg) and re-run`);
  return release;
}

/**
 * The Image Factory schematic a node booted: installers from the factory carry a
 * `schematic` extension whose version is the schematic id. A node at the right
 * release with another schematic (extensions or kernel arguments changed) still
 * needs the upgrade.
 */
async function nodeSchematic(ctl: Talosctl, node: string): Promise<string | undefined> {
  const out = await ctl(["--nodes", node, "get", "extensions"]);
  for (const line of out.split("\n")) {
    const columns = line.trim().split(/\s+/);
    if (columns.at(-2) === "schematic") return columns.at(-1);
  }
  return undefined;
}

/** `factory.talos.dev/nocloud-installer/<schematic>:v1.13.10` → `<schematic>` */
const installerSchematic = (image: string) => /\/([0-9a-f]{64}):[^/]+$/.exec(image)?.[1];

async function checkHealthy(ctl: Talosctl, cluster: Cluster, after: string): Promise<void> {
  const cp = cluster.controlPlanes[0]!;
  try {
    await ctl([
      "--nodes", cp, "health",
      "--control-plane-nodes", cluster.controlPlanes.join(","),
      ...(cluster.workers.length ? ["--worker-nodes", cluster.workers.join(",")] : []),
      "--wait-timeout", HEALTH_TIMEOUT,
    ]);
    const members = (await ctl(["--nodes", cp, "etcd", "members"])).split("\n").filter((l) => l.trim() && !/^\s*NODE\s/.test(l));
    if (members.length !== cluster.controlPlanes.length) {
      throw new RolloutError(`etcd has ${members.length} members, expected ${cluster.controlPlanes.length} (one per control plane)`);
    }
  } catch (e) {
    throw new RolloutError(`cluster not healthy after ${after}: ${(e as Error).message}. Nothing further was upgraded; inspect with talosctl -n ${cp} health, talosctl -n ${cp} etcd members and kubectl get nodes, fix it, then re-run (nodes already done are skipped)`);
  }
}

async function upgradeOs(ctl: Talosctl, cluster: Cluster, nodes: readonly string[], to: string, image: string): Promise<void> {
  const target = parseTalosRelease(to);
  if (!target || target.patch === undefined) throw new RolloutError(`--to ${to}: expected an exact Talos release like v1.13.10`);
  if (!image.endsWith(`:${formatRelease(target)}`)) throw new RolloutError(`--image ${image} is not the installer of ${formatRelease(target)}`);
  await checkClient(ctl, target);

  const all = [...cluster.controlPlanes, ...cluster.workers];
  const reported = new Map<string, TalosRelease>();
  for (const node of all) reported.set(node, await nodeRelease(ctl, node));
  const refused = all.flatMap((node) => {
    const problem = upgradeStepProblem(reported.get(node)!, target);
    return problem ? [`node ${node}: ${problem}`] : [];
  });
  if (refused.length) throw new RolloutError(`refusing the upgrade to ${formatRelease(target)} before touching any node:\n  ${refused.join("\n  ")}\nset cluster.talos.version to a release one minor step from every node's (or back to the installed one) and re-run`);

  const schematic = installerSchematic(image);
  for (const node of nodes) {
    const before = reported.get(node) ?? await nodeRelease(ctl, node);
    const booted = await nodeSchematic(ctl, node);
    if (formatRelease(before) === formatRelease(target) && booted === schematic) {
      console.log(`${node}: already ${formatRelease(target)} with schematic ${schematic?.slice(0, 12)}, skipped`);
      continue;
    }
    console.log(`${node}: upgrading ${formatRelease(before)} → ${formatRelease(target)} with ${image}${booted !== schematic ? ` (schematic ${booted?.slice(0, 12) ?? "none"} → ${schematic?.slice(0, 12)})` : ""}`);
    try {
      await ctl(["--nodes", node, "upgrade", "--image", image, "--wait", "--timeout", UPGRADE_TIMEOUT]);
    } catch (e) {
      throw new RolloutError(`node ${node}: upgrade to ${formatRelease(target)} failed: ${(e as Error).message}. The rollout stopped here; see README "Upgrading" (talosctl -n ${node} dmesg, talosctl -n ${node} rollback if it booted badly), then re-run`);
    }
    const after = await nodeRelease(ctl, node);
    if (formatRelease(after) !== formatRelease(target)) {
      throw new RolloutError(`node ${node}: still reports ${formatRelease(after)} after the upgrade to ${formatRelease(target)} (Talos may have rolled back); check talosctl -n ${node} dmesg, then re-run`);
    }
    const bootedAfter = await nodeSchematic(ctl, node);
    if (bootedAfter !== schematic) {
      throw new RolloutError(`node ${node}: booted schematic ${bootedAfter ?? "none"} after the upgrade, not ${schematic}; check talosctl -n ${node} get extensions, then re-run`);
    }
    await checkHealthy(ctl, cluster, `upgrading ${node}`);
    console.log(`${node}: ${formatRelease(target)}, cluster healthy`);
  }
}

async function upgradeKubernetes(ctl: Talosctl, cluster: Cluster, to: string): Promise<void> {
  if (!/^v?\d+\.\d+\.\d+$/.test(to)) throw new RolloutError(`--to ${to}: expected an exact Kubernetes release like 1.36.3`);
  await checkClient(ctl, undefined);
  const cp = cluster.controlPlanes[0]!;
  console.log(`kubernetes: upgrading to ${to} through ${cp}`);
  try {
    // upgrade-k8s rolls the control-plane components node by node and then the kubelets, skipping those already at the release.
    await ctl(["--nodes", cp, "upgrade-k8s", "--to", to.replace(/^v/, "")]);
  } catch (e) {
    throw new RolloutError(`kubernetes upgrade to ${to} failed: ${(e as Error).message}. It is safe to re-run: upgrade-k8s skips what is already at ${to}`);
  }
  await checkHealthy(ctl, cluster, `the Kubernetes upgrade to ${to}`);
  console.log(`kubernetes: ${to}, cluster healthy`);
}

const list = (v: string | undefined) => (v ?? "").split(",").map((s) => s.trim()).filter(Boolean);

const USAGE = "usage: talos-upgrade.ts os|kubernetes --to <release> [--image <installer> --nodes <ips>] --control-planes <ips> [--workers <ips>]";

async function main(argv: readonly string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE);
    return;
  }
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      to: { type: "string" },
      image: { type: "string" },
      nodes: { type: "string" },
      "control-planes": { type: "string" },
      workers: { type: "string" },
    },
  });
  const mode = positionals[0];
  const cluster: Cluster = { controlPlanes: list(values["control-planes"]), workers: list(values.workers) };
  if (mode !== "os" && mode !== "kubernetes") throw new RolloutError(USAGE);
  if (!values.to) throw new RolloutError("--to is required");
  if (cluster.controlPlanes.length === 0) throw new RolloutError("--control-planes is required (the control planes' addresses)");

  let dir: string | undefined;
  let talosconfig = process.env.TALOSCONFIG;
  if (process.env.TALOSCONFIG_CONTENT) {
    dir = mkdtempSync(join(tmpdir(), "talos-upgrade-"));
    talosconfig = join(dir, "talosconfig");
    writeFileSync(talosconfig, process.env.TALOSCONFIG_CONTENT, { mode: 0o600 });
  }
  if (!talosconfig) throw new RolloutError("no talosconfig: set TALOSCONFIG to its path (pulumi stack output --show-secrets talosconfig > talosconfig)");
  try {
    const ctl = talosctl(talosconfig);
    if (mode === "os") {
      if (!values.image) throw new RolloutError("--image is required: the schematic's installer (Image Factory urls.installer), never the vanilla one");
      await upgradeOs(ctl, cluster, list(values.nodes), values.to, values.image);
    } else {
      await upgradeKubernetes(ctl, cluster, values.to);
    }
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

try {
  await main(process.argv.slice(2));
} catch (e) {
  const usage = (e as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS");
  if (!(e instanceof RolloutError) && !usage) throw e;
  console.error(`talos-upgrade: ${(e as Error).message}`);
  process.exitCode = 1;
}
