/**
 * Per-app routes: Ingresses name a class the stack serves, no two routes claim
 * one host and path, middlewares exist where routes reference them, and
 * network policies let Traefik in the way its placement actually connects.
 */
import type { PolicyResource } from "@pulumi/policy";
import {
  routeBackends,
  labelsMatch,
  describeObject,
  describeRelease,
  eachKnown,
  metaOf,
  ofType,
  stackPolicy,
  valuesOf,
  type HomelabPolicy,
  type Level,
} from "./common.ts";
import { cidrWithin, cidrsOverlap, isRange } from "@homelab/contract/net";
import { enablesKubeNetworkPolicies, talosNodes, talosPodSubnets } from "./helpers/talos.ts";
import { ENFORCED_BY_ANNOTATION } from "@homelab/contract/kubernetes";
import { ingressClasses, isHostNetwork, traefikNodeAddresses, traefikReleases } from "./helpers/traefik.ts";
import { routeEntries, type RouteEntry } from "./helpers/routes.ts";
import { TYPES } from "@homelab/contract/tokens";
import { arr, obj, str, strings, type Obj } from "@homelab/contract/props";

export function ingressClassServed(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "ingress-class-served",
    description:
      "Checks that every Ingress names an IngressClass the stack creates and a Traefik in the stack serves (the chart's class comes from the Traefik release's ingressClass values); set spec.ingressClassName to the Traefik IngressClass.",
    level,
    check: (resources, report) => {
      const classes = ingressClasses(resources);
      const known = classes.filter((c) => c.name).map((c) => c.name!);
      eachKnown(ofType(resources, TYPES.ingress), (ing) => {
        const name = str(obj(ing.props.spec).ingressClassName);
        const what = describeObject(ing.props);
        if (!name) {
          report(
            ing,
            `${what} names no ingressClassName: it depends on a cluster default that may not exist or may belong to another controller, and then no controller serves it; set spec.ingressClassName to ${known[0] ?? "the Traefik IngressClass"}.`,
          );
          return;
        }
        const cls = classes.find((c) => c.name === name);
        if (!cls) {
          const unnamed = classes.some((c) => c.name === undefined);
          report(
            ing,
            `${what} names IngressClass ${name}, which the stack does not create (it creates ${known.join(", ") || "none"}${unnamed ? "; a Traefik release is auto-named, so its class name is unknown until deploy: set ingressClass.name" : ""}): no controller serves the Ingress and its hosts return 404; use one of the stack's classes.`,
          );
        } else if (!cls.served) {
          report(
            ing,
            `${what} names IngressClass ${name}, but no Traefik in the stack serves Ingresses of it (providers.kubernetesIngress disabled): its hosts return 404; enable the Ingress provider.`,
          );
        }
      });
    },
  });
}

export function routeHostPathUnique(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "route-host-path-unique",
    description:
      "Checks that no two routes (Ingress paths or IngressRoute matches) claim the same host and path, since Traefik then picks one arbitrarily and the other app silently receives no traffic; give each app its own host or path.",
    level,
    check: (resources, report) => {
      const seen = new Map<string, RouteEntry>();
      for (const e of routeEntries(resources)) {
        const key = `${e.host}|${e.pathType}|${e.path}`;
        const first = seen.get(key);
        if (!first) {
          seen.set(key, e);
          continue;
        }
        report(
          e.resource,
          `${describeObject(e.resource.props)} routes ${e.host}${e.path} (${e.pathType}), which ${describeObject(first.resource.props)} already routes: Traefik sends the requests to only one of them; change the host or path of one app.`,
        );
      }
    },
  });
}

const MIDDLEWARE_ANNOTATION = "traefik.ingress.kubernetes.io/router.middlewares";

export function middlewareReferencesExist(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "middleware-references-exist",
    description:
      "Checks that every Middleware a route references exists in the stack (IngressRoute middlewares, the Ingress router.middlewares annotation) and that cross-namespace references are allowed by Traefik's CRD provider; create the Middleware in the route's namespace or fix the reference.",
    level,
    check: (resources, report) => {
      const middlewares = new Set(ofType(resources, TYPES.middleware).map((m) => `${metaOf(m.props).namespace}/${metaOf(m.props).name}`));
      const annotationNames = new Set(
        ofType(resources, TYPES.middleware).map((m) => `${metaOf(m.props).namespace}-${metaOf(m.props).name}@kubernetescrd`),
      );
      const crossAllowed = traefikReleases(resources).some(
        (r) => obj(obj(valuesOf(r).providers).kubernetesCRD).allowCrossNamespace === true,
      );
      eachKnown(ofType(resources, TYPES.ingressRoute), (ir) => {
        const ns = metaOf(ir.props).namespace;
        for (const route of arr(obj(ir.props.spec).routes).map(obj)) {
          for (const ref of arr(route.middlewares).map(obj)) {
            const refNs = str(ref.namespace) || ns;
            const key = `${refNs}/${str(ref.name)}`;
            if (!middlewares.has(key)) {
              report(
                ir,
                `${describeObject(ir.props)} references Middleware ${key}, which the stack does not create: Traefik drops the whole router and the host returns 404; create the Middleware or remove the reference.`,
              );
            } else if (refNs !== ns && !crossAllowed) {
              report(
                ir,
                `${describeObject(ir.props)} references Middleware ${key} in another namespace, but Traefik's providers.kubernetesCRD.allowCrossNamespace is not true: Traefik rejects the router; move the Middleware into ${ns} or allow cross-namespace references.`,
              );
            }
          }
        }
      });
      eachKnown(ofType(resources, TYPES.ingress), (ing) => {
        const refs = str(metaOf(ing.props).annotations[MIDDLEWARE_ANNOTATION])
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean);
        for (const ref of refs.filter((x) => x.endsWith("@kubernetescrd") && !annotationNames.has(x))) {
          report(
            ing,
            `${describeObject(ing.props)} references middleware ${ref} in ${MIDDLEWARE_ANNOTATION}, but the stack creates no such Middleware (the name is <namespace>-<name>@kubernetescrd): Traefik drops the router; create it or fix the annotation.`,
          );
        }
      });
    },
  });
}

/** A policy that selects every pod and admits nothing: the namespace's default deny for ingress. */
function isDefaultDeny(np: PolicyResource): boolean {
  const spec = obj(np.props.spec);
  const selectsAll = Object.keys(obj(spec.podSelector)).every(
    (k) => Object.keys(obj(obj(spec.podSelector)[k])).length === 0 && arr(obj(spec.podSelector)[k]).length === 0,
  );
  const types = strings(spec.policyTypes);
  return selectsAll && (types.length === 0 || types.includes("Ingress")) && arr(spec.ingress).length === 0;
}

const ingressPeers = (np: PolicyResource): Obj[] => arr(obj(np.props.spec).ingress).flatMap((rule) => arr(obj(rule).from).map(obj));

/** The chart's pod labels (`traefik.labelselector`). */
function traefikPodLabels(release: PolicyResource): Record<string, string> {
  const name = str(valuesOf(release).nameOverride) || "traefik";
  return {
    "app.kubernetes.io/name": name,
    "app.kubernetes.io/instance": `${str(release.props.name) || release.name}-${str(release.props.namespace) || "default"}`,
  };
}

/** Namespaces whose route backends are in-cluster pods (not ExternalName or selector-less Services). */
function podBackedRouteNamespaces(resources: readonly PolicyResource[]): Map<string, PolicyResource> {
  const external = new Set(
    ofType(resources, TYPES.service)
      .filter((s) => str(obj(s.props.spec).type) === "ExternalName" || Object.keys(obj(obj(s.props.spec).selector)).length === 0)
      .map((s) => `${metaOf(s.props).namespace}/${metaOf(s.props).name}`),
  );
  const namespaces = new Map<string, PolicyResource>();
  eachKnown(ofType(resources, TYPES.ingress, TYPES.ingressRoute, TYPES.httpRoute, TYPES.grpcRoute), (route) => {
    for (const svc of routeBackends(route).filter((s) => !external.has(s))) {
      const ns = svc.split("/")[0]!;
      if (!namespaces.has(ns)) namespaces.set(ns, route);
    }
  });
  return namespaces;
}

/** An ipBlock peer's CIDR and exceptions. */
interface Block {
  readonly cidr: string;
  readonly except: readonly string[];
}

const ipBlocks = (peers: readonly Obj[]): Block[] =>
  peers
    .filter((p) => p.ipBlock !== undefined)
    .map((p) => ({ cidr: str(obj(p.ipBlock).cidr), except: strings(obj(p.ipBlock).except) }))
    .filter((b) => b.cidr);

/** Whether some block admits every address of `cidr`. */
const admitsAll = (blocks: readonly Block[], cidr: string): boolean =>
  blocks.some((b) => cidrWithin(cidr, b.cidr) && !b.except.some((e) => cidrsOverlap(e, cidr)));

export function networkPolicyMatchesTraefikPlacement(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "network-policy-matches-traefik-placement",
    description:
      "Checks that in every default-deny namespace with routed apps a NetworkPolicy admits Traefik the way its placement connects: by namespace and pod labels for a pod-network Traefik; for a hostNetwork one, whose packets carry no pod identity, by ipBlocks covering the nodes' addresses and the pod network, since its connections to pods on other nodes come from the CNI's tunnel address (flannel's 10.x.y.0); write the allow rule for the placement in use.",
    level,
    check: (resources, report) => {
      const [traefik] = traefikReleases(resources);
      if (!traefik) return;
      const values = valuesOf(traefik);
      const hostNetwork = isHostNetwork(values);
      const traefikNs = str(traefik.props.namespace) || "default";
      const podLabels = traefikPodLabels(traefik);
      const nsLabels = { "kubernetes.io/metadata.name": traefikNs };
      const nodes = traefikNodeAddresses(resources, values);
      const podNetworks = hostNetwork ? talosPodSubnets(resources) : undefined;
      const policies = ofType(resources, TYPES.networkPolicy);
      const selectsTraefikPods = (peer: Obj) =>
        peer.namespaceSelector !== undefined &&
        labelsMatch(obj(peer.namespaceSelector), nsLabels) &&
        (peer.podSelector === undefined || labelsMatch(obj(peer.podSelector), podLabels));
      const coversNodes = (peers: Obj[]) => {
        const blocks = ipBlocks(peers);
        return nodes.length ? nodes.every((ip) => admitsAll(blocks, ip)) : blocks.length > 0;
      };
      // A cluster the stack does not build (provider existing) shows no pod
      // network; single addresses can never admit the tunnel addresses, which
      // each node gets from its share of the pod network at runtime.
      const coversPodNetwork = (peers: Obj[]) => {
        const blocks = ipBlocks(peers);
        return podNetworks ? podNetworks.every((net) => admitsAll(blocks, net)) : blocks.some((b) => isRange(b.cidr));
      };
      const podNetworkText = podNetworks ? `the pod network ${podNetworks.join(", ")}` : "the CNI's pod network (10.42.0.0/16 on k3s)";

      if (hostNetwork) {
        eachKnown(policies, (np) => {
          if (ingressPeers(np).some((p) => p.namespaceSelector !== undefined && selectsTraefikPods(p))) {
            report(
              np,
              `${describeObject(np.props)} admits Traefik by namespace/pod labels, but ${describeRelease(traefik)} uses the host network: its connections come from host addresses and never match a pod selector, so the route times out; admit the nodes' addresses and ${podNetworkText} with ipBlock peers instead.`,
            );
          }
        });
      }
      for (const [ns, route] of podBackedRouteNamespaces(resources)) {
        const inNs = policies.filter((p) => metaOf(p.props).namespace === ns);
        if (!inNs.some(isDefaultDeny)) continue;
        if (!hostNetwork) {
          if (inNs.some((np) => ingressPeers(np).some(selectsTraefikPods))) continue;
          report(
            route,
            `Namespace ${ns} denies ingress by default, and no NetworkPolicy there admits Traefik (pod network): ${describeObject(route.props)} times out; add a policy whose from contains a peer with namespaceSelector kubernetes.io/metadata.name: ${traefikNs} and Traefik's pod labels.`,
          );
          continue;
        }
        if (inNs.some((np) => coversNodes(ingressPeers(np)) && coversPodNetwork(ingressPeers(np)))) continue;
        const nodeList = nodes.join(", ") || "the node addresses";
        if (inNs.some((np) => coversNodes(ingressPeers(np)))) {
          report(
            route,
            `Namespace ${ns} denies ingress by default, and its NetworkPolicies admit the host-network Traefik only by the nodes' addresses (${nodeList}): its connections to pods on other nodes leave through the CNI's tunnel and carry the tunnel's address from ${podNetworkText}, so ${describeObject(route.props)} times out whenever its pod runs on another node than the answering Traefik; add an ipBlock peer for ${podNetworkText}.`,
          );
        } else {
          report(
            route,
            `Namespace ${ns} denies ingress by default, and no NetworkPolicy there admits Traefik (host network): ${describeObject(route.props)} times out; add a policy whose from contains ipBlock peers covering the nodes Traefik runs on (${nodeList}) and ${podNetworkText}, which its connections to pods on other nodes come from (the CNI's tunnel address).`,
          );
        }
      }
    },
  });
}

/**
 * A NetworkPolicy on a CNI that ignores it isolates nothing. On Talos the
 * evidence is each control plane's configuration (Talos deploys
 * kube-network-policies from the control planes' cluster config); on a cluster
 * the stack does not build, the config's statement, which the program writes
 * on every policy it registers.
 */
export function networkPoliciesEnforced(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "network-policies-enforced",
    description: `Checks that whenever the stack registers NetworkPolicies the cluster enforces them: on Talos every control plane's configuration sets cluster.network.cni.flannel.kubeNetworkPoliciesEnabled: true (Flannel alone enforces none; Talos v1.13+), on another cluster each policy carries the ${ENFORCED_BY_ANNOTATION} annotation stating what enforces it; turn kube-network-policies on, or register no NetworkPolicy.`,
    level,
    check: (resources, report) => {
      const policies = ofType(resources, TYPES.networkPolicy);
      if (policies.length === 0) return;
      const names = policies.map((p) => describeObject(p.props)).join(", ");
      const nodes = talosNodes(resources);
      if (nodes.length > 0) {
        for (const node of nodes.filter((n) => n.role !== "worker")) {
          eachKnown([node.apply], (apply) => {
            if (!enablesKubeNetworkPolicies(apply)) {
              report(
                apply,
                `Talos node ${node.address} (${apply.name}) does not set cluster.network.cni.flannel.kubeNetworkPoliciesEnabled: true, so Flannel runs without a NetworkPolicy enforcer and ${names} isolate nothing; add the patch (Talos v1.13+) or register no NetworkPolicy.`,
              );
            }
          });
        }
        return;
      }
      eachKnown(policies, (np) => {
        if (!str(obj(metaOf(np.props).annotations)[ENFORCED_BY_ANNOTATION])) {
          report(
            np,
            `${describeObject(np.props)} carries no ${ENFORCED_BY_ANNOTATION} annotation: nothing states that the cluster's CNI enforces NetworkPolicies, and on one that does not (plain Flannel) it isolates nothing; state it with cluster.enforcesNetworkPolicies, or register no NetworkPolicy.`,
          );
        }
      });
    },
  });
}
