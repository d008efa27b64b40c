import { bootstrapNodeName } from "../../model/nodes.ts";
import type { Add } from "./issue.ts";
import type { TalosClusterConfig } from "./parsed.ts";

/**
 * Node removal and moves, as far as the config shows them. etcd loses quorum when
 * more than half of its members are gone, and a member leaves only when its node
 * is reset gracefully: one control plane per deploy, never the last, never the
 * node everything else points at.
 */
export function checkNodeLifecycle(cl: TalosClusterConfig, add: Add): void {
  const nodes = Object.entries(cl.nodes).sort(([a], [b]) => (a < b ? -1 : 1));
  const controlPlanes = nodes.filter(([, n]) => n.role === "controlplane");
  const staying = controlPlanes.filter(([, n]) => !n.retire).map(([name]) => name);
  const retiring = controlPlanes.filter(([, n]) => n.retire);
  const bootstrap = bootstrapNodeName(cl);

  if (cl.bootstrapNode && !controlPlanes.some(([name]) => name === cl.bootstrapNode)) {
    add(
      ["cluster", "bootstrapNode"],
      `names no control plane of cluster.nodes; use one of ${controlPlanes.map(([name]) => name).join(", ") || "(none: add a control plane)"}`,
    );
  }
  if (controlPlanes.length > 0 && staying.length === 0) {
    add(
      ["cluster", "nodes"],
      "every control plane is retiring, which would leave etcd without a member and the cluster without its state; add a control plane (and deploy it) before retiring the last one",
    );
  }
  retiring.slice(1).forEach(([name]) => {
    add(
      ["cluster", "nodes", name, "retire"],
      `${retiring[0]![0]} is retiring too, and etcd loses quorum if members leave together; retire one control plane per deploy: remove ${retiring[0]![0]} first, then set retire on this one`,
    );
  });
  for (const [name, n] of retiring) {
    if (n.retire === "forget" && controlPlanes.length < 3) {
      add(
        ["cluster", "nodes", name, "retire"],
        `etcd with ${controlPlanes.length} member${controlPlanes.length === 1 ? "" : "s"} has no quorum once one is dead, and forgetting the member cannot restore it; recover the control plane from an etcd snapshot (docs/operations.md: recover a lost control plane)`,
      );
    }
    if (name !== bootstrap || staying.length === 0) continue;
    if (!cl.network.vip) {
      add(
        ["cluster", "nodes", name, "retire"],
        `without cluster.network.vip the Kubernetes endpoint is this node's address (${n.ip}), which every node's config points at; keep this node, or rebuild the cluster with a VIP`,
      );
    } else {
      add(
        ["cluster", "nodes", name, "retire"],
        `it is the bootstrap node, which the kubeconfig is fetched from; set cluster.bootstrapNode to a control plane that stays (${staying[0]}) and deploy that first`,
      );
    }
  }

  const hosts = cl.proxmox.hosts;
  if (hosts) {
    for (const [name, n] of nodes) {
      if (!hosts.includes(n.proxmoxNode))
        add(
          ["cluster", "nodes", name, "proxmoxNode"],
          `${n.proxmoxNode} is not in cluster.proxmox.hosts (${hosts.join(", ")}); use one of them, or add the host to that list once it has joined the Proxmox cluster`,
        );
    }
  }
}
