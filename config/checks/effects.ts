/**
 * Settings that do nothing in the configuration around them, and names two
 * features would both claim. A setting the program silently ignores reads as
 * if it were in force (an ingress restriction that restricts nothing); a
 * namespace two components create fails halfway through a deploy, reported
 * against a manifest instead of the key. Same contract as index.ts: report on
 * the key to edit, say what to do.
 */
import type { ParsedConfig } from "../../model/schema.ts";
import type { Add, ConfigIssue, KeyPath } from "./issue.ts";
import { CERT_MANAGER_NAMESPACE } from "../../builders/cert-manager.ts";
import { ETCD_BACKUP_NAMESPACE } from "../../builders/etcd-backup.ts";
import { METALLB_NAMESPACE } from "../../builders/metallb.ts";
import { TRAEFIK_NAMESPACE } from "../../builders/traefik-names.ts";
import { PRIVATE_IPV4, cidrRange, isPublicIpv4, prefixLength, rangesOverlap } from "../../contract/net.ts";
import { isProxied } from "../../model/apps.ts";
import { metallbEnabled } from "../../model/entry.ts";
import { PLACEMENT } from "../../model/placement.ts";

/**
 * Namespaces Kubernetes creates itself: creating one again fails, and the
 * Pod Security label the stack puts on a namespace it creates would relabel
 * kube-system (whose pods need privileged) as restricted.
 */
export function isSystemNamespace(name: string): boolean {
  return name === "default" || name.startsWith("kube-");
}

export function checkEffects(c: ParsedConfig, add: Add): void {
  checkNamespaceClaims(c, add);
  const cl = c.cluster;
  if (cl.provider === "talos" && cl.firewall.enabled && !PLACEMENT[c.traefik.placement].hostNetwork && cl.firewall.ingressSources) {
    add(
      ["cluster", "firewall", "ingressSources"],
      "placement deployment: Traefik answers on a MetalLB address whose traffic is forwarded to its pods, which the host firewall does not filter, so this list restricts nothing; remove it (restrict clients per app with middlewares.ipAllowList), or use placement daemonset or controlplane",
    );
  }
}

/** Every namespace the stack creates, by the key that makes it do so: one key per namespace. */
function checkNamespaceClaims(c: ParsedConfig, add: Add): void {
  const claims: { readonly name: string; readonly path: KeyPath; readonly what: string }[] = [
    { name: TRAEFIK_NAMESPACE, path: ["traefik"], what: "Traefik's namespace" },
    { name: CERT_MANAGER_NAMESPACE, path: ["certManager"], what: "cert-manager's namespace" },
    ...(metallbEnabled(c) ? [{ name: METALLB_NAMESPACE, path: ["metallb"], what: "MetalLB's namespace" }] : []),
    ...(c.cluster.provider === "talos" && c.cluster.backup
      ? [{ name: ETCD_BACKUP_NAMESPACE, path: ["cluster", "backup"], what: "the etcd backup's namespace" }]
      : []),
    ...(c.tunnel.enabled ? [{ name: c.tunnel.namespace, path: ["tunnel", "namespace"], what: "cloudflared's namespace" }] : []),
    ...Object.keys(c.namespaces)
      .sort()
      .map((name) => ({ name, path: ["namespaces", name], what: "an app namespace" })),
  ];
  const owners = new Map<string, (typeof claims)[number]>();
  for (const claim of claims) {
    if (isSystemNamespace(claim.name)) {
      add(
        claim.path,
        `Kubernetes creates namespace ${claim.name} itself, so creating it again fails at deploy time${claim.path[0] === "tunnel" ? " (and the stack would relabel it Pod Security restricted)" : ""}; ${claim.path[0] === "namespaces" ? "remove it from namespaces (apps may still use it)" : "choose a namespace of its own"}`,
      );
      continue;
    }
    const owner = owners.get(claim.name);
    if (!owner) owners.set(claim.name, claim);
    else
      add(
        claim.path,
        `namespace ${claim.name} is already ${owner.what} (${owner.path.join(".")}), and one namespace is created by one component; choose another name`,
      );
  }
}

/** Settings that take effect but probably not as meant. */
export function effectWarnings(c: ParsedConfig): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  const cl = c.cluster;
  if (cl.provider !== "talos") return warnings;
  const fw = cl.firewall;
  if (!fw.enabled && (fw.adminSubnets || fw.ingressSources)) {
    warnings.push({
      path: ["cluster", "firewall", "enabled"],
      message:
        "the host firewall is off, so adminSubnets and ingressSources change nothing yet; set enabled: true once adminSubnets names where you administer the cluster from (docs/networking.md, host firewall)",
    });
  }
  const sources = fw.ingressSources;
  // Only a host-network Traefik listens on the nodes, where the host firewall filters its clients.
  if (!fw.enabled || !PLACEMENT[c.traefik.placement].hostNetwork || !sources) return warnings;
  // Unproxied hosts resolve to the nodes themselves (builders/dns.ts originAddresses): their clients are
  // whoever can route to those addresses, the internet for public ones, private networks otherwise.
  const publicNodes = Object.values(cl.nodes).some((n) => isPublicIpv4(n.ip));
  const admitted = publicNodes
    ? sources.some((s) => prefixLength(s) === 0)
    : sources.some((s) => PRIVATE_IPV4.some((lan) => rangesOverlap(cidrRange(s), cidrRange(lan))));
  const unproxied = Object.entries(c.apps)
    .filter(([, a]) => !isProxied(a, c.dns))
    .map(([name]) => name)
    .sort();
  if (!admitted && unproxied.length > 0) {
    warnings.push({
      path: ["cluster", "firewall", "ingressSources"],
      message: `placement ${c.traefik.placement} with the host firewall: the unproxied apps ${unproxied.join(", ")} resolve to the nodes' addresses, whose clients come from ${publicNodes ? "the internet" : "private networks"}, and this list admits none of them, so only Cloudflare reaches :80/:443; add the clients' ranges (${publicNodes ? "0.0.0.0/0" : "your LAN or VPN, e.g. the node subnet"}), or proxy the apps`,
    });
  }
  return warnings;
}
