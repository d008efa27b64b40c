/**
 * The allow-traefik NetworkPolicies and default deny, against what the
 * cluster enforces and where Traefik runs.
 */
import type { ParsedConfig } from "../../model/schema.ts";
import { own } from "../../model/own.ts";
import type { Add, ConfigIssue } from "./issue.ts";
import { podNetworkOf, networkPolicyEnforcer } from "../../model/network-policies.ts";
import { admitsTraefik } from "../../model/apps.ts";
import { PLACEMENT } from "../../model/placement.ts";

/** Apps whose namespace gets the allow-traefik NetworkPolicy for them (every in-cluster app that does not opt out), sorted. */
export function appsWithNetworkPolicy(c: ParsedConfig): string[] {
  return Object.entries(c.apps)
    .filter(([, a]) => admitsTraefik(a))
    .map(([name]) => name)
    .sort();
}

/** Why the cluster enforces no NetworkPolicy, and how to make it, for messages. */
function missingEnforcement(c: ParsedConfig): string | undefined {
  if (networkPolicyEnforcer(c.cluster)) return undefined;
  return c.cluster.provider === "talos"
    ? `cluster.talos.configContract ${c.cluster.talos.configContract} runs Flannel without kube-network-policies (contract v1.13 deploys it beside Flannel on request), so no NetworkPolicy is enforced`
    : "cluster.enforcesNetworkPolicies is false, so the cluster enforces no NetworkPolicy";
}

/**
 * Default deny on a CNI that ignores NetworkPolicies denies nothing, while the
 * config reads as if the namespace were isolated.
 */
export function checkNetworkPolicyEnforcement(c: ParsedConfig, add: Add): void {
  const missing = missingEnforcement(c);
  if (!missing) return;
  const fix =
    c.cluster.provider === "talos"
      ? "remove defaultDeny, or raise cluster.talos.configContract to v1.13 (with cluster.talos.allowConfigContractChange: true, on Talos v1.13.0 or newer; the stack then turns kube-network-policies on)"
      : "remove defaultDeny, or, if the CNI does enforce NetworkPolicies (k3s' embedded controller, Calico, Cilium), set cluster.enforcesNetworkPolicies: true";
  for (const [name, n] of Object.entries(c.namespaces)) {
    if (n.defaultDeny) add(["namespaces", name, "defaultDeny"], `${missing}: default deny would deny nothing; ${fix}`);
  }
}

export function networkPolicyWarnings(c: ParsedConfig): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  const policyApps = appsWithNetworkPolicy(c);
  const missing = missingEnforcement(c);
  if (missing && policyApps.length > 0) {
    warnings.push({
      path: ["apps"],
      message: `${missing}: the allow-traefik NetworkPolicies of apps ${policyApps.join(", ")} are not registered, and every pod the cluster runs can reach their pods`,
    });
  }
  if (PLACEMENT[c.traefik.placement].hostNetwork) {
    for (const [ns, n] of Object.entries(c.namespaces)) {
      const apps = policyApps.filter((name) => own(c.apps, name)!.namespace === ns);
      if (!n.defaultDeny || apps.length === 0) continue;
      warnings.push({
        path: ["namespaces", ns, "defaultDeny"],
        message: `Traefik uses the host network (placement ${c.traefik.placement}), so the namespace's allow-traefik NetworkPolicy (for ${apps.join(", ")}) admits the node addresses and the whole pod network ${podNetworkOf(c.cluster) ?? "(cluster.network.podSubnet)"}: default deny still keeps out traffic from outside the cluster, but not from the cluster's other pods; use placement deployment to admit Traefik's pods alone`,
      });
    }
  }
  // The allow-traefik policy selects every pod of its namespace, so an opt-out
  // beside an app that keeps it leaves Traefik admitted all the same.
  for (const [name, app] of Object.entries(c.apps).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (app.networkPolicy || app.external) continue;
    const sharers = policyApps.filter((other) => own(c.apps, other)!.namespace === app.namespace);
    if (sharers.length === 0) continue;
    warnings.push({
      path: ["apps", name, "networkPolicy"],
      message: `namespace ${app.namespace} keeps its allow-traefik NetworkPolicy for ${sharers.join(", ")}, and it admits Traefik to every pod there, this app's too, so networkPolicy: false changes nothing; set networkPolicy: false on ${sharers.join(", ")} as well, or move the app to a namespace of its own`,
    });
  }
  return warnings;
}
