import { hasHostFirewall } from "../../builders/talos-patches.ts";
import { TALOS_API_PORT } from "../../contract/talos.ts";
import { prefixLength } from "../../contract/net.ts";
import type { Add, KeyPath } from "./issue.ts";
import type { TalosClusterConfig } from "./parsed.ts";

/**
 * `pulumi up` applies each node's configuration through that node's Talos API
 * (:50000) from the machine it runs on. A firewall that does not admit that
 * machine is installed by the last apply that ever succeeds: afterwards
 * neither Pulumi nor talosctl reaches the node, and only its console can undo
 * it. The program cannot see the operator's address behind NAT or a VPN, so
 * it insists on an explicit, non-empty list that is not the whole internet.
 */
export function checkFirewall(cl: TalosClusterConfig, add: Add): void {
  const fw = cl.firewall;
  if (!fw.enabled) return;
  if (!hasHostFirewall(cl)) {
    // The patches follow the contract, not the installed release, so the contract decides.
    add(
      ["cluster", "firewall", "enabled"],
      `cluster.talos.configContract ${cl.talos.configContract} has no host firewall (NetworkRuleConfig arrived in contract v1.6); turn the firewall off, or raise cluster.talos.configContract to v1.6 or newer (with cluster.talos.allowConfigContractChange: true)`,
    );
  }
  const at: KeyPath = ["cluster", "firewall", "adminSubnets"];
  if (fw.adminSubnets?.length === 0) {
    add(
      at,
      `an empty list admits nobody to the Talos API (${TALOS_API_PORT}): the apply that installs the firewall would be the last that reaches the nodes; list the subnet pulumi up and talosctl run from (e.g. the node subnet ${cl.network.subnet} or your VPN's), or remove adminSubnets to default to the node subnet`,
    );
  }
  fw.adminSubnets?.forEach((subnet, i) => {
    if (prefixLength(subnet) === 0)
      add(
        [...at, i],
        `${subnet} opens the Talos API (${TALOS_API_PORT}) and the Kubernetes API to the whole internet, which is the firewall's whole point to prevent; list the subnets you administer the cluster from`,
      );
  });
}
