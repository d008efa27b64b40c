/**
 * Cluster-wide Kubernetes rules: Pod Security on every namespace the stack
 * creates, the cluster's own provider on every object, and LoadBalancer
 * addresses that MetalLB actually owns and announces.
 */
import type { PolicyResource, ResourceValidationPolicy } from "@pulumi/policy";
import {
  requestedLoadBalancerIps,
  labelsMatch,
  describeObject,
  describeRelease,
  eachKnown,
  metaOf,
  ofType,
  releasesOf,
  stackPolicy,
  valuesOf,
  type HomelabPolicy,
  type Level,
} from "./common.ts";
import { addressInPoolEntry } from "@homelab/contract/net";
import { METALLB_LOAD_BALANCER_IPS_ANNOTATION, POD_SECURITY_ENFORCE_LABEL } from "@homelab/contract/kubernetes";
import { isHostNetwork, traefikReleases } from "./helpers/traefik.ts";
import { TYPES } from "@homelab/contract/tokens";
import { arr, obj, str, strings } from "@homelab/contract/props";

const LEVELS = ["privileged", "baseline", "restricted"];

/** Namespaces whose workloads need host access: a hostNetwork Traefik, MetalLB's speaker (host network, NET_RAW). */
function hostAccessNamespaces(resources: readonly PolicyResource[]): Map<string, string> {
  const reasons = new Map<string, string>();
  for (const r of traefikReleases(resources).filter((t) => isHostNetwork(valuesOf(t))))
    reasons.set(str(r.props.namespace) || "default", `${describeRelease(r)} uses the host network`);
  for (const r of releasesOf(resources, "metallb"))
    reasons.set(str(r.props.namespace) || "default", `MetalLB's speaker (${describeRelease(r)}) uses the host network`);
  return reasons;
}

export function namespacePodSecurityEnforced(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "namespace-pod-security-enforced",
    description:
      "Checks that every namespace the stack creates is a Namespace resource that enforces Pod Security `restricted` or `baseline`, and `privileged` only where a host-network workload (hostNetwork Traefik, MetalLB's speaker) runs; label each namespace with pod-security.kubernetes.io/enforce instead of letting Helm create it.",
    level,
    check: (resources, report) => {
      const hostAccess = hostAccessNamespaces(resources);
      eachKnown(ofType(resources, TYPES.namespace), (ns) => {
        const meta = metaOf(ns.props);
        const enforce = meta.labels[POD_SECURITY_ENFORCE_LABEL];
        if (!enforce || !LEVELS.includes(enforce)) {
          report(
            ns,
            `Namespace ${meta.name} ${enforce ? `sets ${POD_SECURITY_ENFORCE_LABEL} to "${enforce}", not a Pod Security level` : `has no ${POD_SECURITY_ENFORCE_LABEL} label`}: its pods get whatever the cluster default is, so a pod that works today is refused (or a privileged one admitted) elsewhere; label it restricted (or baseline).`,
          );
          return;
        }
        if (enforce === "privileged" && !hostAccess.has(meta.name)) {
          report(
            ns,
            `Namespace ${meta.name} enforces Pod Security privileged, but nothing the stack installs there needs host access: any pod in it may use host namespaces and privileged containers; label it restricted (or baseline for apps that need it).`,
          );
        }
      });
      eachKnown(ofType(resources, TYPES.release), (r) => {
        if (r.props.createNamespace === true) {
          report(
            r,
            `${describeRelease(r)} sets createNamespace: true: Helm creates namespace ${str(r.props.namespace)} without Pod Security labels (and deletes nothing on uninstall); declare a Namespace resource with ${POD_SECURITY_ENFORCE_LABEL} and make the release depend on it.`,
          );
        }
      });
    },
  });
}

const isDefaultProvider = (name: string): boolean => name === "default" || name.startsWith("default_");

export function kubernetesExplicitProvider(level: Level = "mandatory"): ResourceValidationPolicy {
  return {
    name: "kubernetes-explicit-provider",
    description:
      "Checks that every Kubernetes resource uses the stack's own cluster provider, not the default provider, which deploys to whatever cluster the ambient kubeconfig points at; pass the cluster's provider to the component (children inherit it).",
    enforcementLevel: level,
    validateResource: (args, report) => {
      // Components (a yaml/v2 ConfigGroup, say) carry no provider of their own in the
      // engine: their children are checked instead.
      const provider = args.provider;
      if (!args.type.startsWith("kubernetes:") || !provider) return;
      if (isDefaultProvider(provider.name)) {
        report(
          `${str(args.props.kind) || args.type} ${args.name} uses the default Kubernetes provider: it deploys to whichever cluster the deploying machine's kubeconfig/KUBECONFIG selects, not the one this stack builds; pass { provider } from the cluster component.`,
        );
      }
    },
  };
}

const DEPRECATED_METALLB_IPS = "metallb.universe.tf/loadBalancerIPs";

interface LoadBalancerView {
  readonly resource: PolicyResource;
  readonly what: string;
  readonly annotations: Readonly<Record<string, string>>;
  readonly specLoadBalancerIP: string;
}

/** Every LoadBalancer Service the stack declares: core Services and the Traefik chart's own. */
function loadBalancers(resources: readonly PolicyResource[]): LoadBalancerView[] {
  const views: LoadBalancerView[] = [];
  for (const s of ofType(resources, TYPES.service)) {
    const spec = obj(s.props.spec);
    if (str(spec.type) !== "LoadBalancer") continue;
    views.push({
      resource: s,
      what: describeObject(s.props),
      annotations: metaOf(s.props).annotations,
      specLoadBalancerIP: str(spec.loadBalancerIP),
    });
  }
  for (const r of traefikReleases(resources)) {
    const service = obj(valuesOf(r).service);
    if (service.enabled === false) continue;
    // The chart's Service is a LoadBalancer unless service.spec.type says otherwise.
    const type = str(obj(service.spec).type) || "LoadBalancer";
    if (type !== "LoadBalancer") continue;
    views.push({
      resource: r,
      what: `the Service of ${describeRelease(r)}`,
      annotations: obj(service.annotations) as Record<string, string>,
      specLoadBalancerIP: str(obj(service.spec).loadBalancerIP),
    });
  }
  return views;
}

const poolEntries = (resources: readonly PolicyResource[]): string[] =>
  ofType(resources, TYPES.ipAddressPool).flatMap((p) => strings(obj(p.props.spec).addresses));

export function loadBalancerIpPinned(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "loadbalancer-ip-pinned",
    description:
      "Checks that every LoadBalancer Service requests a fixed address inside one of the stack's MetalLB pools with the metallb.io/loadBalancerIPs annotation, because DNS points at that address; set the annotation (not spec.loadBalancerIP or the deprecated metallb.universe.tf prefix).",
    level,
    check: (resources, report) => {
      const entries = poolEntries(resources);
      eachKnown(loadBalancers(resources), (lb) => {
        if (lb.annotations[DEPRECATED_METALLB_IPS] !== undefined) {
          report(
            lb.resource,
            `${lb.what} uses the deprecated ${DEPRECATED_METALLB_IPS} annotation: MetalLB 0.14+ reads ${METALLB_LOAD_BALANCER_IPS_ANNOTATION}; rename the annotation.`,
          );
        }
        if (lb.specLoadBalancerIP) {
          report(
            lb.resource,
            `${lb.what} sets spec.loadBalancerIP (deprecated since Kubernetes 1.24 and ignored by MetalLB's newer releases); request the address with the ${METALLB_LOAD_BALANCER_IPS_ANNOTATION} annotation instead.`,
          );
        }
        const ips = requestedLoadBalancerIps(lb.annotations);
        if (ips.length === 0) {
          report(
            lb.resource,
            `${lb.what} is a LoadBalancer without a requested address: MetalLB hands it any free address, which can change when the Service is recreated while DNS still points at the old one; set the ${METALLB_LOAD_BALANCER_IPS_ANNOTATION} annotation to an address from a MetalLB pool.`,
          );
          return;
        }
        if (entries.length === 0) return;
        for (const ip of ips.filter((a) => !entries.some((e) => addressInPoolEntry(a, e)))) {
          report(
            lb.resource,
            `${lb.what} requests ${ip}, which no MetalLB IPAddressPool of the stack contains (${entries.join(", ")}): the Service stays <pending> forever; pick an address inside a pool or add it to one.`,
          );
        }
      });
    },
  });
}

export function metallbPoolAdvertised(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "metallb-pool-advertised",
    description:
      "Checks that every MetalLB IPAddressPool is announced by an L2Advertisement (or BGPAdvertisement), because MetalLB assigns addresses from an unannounced pool that no one on the LAN can reach; list the pool in an advertisement's ipAddressPools.",
    level,
    check: (resources, report) => {
      const ads = resources.filter((r) => r.type === TYPES.l2Advertisement || r.type === TYPES.bgpAdvertisement);
      eachKnown(ofType(resources, TYPES.ipAddressPool), (pool) => {
        const meta = metaOf(pool.props);
        const announced = ads.some((ad) => {
          const spec = obj(ad.props.spec);
          if (metaOf(ad.props).namespace !== meta.namespace) return false;
          const names = strings(spec.ipAddressPools);
          const selectors = arr(spec.ipAddressPoolSelectors).map(obj);
          if (names.length === 0 && selectors.length === 0) return true;
          return names.includes(meta.name) || selectors.some((s) => labelsMatch(s, meta.labels));
        });
        if (!announced) {
          report(
            pool,
            `IPAddressPool ${meta.namespace}/${meta.name} is not announced by any L2Advertisement or BGPAdvertisement: Services get addresses from it that nothing announces, so they are unreachable; add the pool to an advertisement's spec.ipAddressPools (or match its labels with ipAddressPoolSelectors).`,
          );
        }
      });
    },
  });
}
