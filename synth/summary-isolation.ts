/** The Isolation section of summary.md: NetworkPolicy enforcement and the Talos host firewall, as the resources show them. */
import { parseAllDocuments } from "yaml";
import type { RecordedResource } from "./recorder.ts";
import { ENFORCED_BY_ANNOTATION } from "../contract/kubernetes.ts";
import { TYPES } from "../contract/tokens.ts";
import { arr, obj, str, type Obj } from "../contract/props.ts";

/** Every document of each Talos node's configuration patches, by resource name. */
function talosPatchDocuments(resources: readonly RecordedResource[]): Map<string, Obj[]> {
  return new Map(
    resources
      .filter((r) => r.type === TYPES.configurationApply)
      .map((r) => [
        r.name,
        arr(r.inputs.configPatches)
          .filter((p): p is string => typeof p === "string")
          .flatMap((p) => parseAllDocuments(p, { version: "1.1" }).map((d) => obj(d.toJS()))),
      ]),
  );
}

/** The sources a node's NetworkRuleConfig of that name admits. */
const ruleSources = (docs: readonly Obj[], name: string): string[] =>
  docs.filter((d) => d.kind === "NetworkRuleConfig" && d.name === name).flatMap((d) => arr(d.ingress).map((i) => str(obj(i).subnet)));

/** What the Talos host firewall admits, as the nodes' patches declare it. */
function hostFirewallLine(talos: ReadonlyMap<string, Obj[]>): string {
  const blocking = [...talos.values()].filter((docs) => docs.some((d) => d.kind === "NetworkDefaultActionConfig" && d.ingress === "block"));
  if (blocking.length === 0)
    return "Talos host firewall **off** (cluster.firewall.enabled): every port a node listens on answers whoever reaches the node.";
  const talosApi = [...new Set(blocking.flatMap((docs) => ruleSources(docs, "apid-ingress")))].join(", ");
  const ingress = blocking.filter((docs) => ruleSources(docs, "traefik-ingress").length > 0);
  const sources = [...new Set(ingress.flatMap((docs) => ruleSources(docs, "traefik-ingress")))];
  return [
    `Talos host firewall **blocks** inbound connections on ${blocking.length} of ${talos.size} nodes, except the cluster's own ports between nodes; Talos API (50000) from ${talosApi || "nowhere"}`,
    ingress.length
      ? `; :80/:443 (host-network Traefik) on ${ingress.length} nodes from ${sources.length} sources (talos/<node>.yaml lists them).`
      : "; no node serves :80/:443 itself.",
  ].join("");
}

/** Whether the registered NetworkPolicies are enforced, and by what, and what the host firewall admits, as the resources show it. */
export function isolationLines(resources: readonly RecordedResource[]): string[] {
  const talos = talosPatchDocuments(resources);
  return [...networkPolicyLines(resources, talos), ...(talos.size > 0 ? ["", hostFirewallLine(talos)] : [])];
}

function networkPolicyLines(resources: readonly RecordedResource[], talos: ReadonlyMap<string, Obj[]>): string[] {
  const policies = resources.filter((r) => r.type === TYPES.networkPolicy);
  if (policies.length === 0) return ["No NetworkPolicy is registered: pods accept connections from anywhere in the cluster."];
  const count = `${policies.length} NetworkPolic${policies.length === 1 ? "y" : "ies"}`;
  if (talos.size > 0) {
    const enabled = [...talos.values()].filter((docs) =>
      docs.some((d) => obj(obj(obj(obj(d.cluster).network).cni).flannel).kubeNetworkPoliciesEnabled === true),
    ).length;
    // Talos deploys kube-network-policies from its bootstrap manifests, which only bootstrap and
    // upgrade-k8s write: on a running cluster the enforcer runs once the rollout has synced them.
    const synced = resources.some(
      (r) => r.type === TYPES.command && str(r.inputs.update).startsWith("'node' 'scripts/talos-upgrade.ts' 'rollout'"),
    );
    if (enabled < talos.size)
      return [`${count}, **not enforced**: only ${enabled} of ${talos.size} Talos nodes enable kube-network-policies.`];
    return [
      synced
        ? `${count}, **enforced** by kube-network-policies beside Flannel (cluster.network.cni.flannel.kubeNetworkPoliciesEnabled on all ${talos.size} Talos nodes; on a running cluster the rollout's upgrade-k8s deploys it before any policy is created).`
        : `${count}, **not enforced on a running cluster**: every node enables kube-network-policies, but nothing syncs Talos' bootstrap manifests (upgrade-k8s), so only a new cluster runs it.`,
    ];
  }
  const enforcers = [...new Set(policies.map((p) => str(obj(obj(p.inputs.metadata).annotations)[ENFORCED_BY_ANNOTATION])))];
  return [
    enforcers.every(Boolean)
      ? `${count}, enforced as the config states (${enforcers.join(", ")}): the stack cannot check the cluster's CNI.`
      : `${count}, **not known to be enforced**: some state no enforcer.`,
  ];
}
