import type { ParsedConfig } from "../../model/schema.ts";
import { DEFAULTS } from "../../model/defaults.ts";
import { cidrRange, hasHostBits, networkOf, rangesOverlap } from "../../contract/net.ts";
import type { Add, KeyPath } from "./issue.ts";
import { addressClaims, poolClaims } from "./addresses.ts";
import { appsWithNetworkPolicy } from "./network-policies.ts";
import { PLACEMENT } from "../../model/placement.ts";

/**
 * A host-network Traefik reaches pods on other nodes from the CNI's tunnel
 * address, which lies in the pod network, so the allow-traefik NetworkPolicies
 * must admit that network and the config must know it. Pod and node addresses
 * must not overlap: pod routes would shadow the nodes, the VIP or MetalLB's
 * addresses, and the policies would admit those as if they were pod traffic.
 */
export function checkPodNetwork(c: ParsedConfig, add: Add): void {
  const cl = c.cluster;
  const policyApps = appsWithNetworkPolicy(c);
  const placement = c.traefik.placement;
  if (cl.provider === "talos") {
    const pods = DEFAULTS.talos.podSubnet;
    if (rangesOverlap(cidrRange(cl.network.subnet), cidrRange(pods))) {
      add(
        ["cluster", "network", "subnet"],
        `${cl.network.subnet} overlaps ${pods}, the pod network Talos gives pods (its default, which this stack keeps): pod routes would shadow node addresses; use a node subnet outside ${pods}`,
      );
    }
    return;
  }
  const at: KeyPath = ["cluster", "network", "podSubnet"];
  if (
    PLACEMENT[placement].hostNodes === "controlPlanes" &&
    policyApps.length > 0 &&
    !Object.values(cl.nodes).some((n) => n.role === "controlplane")
  ) {
    add(
      ["cluster", "nodes"],
      `placement controlplane: the allow-traefik NetworkPolicies (for apps ${policyApps.join(", ")}) admit Traefik by the addresses of the control planes it runs on; list the cluster's control-plane nodes (role: controlplane, ip)`,
    );
  }
  const pods = cl.network.podSubnet;
  if (!pods) {
    if (PLACEMENT[placement].hostNetwork && policyApps.length > 0) {
      add(
        at,
        `placement ${placement} runs Traefik on the host network, and its connections to pods on other nodes come from the CNI's tunnel address inside the pod network (10.42.x.0 with k3s' flannel), which the allow-traefik NetworkPolicies (for apps ${policyApps.join(", ")}) must admit; set cluster.network.podSubnet to your CNI's pod CIDR, e.g. 10.42.0.0/16 on k3s`,
      );
    }
    return;
  }
  if (hasHostBits(pods)) add(at, `${pods} has host bits set; did you mean ${networkOf(pods)}?`);
  const range = cidrRange(pods);
  const conflicts: string[] = [];
  if (cl.network.subnet && rangesOverlap(range, cidrRange(cl.network.subnet))) {
    conflicts.push(`cluster.network.subnet ${cl.network.subnet}`);
  } else {
    for (const claim of [...addressClaims(c), ...poolClaims(c)]) if (rangesOverlap(range, claim.range)) conflicts.push(claim.label);
  }
  if (conflicts.length > 0) {
    add(
      at,
      `${pods} overlaps ${conflicts.join(", ")}: pods and the node network cannot share addresses; set it to your CNI's pod CIDR (kubectl get nodes -o jsonpath='{.items[*].spec.podCIDR}' lists each node's share of it)`,
    );
  }
}
