/**
 * Talos' host firewall as machine-config documents: inbound connections to a
 * node are blocked unless a rule admits their source, so the Talos and
 * Kubernetes APIs answer only the operator's subnets, the cluster's own
 * traffic flows between its nodes, and a host-network Traefik takes :80/:443
 * only from Cloudflare's edge (proxied apps) and the configured sources.
 *
 * Talos' chain hooks `input`: it filters what the node itself receives, never
 * what is forwarded to pods (a MetalLB address reaching Traefik's pods), and
 * always admits loopback, established connections and rate-limited ICMP.
 */
import type { TalosClusterSpec, TalosFirewallSpec, TalosNode } from "../model/resolve.ts";
import { byAddress, cidrRange, networkOf, rangeWithin } from "../contract/net.ts";
import type { TalosPatch } from "./talos-patches.ts";

import {
  ETCD_PORTS,
  FLANNEL_VXLAN_PORT,
  KUBELET_PORT,
  KUBERNETES_API_PORT,
  METALLB_MEMBERLIST_PORT,
  TALOS_API_PORT,
  TRUSTD_PORT,
} from "../contract/talos.ts";
import { controlPlanes } from "../model/nodes.ts";

export const INGRESS_PORTS = [80, 443] as const;

type Protocol = "tcp" | "udp";

/** A NetworkRuleConfig: who may open these ports on the node. */
export type FirewallRule = {
  readonly apiVersion: "v1alpha1";
  readonly kind: "NetworkRuleConfig";
  readonly name: string;
  readonly portSelector: { readonly ports: readonly (number | string)[]; readonly protocol: Protocol };
  readonly ingress: readonly { readonly subnet: string }[];
};

const hostCidr = (ip: string) => `${ip}/32`;

function bySubnet(a: string, b: string): number {
  const [ipA, prefixA] = a.split("/");
  const [ipB, prefixB] = b.split("/");
  return byAddress(ipA!, ipB!) || Number(prefixA) - Number(prefixB);
}

function rule(name: string, ports: readonly (number | string)[], protocol: Protocol, sources: readonly string[]): FirewallRule {
  // As network addresses, and without a source another one covers (a node inside an admin subnet).
  const unique = [...new Set(sources.map(networkOf))];
  const subnets = unique.filter((s) => !unique.some((o) => o !== s && rangeWithin(cidrRange(s), cidrRange(o)))).sort(bySubnet);
  return {
    apiVersion: "v1alpha1",
    kind: "NetworkRuleConfig",
    name,
    portSelector: { ports: [...ports], protocol },
    ingress: subnets.map((subnet) => ({ subnet })),
  };
}

/**
 * The firewall documents of one node: the block default, then one rule per
 * service it runs. `cloudflareIpv4` is Cloudflare's deploy-time list, needed
 * only when the node serves proxied apps on :80/:443.
 */
export function firewallDocuments(cluster: TalosClusterSpec, node: TalosNode, cloudflareIpv4: readonly string[] | undefined): TalosPatch[] {
  const fw = cluster.firewall;
  if (!fw) return [];
  const nodes = cluster.nodes.map((n) => hostCidr(n.ip));
  const controlPlaneAddresses = controlPlanes(cluster).map((n) => hostCidr(n.ip));
  const pods = cluster.network.podSubnet;
  const isControlPlane = node.role === "controlplane";
  const rules: FirewallRule[] = [
    // Control planes' apid proxies talosctl's requests to the other nodes.
    rule("apid-ingress", [TALOS_API_PORT], "tcp", [...fw.adminSubnets, ...nodes]),
    // The API server, metrics-server and kubectl logs/exec reach the kubelet.
    rule("kubelet-ingress", [KUBELET_PORT], "tcp", [...nodes, pods]),
    rule("cni-vxlan", [FLANNEL_VXLAN_PORT], "udp", nodes),
  ];
  if (isControlPlane) {
    rules.push(
      // Pods reach the API server through the kubernetes Service, with their own addresses.
      rule("kubernetes-api-ingress", [KUBERNETES_API_PORT], "tcp", [...fw.adminSubnets, ...nodes, pods]),
      // Nodes fetch their certificates from the control planes' trustd.
      rule("trustd-ingress", [TRUSTD_PORT], "tcp", nodes),
      rule("etcd-ingress", [ETCD_PORTS], "tcp", controlPlaneAddresses),
    );
    // talos-backup calls the control planes' apid from its pod (Talos' Kubernetes API access gives
    // its ServiceAccount an os:etcd:backup client certificate). A pod on another node arrives
    // masqueraded as that node, but one on this control plane (workloads on control planes) keeps
    // its pod address, which the rule above does not admit: the snapshot would time out.
    if (cluster.backup) rules.push(rule("apid-ingress-etcd-backup", [TALOS_API_PORT], "tcp", [pods]));
  }
  if (fw.metallb) {
    rules.push(
      rule("metallb-memberlist-tcp", [METALLB_MEMBERLIST_PORT], "tcp", nodes),
      rule("metallb-memberlist-udp", [METALLB_MEMBERLIST_PORT], "udp", nodes),
    );
  }
  if (fw.ingressNodes.includes(node.name))
    rules.push(rule("traefik-ingress", INGRESS_PORTS, "tcp", ingressSources(fw, pods, cloudflareIpv4)));
  return [{ apiVersion: "v1alpha1", kind: "NetworkDefaultActionConfig", ingress: "block" }, ...rules];
}

function ingressSources(fw: TalosFirewallSpec, pods: string, cloudflareIpv4: readonly string[] | undefined): string[] {
  if (fw.ingressFromCloudflare && !cloudflareIpv4) {
    throw new Error("cluster.firewall admits proxied apps from Cloudflare's ranges: pass the deploy-time lookup");
  }
  // In-cluster clients of an app's public host name reach the node from the pod network.
  return [...(fw.ingressFromCloudflare ? cloudflareIpv4! : []), ...fw.ingressSources, pods];
}
