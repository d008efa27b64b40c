/**
 * What the plan says about Traefik: its releases and placement, the chart
 * version's defaults under the values, the IngressClasses, the nodes it runs
 * on, and the Cloudflare ranges the plan looked up.
 */
import type { PolicyResource } from "@pulumi/policy";
import { metaOf, ofType, releasesOf, valuesOf } from "../common.ts";
import { CONTROL_PLANE_LABEL } from "@homelab/contract/kubernetes";
import { traefikChartDefaults } from "@homelab/contract/charts";
import { talosNodes } from "./talos.ts";
import { COMPONENTS, TYPES } from "@homelab/contract/tokens";
import { arr, obj, str, strings, type Obj } from "@homelab/contract/props";

export const traefikReleases = (resources: readonly PolicyResource[]): PolicyResource[] => releasesOf(resources, "traefik");

export const isHostNetwork = (values: Obj): boolean => values.hostNetwork === true;
export const workloadKind = (values: Obj): string => str(obj(values.deployment).kind) || "Deployment";
/** What the release's chart version does with a value left unset. */
export const chartDefaultsOf = (release: PolicyResource) => traefikChartDefaults(str(release.props.version));
/** The Deployment's replicas, the chart's default underneath. */
export const replicasOf = (release: PolicyResource): number =>
  Number(obj(valuesOf(release).deployment).replicas ?? chartDefaultsOf(release).replicas);

/** The release's entry points, with its chart version's defaults underneath the overrides. */
export function portsOf(release: PolicyResource): [string, Obj][] {
  const chartPorts = chartDefaultsOf(release).ports;
  const overrides = obj(valuesOf(release).ports);
  const names = [...new Set([...Object.keys(chartPorts), ...Object.keys(overrides)])];
  return names.map((n) => {
    const o = obj(overrides[n]);
    return [n, { ...(chartPorts[n] !== undefined ? { port: chartPorts[n] } : {}), ...o }];
  });
}

/** The chart's `traefik.fullname`: what its IngressClass is called unless `ingressClass.name` is set. */
function chartFullname(release: PolicyResource): string | undefined {
  const values = valuesOf(release);
  const override = str(values.fullnameOverride);
  const trim = (s: string) => s.slice(0, 63).replace(/-+$/, "");
  if (override) return trim(override);
  const releaseName = str(release.props.name);
  if (!releaseName) return undefined;
  const name = str(values.nameOverride) || "traefik";
  return trim(releaseName.includes(name) ? releaseName : `${releaseName}-${name}`);
}

export interface IngressClassView {
  /** Undefined when the class is named after an auto-named release. */
  readonly name: string | undefined;
  readonly source: PolicyResource;
  readonly isDefault: boolean;
  /** Whether a Traefik in the stack serves Ingresses of this class. */
  readonly served: boolean;
}

/** The IngressClasses the stack creates: the Traefik chart's own and explicit IngressClass objects. */
export function ingressClasses(resources: readonly PolicyResource[]): IngressClassView[] {
  const classes: IngressClassView[] = [];
  for (const r of traefikReleases(resources)) {
    const values = valuesOf(r);
    const ic = obj(values.ingressClass);
    if (ic.enabled === false) continue;
    classes.push({
      name: str(ic.name) || chartFullname(r),
      source: r,
      isDefault: ic.isDefaultClass !== false,
      served: obj(obj(values.providers).kubernetesIngress).enabled !== false,
    });
  }
  for (const r of ofType(resources, TYPES.ingressClass)) {
    const meta = metaOf(r.props);
    classes.push({
      name: meta.name,
      source: r,
      isDefault: meta.annotations["ingressclass.kubernetes.io/is-default-class"] === "true",
      served: str(obj(r.props.spec).controller) === "traefik.io/ingress-controller" ? traefikReleases(resources).length > 0 : true,
    });
  }
  return classes;
}

/** An intOrString update bound: a count or a percentage. */
export function bound(v: unknown): { n: number; percent: boolean } | undefined {
  if (typeof v === "number") return { n: v, percent: false };
  const m = /^(\d+)(%?)$/.exec(str(v));
  return m ? { n: Number(m[1]), percent: m[2] === "%" } : undefined;
}

const tolerationsOf = (values: Obj): Obj[] => arr(values.tolerations).map(obj);
export const toleratesControlPlane = (values: Obj): boolean =>
  tolerationsOf(values).some(
    (t) =>
      (str(t.key) === CONTROL_PLANE_LABEL && (str(t.operator) || "Equal") === "Exists" && (!t.effect || t.effect === "NoSchedule")) ||
      (!t.key && t.operator === "Exists"),
  );

export function selectsControlPlane(values: Obj): boolean {
  if (CONTROL_PLANE_LABEL in obj(values.nodeSelector)) return true;
  const terms = arr(obj(obj(obj(obj(values.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution)).nodeSelectorTerms);
  return (
    terms.length > 0 &&
    terms.every((t) =>
      arr(obj(t).matchExpressions).some((e) => str(obj(e).key) === CONTROL_PLANE_LABEL && ["Exists", "In"].includes(str(obj(e).operator))),
    )
  );
}

/** The addresses of the Talos nodes a host-network Traefik runs on: the control planes when it is pinned there, else every node. */
export function traefikNodeAddresses(resources: readonly PolicyResource[], values: Obj): string[] {
  const onControlPlanes = selectsControlPlane(values);
  return talosNodes(resources)
    .filter((n) => !onControlPlanes || n.role === "controlplane")
    .map((n) => n.address);
}

/** Every A record's content, for the placement a stack's DNS implies. */
export const dnsContents = (resources: readonly PolicyResource[]): string[] =>
  ofType(resources, TYPES.dnsRecord).map((d) => str(d.props.content));

/**
 * How many Traefik pods the values run, when the plan says: a Deployment's
 * replicas, or a DaemonSet pinned to the Talos control planes it lists (the
 * config check counts the same way, config/checks/traefik.ts).
 */
export function traefikPodCount(release: PolicyResource, controlPlanes: number): { readonly pods?: number; readonly what: string } {
  const values = valuesOf(release);
  if (workloadKind(values) === "DaemonSet") {
    return selectsControlPlane(values) && controlPlanes > 0
      ? { pods: controlPlanes, what: `a DaemonSet on ${controlPlanes} control plane(s)` }
      : { what: "a DaemonSet (one pod per node)" };
  }
  if (obj(values.autoscaling).enabled === true) return { what: "an autoscaled Deployment" };
  const replicas = replicasOf(release);
  return { pods: replicas, what: `${replicas} replicas` };
}

/** What the plan looked up from Cloudflare: every range of every lookup component, or undefined when it made none. */
export function lookedUpCloudflareRanges(
  resources: readonly PolicyResource[],
): { readonly ranges: string[]; readonly lookups: PolicyResource[] } | undefined {
  const lookups = ofType(resources, COMPONENTS.cloudflareIpRanges);
  if (lookups.length === 0) return undefined;
  return { lookups, ranges: lookups.flatMap((l) => [...strings(l.props.ipv4Cidrs), ...strings(l.props.ipv6Cidrs)]) };
}

/** `<namespace>/<name>` of every Service of type ExternalName the stack creates. */
export function externalNameServices(resources: readonly PolicyResource[]): Set<string> {
  return new Set(
    ofType(resources, TYPES.service)
      .filter((s) => str(obj(s.props.spec).type) === "ExternalName")
      .map((s) => `${metaOf(s.props).namespace}/${metaOf(s.props).name}`),
  );
}
