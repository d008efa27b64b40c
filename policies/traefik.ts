/**
 * Traefik's Helm values in each placement: host-network rollouts, Pod
 * Security, control-plane pinning, ACME, the dashboard, trusted forwarders,
 * the IngressClass and the providers routes rely on.
 */
import type { PolicyResource } from "@pulumi/policy";
import {
  POD_SECURITY_ENFORCE, TYPES, routeBackends, arr, describeRelease, eachKnown, metaOf, namespacesByName, obj, ofType, releasesOf, stackPolicy, str, strings, valuesOf,
  type HomelabPolicy, type Level, type Obj,
} from "./common.ts";
import { withinAny } from "./net.ts";
import { CONTROL_PLANE_LABEL, LOOPBACK_ADDRESS, TRAEFIK_INTERNAL_ENTRY_POINTS } from "../lib/traefik-values.ts";
import { clusterVip, talosNodes } from "./talos.ts";


/**
 * Cloudflare's published edge ranges (https://www.cloudflare.com/ips/), the
 * default of the forwarded-headers rule's `cloudflareRanges` config. The
 * program looks the ranges up at deploy time; this list only bounds what may
 * be trusted, so a stale copy fails safe (a new Cloudflare range is flagged
 * until the pack's config lists it).
 */
const CLOUDFLARE_RANGES: readonly string[] = [
  "173.245.48.0/20", "103.21.244.0/22", "103.22.200.0/22", "103.31.4.0/22", "141.101.64.0/18", "108.162.192.0/18",
  "190.93.240.0/20", "188.114.96.0/20", "197.234.240.0/22", "198.41.128.0/17", "162.158.0.0/15", "104.16.0.0/13",
  "104.24.0.0/14", "172.64.0.0/13", "131.0.72.0/22",
  "2400:cb00::/32", "2606:4700::/32", "2803:f800::/32", "2405:b500::/32", "2405:8100::/32", "2a06:98c0::/29", "2c0f:f248::/32",
];

export const traefikReleases = (resources: readonly PolicyResource[]): PolicyResource[] => releasesOf(resources, "traefik");

export const isHostNetwork = (values: Obj): boolean => values.hostNetwork === true;
const workloadKind = (values: Obj): string => str(obj(values.deployment).kind) || "Deployment";
/** The chart's Deployment replicas (its default is 1). */
const replicasOf = (values: Obj): number => Number(obj(values.deployment).replicas ?? 1);

/** The chart's entry points with its defaults underneath the release's overrides. */
const CHART_PORTS: Readonly<Record<string, number>> = { traefik: 8080, web: 8000, websecure: 8443, metrics: 9100 };

function portsOf(values: Obj): [string, Obj][] {
  const overrides = obj(values.ports);
  const names = [...new Set([...Object.keys(CHART_PORTS), ...Object.keys(overrides)])];
  return names.map((n) => {
    const o = obj(overrides[n]);
    return [n, { ...(CHART_PORTS[n] !== undefined ? { port: CHART_PORTS[n] } : {}), ...o }];
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
function bound(v: unknown): { n: number; percent: boolean } | undefined {
  if (typeof v === "number") return { n: v, percent: false };
  const m = /^(\d+)(%?)$/.exec(str(v));
  return m ? { n: Number(m[1]), percent: m[2] === "%" } : undefined;
}

export function traefikHostNetworkRollingUpdate(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-hostnetwork-rolling-update",
    description: "Checks that a hostNetwork Traefik rolls out with maxUnavailable ≥ 1 and maxSurge 0, because a new pod cannot bind the host ports its predecessor still holds (Kubernetes refuses maxUnavailable 0 with hostNetwork); set updateStrategy.rollingUpdate to {maxUnavailable: 1, maxSurge: 0}.",
    level,
    check: (resources, report) => {
      eachKnown(traefikReleases(resources), (r) => {
        const values = valuesOf(r);
        if (!isHostNetwork(values)) return;
        const kind = workloadKind(values);
        const strategy = obj(values.updateStrategy);
        const type = str(strategy.type) || "RollingUpdate";
        if (kind === "Deployment" && type === "Recreate") return;
        if (type !== "RollingUpdate") {
          report(r, `${describeRelease(r)} runs a hostNetwork ${kind} with updateStrategy.type ${type}: pods are never replaced on upgrade; use RollingUpdate with maxUnavailable: 1 and maxSurge: 0.`);
          return;
        }
        const rolling = obj(strategy.rollingUpdate);
        const unavailable = bound("maxUnavailable" in rolling ? rolling.maxUnavailable : 0);
        if (!unavailable || unavailable.n < 1) {
          report(r, `${describeRelease(r)} runs a hostNetwork ${kind} with updateStrategy.rollingUpdate.maxUnavailable ${JSON.stringify(rolling.maxUnavailable ?? 0)}${"maxUnavailable" in rolling ? "" : " (the chart's default)"}: Kubernetes rejects it ("maxUnavailable should be greater than 0 when using hostNetwork"), since a replacement pod cannot bind the host ports until the old one stops; set maxUnavailable: 1.`);
        }
        const surgeRaw = "maxSurge" in rolling ? rolling.maxSurge : 1;
        const surge = surgeRaw === null && kind === "DaemonSet" ? { n: 0, percent: false } : bound(surgeRaw);
        if (!surge || surge.n !== 0) {
          report(r, `${describeRelease(r)} runs a hostNetwork ${kind} with updateStrategy.rollingUpdate.maxSurge ${JSON.stringify(surgeRaw)}${"maxSurge" in rolling ? "" : " (the chart's default)"}: a surge pod needs the same host ports on the same node and stays Pending, stalling the rollout; set maxSurge: 0.`);
        }
      });
    },
  });
}

const NET_BIND_SERVICE = "NET_BIND_SERVICE";

export function traefikCapabilities(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-capabilities",
    description: "Checks that Traefik drops all capabilities and adds back only NET_BIND_SERVICE, and adds it exactly when an entry point listens below port 1024 (hostNetwork on :80/:443); remove any other capabilities.add entries.",
    level,
    check: (resources, report) => {
      eachKnown(traefikReleases(resources), (r) => {
        const values = valuesOf(r);
        const caps = obj(obj(values.securityContext).capabilities);
        const add = strings(caps.add);
        const extra = add.filter((c) => c !== NET_BIND_SERVICE);
        if (extra.length) {
          report(r, `${describeRelease(r)} adds capabilities ${extra.join(", ")}: Traefik needs none beyond NET_BIND_SERVICE, and each extra one widens what a compromised proxy can do on the node (and breaks Pod Security restricted); remove them from securityContext.capabilities.add.`);
        }
        if ("drop" in caps && !strings(caps.drop).includes("ALL")) {
          report(r, `${describeRelease(r)} sets securityContext.capabilities.drop to [${strings(caps.drop).join(", ")}] without ALL: the container keeps the runtime's default capabilities; drop ALL and add back only NET_BIND_SERVICE where needed.`);
        }
        const privileged = portsOf(values).filter(([, p]) => typeof p.port === "number" && p.port < 1024).map(([n, p]) => `${n}:${String(p.port)}`);
        if (privileged.length && !add.includes(NET_BIND_SERVICE)) {
          report(r, `${describeRelease(r)} listens on ${privileged.join(", ")} without NET_BIND_SERVICE: Traefik fails with "bind: permission denied"; add NET_BIND_SERVICE to securityContext.capabilities.add.`);
        }
        if (!privileged.length && add.includes(NET_BIND_SERVICE)) {
          report(r, `${describeRelease(r)} adds NET_BIND_SERVICE although every entry point listens on port 1024 or above: the capability is unused; remove it so Traefik runs with none.`);
        }
      });
    },
  });
}

export function traefikSecurityContext(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-security-context",
    description: "Checks that Traefik keeps the chart's hardened security context: no privilege escalation, a read-only root filesystem, the RuntimeDefault seccomp profile, and (off the host network) a non-root user as Pod Security restricted demands; do not override these values.",
    level,
    check: (resources, report) => {
      eachKnown(traefikReleases(resources), (r) => {
        const values = valuesOf(r);
        const problems: string[] = [];
        const sc = values.securityContext === null ? undefined : obj(values.securityContext);
        const psc = values.podSecurityContext === null ? undefined : obj(values.podSecurityContext);
        if (!sc) problems.push("securityContext is null (the chart's hardened defaults are removed)");
        if (!psc) problems.push("podSecurityContext is null (the chart's hardened defaults are removed)");
        if (sc?.allowPrivilegeEscalation === true) problems.push("securityContext.allowPrivilegeEscalation is true");
        if (sc?.readOnlyRootFilesystem === false) problems.push("securityContext.readOnlyRootFilesystem is false");
        if (sc?.privileged === true) problems.push("securityContext.privileged is true");
        const seccomp = str(obj(psc?.seccompProfile).type);
        if (psc && seccomp && seccomp !== "RuntimeDefault" && seccomp !== "Localhost") problems.push(`podSecurityContext.seccompProfile.type is ${seccomp}`);
        if (!isHostNetwork(values) && (psc?.runAsNonRoot === false || psc?.runAsUser === 0)) problems.push("the pod runs as root off the host network");
        for (const p of problems) {
          report(r, `${describeRelease(r)}: ${p}; the proxy faces the internet, so a compromise must stay contained (and Pod Security restricted refuses such pods); keep the chart's hardened default.`);
        }
      });
    },
  });
}

export function traefikHostNetworkPrivilegedNamespace(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-hostnetwork-privileged-namespace",
    description: "Checks that a hostNetwork Traefik is installed into a Namespace the stack creates with Pod Security enforce `privileged`, because baseline and restricted refuse host namespaces; create the namespace with pod-security.kubernetes.io/enforce: privileged.",
    level,
    check: (resources, report) => {
      const namespaces = namespacesByName(resources);
      eachKnown(traefikReleases(resources), (r) => {
        if (!isHostNetwork(valuesOf(r))) return;
        const ns = str(r.props.namespace) || "default";
        const namespace = namespaces.get(ns);
        const level = namespace ? metaOf(namespace.props).labels[POD_SECURITY_ENFORCE] : undefined;
        if (level === "privileged") return;
        report(r, `${describeRelease(r)} uses hostNetwork in namespace ${ns}, ${namespace ? `which enforces Pod Security ${level ?? "(no level: the cluster default, baseline on Talos)"}` : "which the stack does not create with Pod Security labels"}: its pods are refused (violates PodSecurity "baseline": host namespaces (hostNetwork=true)); create Namespace ${ns} with ${POD_SECURITY_ENFORCE}: privileged.`);
      });
    },
  });
}

export function traefikHostNetworkPorts(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-hostnetwork-ports",
    description: "Checks that a hostNetwork Traefik listens on :80 and :443 itself (every hostPort equal to its port, as the chart requires), has no Service, and resolves cluster DNS (dnsPolicy ClusterFirstWithHostNet); set ports.web/websecure port and hostPort to 80/443, service.enabled: false and deployment.dnsPolicy.",
    level,
    check: (resources, report) => {
      eachKnown(traefikReleases(resources), (r) => {
        const values = valuesOf(r);
        if (!isHostNetwork(values)) return;
        const what = describeRelease(r);
        for (const [name, port] of portsOf(values)) {
          if (port.hostPort !== undefined && port.hostPort !== null && port.hostPort !== port.port) {
            report(r, `${what} sets ports.${name}.hostPort ${String(port.hostPort)} but port ${String(port.port)}: with hostNetwork the container port is the host port, so the chart refuses a mismatch; set both to the same value.`);
          }
        }
        const ports = Object.fromEntries(portsOf(values));
        for (const [name, wanted] of [["web", 80], ["websecure", 443]] as const) {
          if (ports[name]?.port !== wanted) {
            report(r, `${what} listens on the host's ${String(ports[name]?.port)} for ${name}: DNS points clients at the nodes' :${wanted}, where nothing answers; set ports.${name}.port and hostPort to ${wanted}.`);
          }
        }
        if (obj(values.service).enabled !== false) {
          report(r, `${what} uses hostNetwork but keeps its Service (service.enabled is not false): the LoadBalancer Service claims an address nobody routes to and hides that traffic enters on the nodes; set service.enabled: false.`);
        }
        if (str(obj(values.deployment).dnsPolicy) !== "ClusterFirstWithHostNet") {
          report(r, `${what} uses hostNetwork with dnsPolicy ${str(obj(values.deployment).dnsPolicy) || "(default)"}: the pod resolves names with the node's resolver, so ExternalName services and cluster names fail; set deployment.dnsPolicy: ClusterFirstWithHostNet.`);
        }
      });
    },
  });
}

export function traefikInternalEntryPointsLoopback(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-internal-entry-points-loopback",
    description: `Checks that a hostNetwork Traefik binds its internal entry points (${TRAEFIK_INTERNAL_ENTRY_POINTS.join(", ")}: ping, API, metrics) to loopback: without a host address they listen on every node address, a public one included; set ports.<name>.hostIP: ${LOOPBACK_ADDRESS} (the chart's probes follow ports.traefik.hostIP) or disable the entry point.`,
    level,
    check: (resources, report) => {
      eachKnown(traefikReleases(resources), (r) => {
        const values = valuesOf(r);
        if (!isHostNetwork(values)) return;
        const ports = Object.fromEntries(portsOf(values));
        for (const name of TRAEFIK_INTERNAL_ENTRY_POINTS) {
          const override = obj(values.ports)[name];
          // The chart renders no entry point for a port set to null or false.
          if (override === null || override === false) continue;
          const hostIP = str(ports[name]?.hostIP);
          if (hostIP !== LOOPBACK_ADDRESS) {
            report(r, `${describeRelease(r)} uses hostNetwork and binds its ${name} entry point (:${String(ports[name]?.port)}) on ${hostIP || "every node address"}: it answers from wherever the node is reachable, the internet for a node with a public address; set ports.${name}.hostIP: ${LOOPBACK_ADDRESS}.`);
          }
        }
      });
    },
  });
}

const tolerationsOf = (values: Obj): Obj[] => arr(values.tolerations).map(obj);
const toleratesControlPlane = (values: Obj): boolean =>
  tolerationsOf(values).some((t) => (str(t.key) === CONTROL_PLANE_LABEL && (str(t.operator) || "Equal") === "Exists" && (!t.effect || t.effect === "NoSchedule")) || (!t.key && t.operator === "Exists"));

export function selectsControlPlane(values: Obj): boolean {
  if (CONTROL_PLANE_LABEL in obj(values.nodeSelector)) return true;
  const terms = arr(obj(obj(obj(obj(values.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution)).nodeSelectorTerms);
  return terms.length > 0 && terms.every((t) => arr(obj(t).matchExpressions).some((e) => str(obj(e).key) === CONTROL_PLANE_LABEL && ["Exists", "In"].includes(str(obj(e).operator))));
}

/** The addresses of the Talos nodes a host-network Traefik runs on: the control planes when it is pinned there, else every node. */
export function traefikNodeAddresses(resources: readonly PolicyResource[], values: Obj): string[] {
  const onControlPlanes = selectsControlPlane(values);
  return talosNodes(resources).filter((n) => !onControlPlanes || n.role === "controlplane").map((n) => n.address);
}

/** Every A record's content, for the placement a stack's DNS implies. */
const dnsContents = (resources: readonly PolicyResource[]): string[] => ofType(resources, TYPES.dnsRecord).map((d) => str(d.props.content));

export function traefikControlPlanePlacement(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-controlplane-placement",
    description: "Checks that a Traefik pinned to the control planes (or reached through the control-plane VIP) tolerates the control-plane taint, selects control-plane nodes, uses the host network and runs on every control plane the VIP can move to; set tolerations, nodeSelector node-role.kubernetes.io/control-plane, hostNetwork and deployment.kind DaemonSet.",
    level,
    check: (resources, report) => {
      const vip = clusterVip(resources);
      const dnsOnVip = vip !== undefined && dnsContents(resources).includes(vip);
      const planes = talosNodes(resources).filter((n) => n.role === "controlplane").length;
      eachKnown(traefikReleases(resources), (r) => {
        const values = valuesOf(r);
        const tolerates = toleratesControlPlane(values);
        const selects = selectsControlPlane(values);
        if (!selects && !dnsOnVip) return;
        const what = describeRelease(r);
        const why = dnsOnVip ? `DNS points at the control-plane VIP ${vip}` : "it selects control-plane nodes";
        if (!tolerates) {
          report(r, `${what}: ${why}, but Traefik does not tolerate the ${CONTROL_PLANE_LABEL}:NoSchedule taint, so it is scheduled away from the node holding the VIP (or not at all); add the toleration {key: ${CONTROL_PLANE_LABEL}, operator: Exists, effect: NoSchedule}.`);
        }
        if (!selects) {
          report(r, `${what}: ${why}, but nothing pins Traefik to control-plane nodes, so it may run where the VIP never is; set nodeSelector {${CONTROL_PLANE_LABEL}: ""}.`);
        }
        if (!isHostNetwork(values)) {
          report(r, `${what}: ${why}, but Traefik is not on the host network, so nothing listens on the VIP's :80/:443; set hostNetwork: true.`);
        }
        const kind = workloadKind(values);
        const replicas = replicasOf(values);
        if (kind !== "DaemonSet" && planes > 1 && replicas < planes) {
          report(r, `${what}: ${why}, but ${replicas} Traefik replica(s) cover ${planes} control planes: whenever Talos moves the VIP to a control plane without Traefik, :80/:443 on the VIP answer nothing; set deployment.kind: DaemonSet so every control plane runs one.`);
        }
      });
    },
  });
}

const ACME_ARGUMENT = /^--certificatesresolvers\.[^.=]+\.acme\./i;

/**
 * How many Traefik pods the values run, when the plan says: a Deployment's
 * replicas, or a DaemonSet pinned to the Talos control planes it lists (the
 * config check counts the same way, config/checks.ts).
 */
function traefikPodCount(values: Obj, controlPlanes: number): { readonly pods?: number; readonly what: string } {
  if (workloadKind(values) === "DaemonSet") {
    return selectsControlPlane(values) && controlPlanes > 0
      ? { pods: controlPlanes, what: `a DaemonSet on ${controlPlanes} control plane(s)` }
      : { what: "a DaemonSet (one pod per node)" };
  }
  if (obj(values.autoscaling).enabled === true) return { what: "an autoscaled Deployment" };
  const replicas = replicasOf(values);
  return { pods: replicas, what: `${replicas} replicas` };
}

export function traefikAcmeSingleReplica(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-acme-single-replica",
    description: "Checks that Traefik's own ACME resolver runs in exactly one Traefik pod (a single-replica Deployment, or a DaemonSet pinned to the only control plane), because the community edition cannot share its ACME storage between pods; issue certificates with cert-manager instead, or run one pod.",
    level,
    check: (resources, report) => {
      const planes = talosNodes(resources).filter((n) => n.role === "controlplane").length;
      eachKnown(traefikReleases(resources), (r) => {
        const values = valuesOf(r);
        const resolvers = Object.entries(obj(values.certificatesResolvers)).filter(([, v]) => "acme" in obj(v)).map(([k]) => k);
        const args = strings(values.additionalArguments).filter((a) => ACME_ARGUMENT.test(a));
        if (!resolvers.length && !args.length) return;
        const count = traefikPodCount(values, planes);
        if (count.pods !== 1) {
          report(r, `${describeRelease(r)} uses Traefik's ACME resolver ${[...resolvers, ...args].join(", ")} with ${count.what}: each pod keeps its own acme.json, so they race for the same certificates and hit Let's Encrypt's rate limits; issue certificates with cert-manager (Certificate / cert-manager.io annotations) or run exactly one Traefik pod.`);
        }
      });
    },
  });
}

export function traefikDashboardNotExposed(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-dashboard-not-exposed",
    description: "Checks that Traefik's dashboard and API are not exposed: no dashboard IngressRoute, no insecure API, the internal `traefik` entry point not on the Service, and no route to api@internal; reach the dashboard with kubectl port-forward instead.",
    level,
    check: (resources, report) => {
      eachKnown(traefikReleases(resources), (r) => {
        const values = valuesOf(r);
        const what = describeRelease(r);
        const tail = "the dashboard and API show every router, service and middleware (and the backends behind them) to whoever reaches them; leave them unexposed and use kubectl port-forward to look.";
        if (obj(obj(values.ingressRoute).dashboard).enabled === true) report(r, `${what} enables ingressRoute.dashboard: ${tail}`);
        if (obj(values.api).insecure === true) report(r, `${what} sets api.insecure: true, serving the API and dashboard without authentication on the traefik entry point: ${tail}`);
        if (obj(obj(obj(values.ports).traefik).expose).default === true) report(r, `${what} exposes the internal traefik entry point (ports.traefik.expose.default: true) on its Service: ${tail}`);
        for (const a of strings(values.additionalArguments).filter((x) => /^--api\.insecure(=true)?$/i.test(x))) report(r, `${what} passes ${a}: ${tail}`);
      });
      eachKnown(ofType(resources, TYPES.ingressRoute), (ir) => {
        const internal = arr(obj(ir.props.spec).routes).some((route) => arr(obj(route).services).some((s) => str(obj(s).name) === "api@internal"));
        if (internal) {
          const m = metaOf(ir.props);
          report(ir, `IngressRoute ${m.namespace}/${m.name} routes to api@internal, publishing Traefik's dashboard and API: they reveal every route and backend; remove the route and use kubectl port-forward.`);
        }
      });
    },
  });
}

export function traefikForwardedHeadersCloudflareOnly(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-forwarded-headers-cloudflare-only",
    description: "Checks that Traefik trusts X-Forwarded-* and PROXY protocol headers only from Cloudflare's ranges (looked up at deploy time) and never `insecure`, so no client can forge its address; set ports.<entry>.forwardedHeaders.trustedIPs from the Cloudflare IP-ranges lookup. Config: cloudflareRanges overrides the ranges accepted.",
    level,
    configSchema: { properties: { cloudflareRanges: { type: "array", items: { type: "string" }, description: "The CIDRs trusted forwarders may come from (default: Cloudflare's published ranges)." } } },
    check: (resources, report, args) => {
      const allowed = args.getConfig<{ cloudflareRanges?: string[] }>().cloudflareRanges ?? CLOUDFLARE_RANGES;
      eachKnown(traefikReleases(resources), (r) => {
        const values = valuesOf(r);
        const what = describeRelease(r);
        for (const [name, port] of portsOf(values)) {
          for (const field of ["forwardedHeaders", "proxyProtocol"] as const) {
            const trust = obj(port[field]);
            if (trust.insecure === true) {
              report(r, `${what} sets ports.${name}.${field}.insecure: true: any client can claim any address (rate limits, allow-lists and logs trust the forged X-Forwarded-For); remove insecure and list Cloudflare's ranges in trustedIPs.`);
            }
            const outside = strings(trust.trustedIPs).filter((cidr) => !withinAny(cidr, allowed));
            if (outside.length) {
              report(r, `${what} trusts ${field} on ${name} from ${outside.join(", ")}, outside Cloudflare's ranges: whoever connects from there can forge the client address; trust only Cloudflare's ranges from the deploy-time IP-ranges lookup (or list the extra range in this rule's cloudflareRanges config).`);
            }
          }
        }
        for (const a of strings(values.additionalArguments).filter((x) => /^--entrypoints\.[^.]+\.(forwardedheaders|proxyprotocol)\.insecure(=true)?$/i.test(x))) {
          report(r, `${what} passes ${a}: any client can forge its address; remove it and trust Cloudflare's ranges instead.`);
        }
      });
    },
  });
}

export function traefikResourcesSet(level: Level = "advisory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-resources-set",
    description: "Checks that Traefik requests CPU and memory and limits memory, so the scheduler places it where it fits and a leak cannot starve the node; set resources.requests.cpu, requests.memory and limits.memory.",
    level,
    check: (resources, report) => {
      eachKnown(traefikReleases(resources), (r) => {
        const res = obj(valuesOf(r).resources);
        const missing = [["requests", "cpu"], ["requests", "memory"], ["limits", "memory"]].filter(([k, f]) => !str(obj(res[k!])[f!])).map(([k, f]) => `resources.${k}.${f}`);
        if (missing.length) {
          report(r, `${describeRelease(r)} does not set ${missing.join(", ")}: without requests the ingress is the first pod evicted under pressure, and without a memory limit a leak takes the node down; set them (e.g. requests 100m/128Mi, limit 256Mi).`);
        }
      });
    },
  });
}

// Mandatory like the config check it mirrors (homelab:traefik.replicas ≥ 2 for the deployment placement).
export function traefikDeploymentAvailability(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-deployment-availability",
    description: "Checks that a Traefik Deployment behind a LoadBalancer runs at least two replicas spread across nodes with a PodDisruptionBudget, so a node drain or upgrade does not take every route down; set deployment.replicas ≥ 2, topologySpreadConstraints and podDisruptionBudget.enabled.",
    level,
    check: (resources, report) => {
      eachKnown(traefikReleases(resources), (r) => {
        const values = valuesOf(r);
        if (isHostNetwork(values) || workloadKind(values) !== "Deployment") return;
        const what = describeRelease(r);
        const replicas = replicasOf(values);
        if (replicas < 2) report(r, `${what} runs ${replicas} replica: every rollout or node drain interrupts all routes; set deployment.replicas to 2 or more.`);
        const spread = arr(values.topologySpreadConstraints).length > 0 || Object.keys(obj(obj(values.affinity).podAntiAffinity)).length > 0;
        if (replicas >= 2 && !spread) report(r, `${what} does not spread its replicas across nodes: both may land on one node and fail together; add a topologySpreadConstraint on kubernetes.io/hostname.`);
        if (obj(values.podDisruptionBudget).enabled !== true) report(r, `${what} has no PodDisruptionBudget: a drain may evict every replica at once; set podDisruptionBudget.enabled: true with maxUnavailable: 1.`);
      });
    },
  });
}

export function ingressClassUnique(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "ingress-class-unique",
    description: "Checks that each IngressClass name is created once (the Traefik chart already creates its own) and at most one class is the cluster default; do not add an IngressClass beside the chart's, use ingressClass.name to rename it.",
    level,
    check: (resources, report) => {
      const classes = ingressClasses(resources);
      const byName = Map.groupBy(classes.filter((x) => x.name), (c) => c.name!);
      for (const [name, list] of byName) {
        for (const dup of list.slice(1)) {
          report(dup.source, `IngressClass ${name} is created ${list.length} times (${list.map((c) => (c.source.type === TYPES.release ? describeRelease(c.source) : `IngressClass ${name}`)).join(", ")}): the second apply fails or fights over the object; keep the one the Traefik chart creates (ingressClass.enabled) and delete the other.`);
        }
      }
      const defaults = classes.filter((c) => c.isDefault);
      if (defaults.length > 1) {
        report(defaults[1]!.source, `Expected at most one default IngressClass but found ${defaults.length} (${defaults.map((c) => c.name ?? "(unnamed)").join(", ")}): Kubernetes refuses new Ingresses without an explicit class when several are default; mark only one as default.`);
      }
    },
  });
}

/** `<namespace>/<name>` of every Service of type ExternalName the stack creates. */
function externalNameServices(resources: readonly PolicyResource[]): Set<string> {
  return new Set(ofType(resources, TYPES.service).filter((s) => str(obj(s.props.spec).type) === "ExternalName").map((s) => `${metaOf(s.props).namespace}/${metaOf(s.props).name}`));
}

export function traefikProvidersMatchRoutes(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-providers-match-routes",
    description: "Checks that Traefik enables the providers the stack's routes need: the Kubernetes Ingress provider for Ingresses, the CRD provider for IngressRoutes and Middlewares, and allowExternalNameServices where a route targets an ExternalName Service; enable them under providers.",
    level,
    check: (resources, report) => {
      const releases = traefikReleases(resources);
      if (releases.length === 0) return;
      const ingresses = ofType(resources, TYPES.ingress);
      const crs = resources.filter((r) => r.type.startsWith("kubernetes:traefik.io/"));
      const external = externalNameServices(resources);
      const ingressToExternal = ingresses.some((i) => routeBackends(i).some((b) => external.has(b)));
      const routeToExternal = ofType(resources, TYPES.ingressRoute).some((i) => routeBackends(i).some((b) => external.has(b)));
      eachKnown(releases, (r) => {
        const providers = obj(valuesOf(r).providers);
        const ingress = obj(providers.kubernetesIngress);
        const crd = obj(providers.kubernetesCRD);
        const what = describeRelease(r);
        if (ingresses.length && ingress.enabled === false) report(r, `${what} disables providers.kubernetesIngress while the stack declares ${ingresses.length} Ingress(es): Traefik ignores them and every such route returns 404; enable the provider.`);
        if (crs.length && crd.enabled === false) report(r, `${what} disables providers.kubernetesCRD while the stack declares ${crs.length} Traefik custom resource(s): IngressRoutes and Middlewares are ignored; enable the provider.`);
        if (ingressToExternal && ingress.allowExternalNameServices !== true) report(r, `${what}: an Ingress routes to an ExternalName Service, but providers.kubernetesIngress.allowExternalNameServices is not true, so Traefik refuses the backend ("externalName services not allowed"); set it to true.`);
        if (routeToExternal && crd.allowExternalNameServices !== true) report(r, `${what}: an IngressRoute routes to an ExternalName Service, but providers.kubernetesCRD.allowExternalNameServices is not true, so Traefik refuses the backend; set it to true.`);
      });
    },
  });
}
