/** The Nodes table and the Talos day-2 section of summary.md, from the registered VMs, applies and rollout Commands. */
import type { RecordedResource } from "./recorder.ts";
import { TYPES } from "../contract/tokens.ts";
import { arr, obj, str, type Obj } from "../contract/props.ts";
import { markdownTable } from "./markdown.ts";

/** The Nodes table: each node's role and address, and where a VM backs it, its Proxmox host and VM id (the VM's name is the node's). */
export function nodesTable(outputs: Obj, resources: readonly RecordedResource[]): string {
  const vms = new Map(resources.filter((r) => r.type === TYPES.vm).map((r) => [str(r.inputs.name), r]));
  const nodes = arr(outputs.nodes).map(obj);
  if (vms.size === 0)
    return markdownTable(
      ["node", "role", "address"],
      nodes.map((n) => [str(n.name), str(n.role), str(n.ip)]),
    );
  return markdownTable(
    ["node", "role", "address", "Proxmox host", "VM id"],
    nodes.map((n) => {
      const vm = vms.get(str(n.name));
      return [str(n.name), str(n.role), str(n.ip), str(vm?.inputs.nodeName), str(vm?.inputs.vmId)];
    }),
  );
}

const ref = (r: RecordedResource) => `${r.type}::${r.name}`;

/** An argument of a rollout command line (`--to 'v1.13.10'`). */
function commandArg(line: string, flag: string): string {
  const at = line.indexOf(`'${flag}' `);
  return at < 0 ? "" : (/'([^']*)'/.exec(line.slice(at + flag.length + 3))?.[1] ?? "");
}

/** The staying nodes, in rollout order, from a command line's `--control-planes` and `--workers`. */
const rolloutNodes = (line: string): string[] =>
  [commandArg(line, "--control-planes"), commandArg(line, "--workers")].flatMap((v) => v.split(",")).filter(Boolean);

/**
 * Day 2 on Talos, from what is registered: the pinned contract and Kubernetes, the
 * rollout's order, and what a machine-config change can reboot. The nodes' installed
 * releases are not known offline: the rollout skips the nodes already at the release.
 */
export function talosDay2(resources: readonly RecordedResource[]): string[] {
  const secrets = resources.find((r) => r.type === TYPES.talosSecrets);
  if (!secrets) return [];
  const pinned = (secrets.options.replaceOnChanges ?? []).includes("talosVersion");
  const day2 = (mode: string) =>
    resources.filter(
      (r) => r.type === TYPES.command && str(r.inputs.update ?? r.inputs.create).startsWith(`'node' 'scripts/talos-upgrade.ts' '${mode}'`),
    );
  const rollout = day2("rollout")[0];
  const kubernetes = day2("kubernetes")[0];
  const leaves = day2("leave");
  const applies = resources.filter((r) => r.type === TYPES.configurationApply);
  const applyRefs = new Set(applies.map(ref));
  const chained = applies.filter((a) => (a.options.dependsOn ?? []).some((d) => applyRefs.has(d)));
  const out = ["## Talos upgrades and config changes", ""];
  out.push(
    `Config contract \`${str(secrets.inputs.talosVersion)}\`: ${pinned ? "pinned (the protected machine secrets refuse a change at preview)" : "change allowed this run (cluster.talos.allowConfigContractChange)"}.`,
    "",
  );
  if (kubernetes) {
    out.push(
      `Kubernetes \`${commandArg(str(kubernetes.inputs.update), "--to")}\`, pinned: a change runs \`talosctl upgrade-k8s\` (${kubernetes.name}) before any config apply, so the applied configs never move Kubernetes themselves.`,
      "",
    );
  }
  for (const leave of leaves) {
    const line = str(leave.inputs.create);
    out.push(
      `Leaving: ${commandArg(line, "--hostname")} (${commandArg(line, "--node")}, ${commandArg(line, "--mode")}) before the health check (${leave.name}): ${commandArg(line, "--mode") === "reset" ? "drained, out of etcd, wiped" : "its etcd member removed by ID"}, its Kubernetes Node deleted.`,
      "",
    );
  }
  if (rollout) {
    const line = str(rollout.inputs.update);
    out.push(
      `Rollout (${rollout.name}, after the health check) to \`${commandArg(line, "--talos")}\` with the schematic's installer \`${commandArg(line, "--image")}\`: one node at a time, the cluster and every etcd member healthy before the first and after each; nodes already at the release are skipped, nodes with a staged config change are rebooted the same way, then \`upgrade-k8s --to ${commandArg(line, "--kubernetes")}\` syncs the bootstrap manifests:`,
      "",
    );
    out.push(
      markdownTable(
        ["step", "address"],
        rolloutNodes(line).map((ip, i) => [String(i + 1), ip]),
      ),
      "",
    );
  }
  const modes = [...new Set(applies.map((a) => str(a.inputs.applyMode) || "auto"))];
  out.push(
    `Machine-config applies: mode ${modes.map((m) => `\`${m}\``).join(", ")}; ${chained.length} control-plane appl${chained.length === 1 ? "y waits" : "ies wait"} for the one before. A change that needs a reboot is staged and reboots no node at apply time; the rollout then reboots each such node in turn. Where the provider's dry run cannot reach a node the preview shows its resolvedApplyMode as \`auto\`: only that node may reboot at apply time.`,
    "",
  );
  return out;
}
