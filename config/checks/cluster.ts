/**
 * Rules of the cluster's nodes and network: an existing cluster's kubeconfig is
 * a secret, a Talos cluster has a control plane, and every address lies in the
 * node subnet with VM ids and MACs unique.
 */
import type { ParsedConfig } from "../../model/schema.ts";
import { cidrRange, hasHostBits, networkOf, rangeContains } from "../../contract/net.ts";
import type { Add, ConfigIssue, KeyPath } from "./issue.ts";
import { checkFirewall } from "./firewall.ts";
import { checkNodeLifecycle } from "./node-lifecycle.ts";
import { checkEtcdBackup } from "./etcd-backup.ts";

export function checkCluster(c: ParsedConfig, secretKeys: ReadonlySet<string>, add: Add): void {
  const cl = c.cluster;
  if (cl.provider === "existing") {
    const key = cl.kubeconfigSecret;
    if (Object.hasOwn(c, key) || !secretKeys.has(key)) {
      add(
        ["cluster", "kubeconfigSecret"],
        `homelab:${key} is not a secret config value; store the cluster's kubeconfig with: pulumi config set --secret homelab:${key} < ~/.kube/config`,
      );
    }
    return;
  }
  const nodes = Object.entries(cl.nodes);
  const controlPlanes = nodes.filter(([, n]) => n.role === "controlplane");
  if (controlPlanes.length === 0) {
    add(["cluster", "nodes"], "needs at least one node with role controlplane; Talos cannot bootstrap etcd without one");
  }
  if (nodes.length > 0 && nodes.every(([, n]) => n.role === "controlplane") && !cl.allowSchedulingOnControlPlanes) {
    add(
      ["cluster", "allowSchedulingOnControlPlanes"],
      "every node is a control plane, so no workload could be scheduled; set it to true (Talos then also lets MetalLB announce from control planes) or add a worker node",
    );
  }
  if (hasHostBits(cl.network.subnet)) {
    add(["cluster", "network", "subnet"], `${cl.network.subnet} has host bits set; did you mean ${networkOf(cl.network.subnet)}?`);
  }
  const subnet = cidrRange(cl.network.subnet);
  const outside = (path: KeyPath, ip: string, what: string) => {
    if (!rangeContains(subnet, ip))
      add(
        path,
        `${what} ${ip} is outside cluster.network.subnet ${cl.network.subnet}; use an address inside the subnet or widen the subnet`,
      );
  };
  if (cl.network.gateway) outside(["cluster", "network", "gateway"], cl.network.gateway, "gateway");
  if (cl.network.vip) outside(["cluster", "network", "vip"], cl.network.vip, "VIP");
  for (const [name, n] of nodes) outside(["cluster", "nodes", name, "ip"], n.ip, "node address");
  checkFirewall(cl, add);

  const firstOwner = new Map<string, string>();
  for (const [name, n] of nodes) {
    const key = `vm:${n.vmId}`;
    const owner = firstOwner.get(key);
    if (owner)
      add(
        ["cluster", "nodes", name, "vmId"],
        `VM id ${n.vmId} is also used by cluster.nodes.${owner}.vmId; Proxmox VM ids are unique across the whole Proxmox cluster`,
      );
    else firstOwner.set(key, name);
    if (n.macAddress) {
      const macKey = `mac:${n.macAddress.toUpperCase()}`;
      const macOwner = firstOwner.get(macKey);
      if (macOwner)
        add(
          ["cluster", "nodes", name, "macAddress"],
          `MAC ${n.macAddress} is also used by cluster.nodes.${macOwner}.macAddress; give each VM its own MAC or leave it unset`,
        );
      else firstOwner.set(macKey, name);
    }
  }
  checkNodeLifecycle(cl, add);
  checkEtcdBackup(c, cl, secretKeys, add);
}

/** An even number of control planes tolerates no more failures than one fewer. */
export function clusterWarnings(c: ParsedConfig): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  if (c.cluster.provider === "talos") {
    const cps = Object.values(c.cluster.nodes).filter((n) => n.role === "controlplane").length;
    if (cps > 1 && cps % 2 === 0) {
      warnings.push({
        path: ["cluster", "nodes"],
        message: `${cps} control planes: etcd quorum tolerates no more failures than ${cps - 1} would; an odd number is recommended`,
      });
    }
  }
  return warnings;
}
