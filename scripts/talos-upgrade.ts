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
 * What the real tools print, and what they do: tools/day2/talosctl.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Cluster, execTool, RolloutError, tool, type Exec, type Log, type Members } from "../tools/day2/talosctl.ts";
import { rollout } from "../tools/day2/rollout.ts";
import { kubernetesUpgrade } from "../tools/day2/kubernetes-upgrade.ts";
import { leave } from "../tools/day2/leave.ts";

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
        "talosctl is not on PATH; install the release the cluster runs or newer (docs/upgrading.md: what the workstation needs) and re-run",
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
