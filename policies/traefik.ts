/**
 * Traefik's Helm values in each placement: host-network rollouts, Pod
 * Security, control-plane pinning, ACME, the dashboard, trusted forwarders,
 * the IngressClass and the providers routes rely on.
 */
import {
  POD_SECURITY_ENFORCE,
  TYPES,
  routeBackends,
  arr,
  describeRelease,
  eachKnown,
  metaOf,
  namespacesByName,
  obj,
  ofType,
  stackPolicy,
  str,
  strings,
  valuesOf,
  type HomelabPolicy,
  type Level,
} from "./common.ts";
import { reachesNonPublic, withinAny } from "./net.ts";
import { CONTROL_PLANE_LABEL } from "../contract/kubernetes.ts";
import { LOOPBACK_ADDRESS, TRAEFIK_INTERNAL_ENTRY_POINTS } from "../contract/charts.ts";
import { clusterVip, talosNodes } from "./helpers/talos.ts";
import {
  traefikReleases,
  isHostNetwork,
  workloadKind,
  chartDefaultsOf,
  replicasOf,
  portsOf,
  ingressClasses,
  bound,
  toleratesControlPlane,
  selectsControlPlane,
  dnsContents,
  traefikPodCount,
  lookedUpCloudflareRanges,
  externalNameServices,
} from "./helpers/traefik.ts";
import { tunnelForwarders } from "./helpers/tunnel.ts";

export function traefikHostNetworkRollingUpdate(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-hostnetwork-rolling-update",
    description:
      "Checks that a hostNetwork Traefik rolls out with maxUnavailable ≥ 1 and maxSurge 0, because a new pod cannot bind the host ports its predecessor still holds (Kubernetes refuses maxUnavailable 0 with hostNetwork); set updateStrategy.rollingUpdate to {maxUnavailable: 1, maxSurge: 0}.",
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
          report(
            r,
            `${describeRelease(r)} runs a hostNetwork ${kind} with updateStrategy.type ${type}: pods are never replaced on upgrade; use RollingUpdate with maxUnavailable: 1 and maxSurge: 0.`,
          );
          return;
        }
        const rolling = obj(strategy.rollingUpdate);
        const chartRollout = chartDefaultsOf(r).rollingUpdate;
        const unavailable = bound("maxUnavailable" in rolling ? rolling.maxUnavailable : chartRollout.maxUnavailable);
        if (!unavailable || unavailable.n < 1) {
          report(
            r,
            `${describeRelease(r)} runs a hostNetwork ${kind} with updateStrategy.rollingUpdate.maxUnavailable ${JSON.stringify(rolling.maxUnavailable ?? chartRollout.maxUnavailable)}${"maxUnavailable" in rolling ? "" : " (the chart's default)"}: Kubernetes rejects it ("maxUnavailable should be greater than 0 when using hostNetwork"), since a replacement pod cannot bind the host ports until the old one stops; set maxUnavailable: 1.`,
          );
        }
        const surgeRaw = "maxSurge" in rolling ? rolling.maxSurge : chartRollout.maxSurge;
        const surge = surgeRaw === null && kind === "DaemonSet" ? { n: 0, percent: false } : bound(surgeRaw);
        if (surge?.n !== 0) {
          report(
            r,
            `${describeRelease(r)} runs a hostNetwork ${kind} with updateStrategy.rollingUpdate.maxSurge ${JSON.stringify(surgeRaw)}${"maxSurge" in rolling ? "" : " (the chart's default)"}: a surge pod needs the same host ports on the same node and stays Pending, stalling the rollout; set maxSurge: 0.`,
          );
        }
      });
    },
  });
}

const NET_BIND_SERVICE = "NET_BIND_SERVICE";

export function traefikCapabilities(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-capabilities",
    description:
      "Checks that Traefik drops all capabilities and adds back only NET_BIND_SERVICE, and adds it exactly when an entry point listens below port 1024 (hostNetwork on :80/:443); remove any other capabilities.add entries.",
    level,
    check: (resources, report) => {
      eachKnown(traefikReleases(resources), (r) => {
        const values = valuesOf(r);
        const caps = obj(obj(values.securityContext).capabilities);
        const add = strings(caps.add);
        const extra = add.filter((c) => c !== NET_BIND_SERVICE);
        if (extra.length) {
          report(
            r,
            `${describeRelease(r)} adds capabilities ${extra.join(", ")}: Traefik needs none beyond NET_BIND_SERVICE, and each extra one widens what a compromised proxy can do on the node (and breaks Pod Security restricted); remove them from securityContext.capabilities.add.`,
          );
        }
        if ("drop" in caps && !strings(caps.drop).includes("ALL")) {
          report(
            r,
            `${describeRelease(r)} sets securityContext.capabilities.drop to [${strings(caps.drop).join(", ")}] without ALL: the container keeps the runtime's default capabilities; drop ALL and add back only NET_BIND_SERVICE where needed.`,
          );
        }
        const privileged = portsOf(r)
          .filter(([, p]) => typeof p.port === "number" && p.port < 1024)
          .map(([n, p]) => `${n}:${String(p.port)}`);
        if (privileged.length && !add.includes(NET_BIND_SERVICE)) {
          report(
            r,
            `${describeRelease(r)} listens on ${privileged.join(", ")} without NET_BIND_SERVICE: Traefik fails with "bind: permission denied"; add NET_BIND_SERVICE to securityContext.capabilities.add.`,
          );
        }
        if (!privileged.length && add.includes(NET_BIND_SERVICE)) {
          report(
            r,
            `${describeRelease(r)} adds NET_BIND_SERVICE although every entry point listens on port 1024 or above: the capability is unused; remove it so Traefik runs with none.`,
          );
        }
      });
    },
  });
}

export function traefikSecurityContext(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-security-context",
    description:
      "Checks that Traefik keeps the chart's hardened security context: no privilege escalation, a read-only root filesystem, the RuntimeDefault seccomp profile, and (off the host network) a non-root user as Pod Security restricted demands; do not override these values.",
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
        if (psc && seccomp && seccomp !== "RuntimeDefault" && seccomp !== "Localhost")
          problems.push(`podSecurityContext.seccompProfile.type is ${seccomp}`);
        if (!isHostNetwork(values) && (psc?.runAsNonRoot === false || psc?.runAsUser === 0))
          problems.push("the pod runs as root off the host network");
        for (const p of problems) {
          report(
            r,
            `${describeRelease(r)}: ${p}; the proxy faces the internet, so a compromise must stay contained (and Pod Security restricted refuses such pods); keep the chart's hardened default.`,
          );
        }
      });
    },
  });
}

export function traefikHostNetworkPrivilegedNamespace(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-hostnetwork-privileged-namespace",
    description:
      "Checks that a hostNetwork Traefik is installed into a Namespace the stack creates with Pod Security enforce `privileged`, because baseline and restricted refuse host namespaces; create the namespace with pod-security.kubernetes.io/enforce: privileged.",
    level,
    check: (resources, report) => {
      const namespaces = namespacesByName(resources);
      eachKnown(traefikReleases(resources), (r) => {
        if (!isHostNetwork(valuesOf(r))) return;
        const ns = str(r.props.namespace) || "default";
        const namespace = namespaces.get(ns);
        const level = namespace ? metaOf(namespace.props).labels[POD_SECURITY_ENFORCE] : undefined;
        if (level === "privileged") return;
        report(
          r,
          `${describeRelease(r)} uses hostNetwork in namespace ${ns}, ${namespace ? `which enforces Pod Security ${level ?? "(no level: the cluster default, baseline on Talos)"}` : "which the stack does not create with Pod Security labels"}: its pods are refused (violates PodSecurity "baseline": host namespaces (hostNetwork=true)); create Namespace ${ns} with ${POD_SECURITY_ENFORCE}: privileged.`,
        );
      });
    },
  });
}

export function traefikHostNetworkPorts(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-hostnetwork-ports",
    description:
      "Checks that a hostNetwork Traefik listens on :80 and :443 itself (every hostPort equal to its port, as the chart requires), has no Service, and resolves cluster DNS (dnsPolicy ClusterFirstWithHostNet); set ports.web/websecure port and hostPort to 80/443, service.enabled: false and deployment.dnsPolicy.",
    level,
    check: (resources, report) => {
      eachKnown(traefikReleases(resources), (r) => {
        const values = valuesOf(r);
        if (!isHostNetwork(values)) return;
        const what = describeRelease(r);
        for (const [name, port] of portsOf(r)) {
          if (port.hostPort !== undefined && port.hostPort !== null && port.hostPort !== port.port) {
            report(
              r,
              `${what} sets ports.${name}.hostPort ${String(port.hostPort)} but port ${String(port.port)}: with hostNetwork the container port is the host port, so the chart refuses a mismatch; set both to the same value.`,
            );
          }
        }
        const ports = Object.fromEntries(portsOf(r));
        for (const [name, wanted] of [
          ["web", 80],
          ["websecure", 443],
        ] as const) {
          if (ports[name]?.port !== wanted) {
            report(
              r,
              `${what} listens on the host's ${String(ports[name]?.port)} for ${name}: DNS points clients at the nodes' :${wanted}, where nothing answers; set ports.${name}.port and hostPort to ${wanted}.`,
            );
          }
        }
        if (obj(values.service).enabled !== false) {
          report(
            r,
            `${what} uses hostNetwork but keeps its Service (service.enabled is not false): the LoadBalancer Service claims an address nobody routes to and hides that traffic enters on the nodes; set service.enabled: false.`,
          );
        }
        if (str(obj(values.deployment).dnsPolicy) !== "ClusterFirstWithHostNet") {
          report(
            r,
            `${what} uses hostNetwork with dnsPolicy ${str(obj(values.deployment).dnsPolicy) || "(default)"}: the pod resolves names with the node's resolver, so ExternalName services and cluster names fail; set deployment.dnsPolicy: ClusterFirstWithHostNet.`,
          );
        }
      });
    },
  });
}

export function traefikControlPlanePlacement(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-controlplane-placement",
    description:
      "Checks that a Traefik pinned to the control planes (or reached through the control-plane VIP) tolerates the control-plane taint, selects control-plane nodes, uses the host network and runs on every control plane the VIP can move to; set tolerations, nodeSelector node-role.kubernetes.io/control-plane, hostNetwork and deployment.kind DaemonSet.",
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
          report(
            r,
            `${what}: ${why}, but Traefik does not tolerate the ${CONTROL_PLANE_LABEL}:NoSchedule taint, so it is scheduled away from the node holding the VIP (or not at all); add the toleration {key: ${CONTROL_PLANE_LABEL}, operator: Exists, effect: NoSchedule}.`,
          );
        }
        if (!selects) {
          report(
            r,
            `${what}: ${why}, but nothing pins Traefik to control-plane nodes, so it may run where the VIP never is; set nodeSelector {${CONTROL_PLANE_LABEL}: ""}.`,
          );
        }
        if (!isHostNetwork(values)) {
          report(
            r,
            `${what}: ${why}, but Traefik is not on the host network, so nothing listens on the VIP's :80/:443; set hostNetwork: true.`,
          );
        }
        const kind = workloadKind(values);
        const replicas = replicasOf(r);
        if (kind !== "DaemonSet" && planes > 1 && replicas < planes) {
          report(
            r,
            `${what}: ${why}, but ${replicas} Traefik replica(s) cover ${planes} control planes: whenever Talos moves the VIP to a control plane without Traefik, :80/:443 on the VIP answer nothing; set deployment.kind: DaemonSet so every control plane runs one.`,
          );
        }
      });
    },
  });
}

const ACME_ARGUMENT = /^--certificatesresolvers\.[^.=]+\.acme\./i;

export function traefikAcmeSingleReplica(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-acme-single-replica",
    description:
      "Checks that Traefik's own ACME resolver runs in exactly one Traefik pod (a single-replica Deployment, or a DaemonSet pinned to the only control plane), because the community edition cannot share its ACME storage between pods; issue certificates with cert-manager instead, or run one pod.",
    level,
    check: (resources, report) => {
      const planes = talosNodes(resources).filter((n) => n.role === "controlplane").length;
      eachKnown(traefikReleases(resources), (r) => {
        const values = valuesOf(r);
        const resolvers = Object.entries(obj(values.certificatesResolvers))
          .filter(([, v]) => "acme" in obj(v))
          .map(([k]) => k);
        const args = strings(values.additionalArguments).filter((a) => ACME_ARGUMENT.test(a));
        if (!resolvers.length && !args.length) return;
        const count = traefikPodCount(r, planes);
        if (count.pods !== 1) {
          report(
            r,
            `${describeRelease(r)} uses Traefik's ACME resolver ${[...resolvers, ...args].join(", ")} with ${count.what}: each pod keeps its own acme.json, so they race for the same certificates and hit Let's Encrypt's rate limits; issue certificates with cert-manager (Certificate / cert-manager.io annotations) or run exactly one Traefik pod.`,
          );
        }
      });
    },
  });
}

export function traefikDashboardNotExposed(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-dashboard-not-exposed",
    description:
      "Checks that Traefik's dashboard and API are not exposed: no dashboard IngressRoute, no insecure API, the internal `traefik` entry point not on the Service, and no route to api@internal; reach the dashboard with kubectl port-forward instead.",
    level,
    check: (resources, report) => {
      eachKnown(traefikReleases(resources), (r) => {
        const values = valuesOf(r);
        const what = describeRelease(r);
        const tail =
          "the dashboard and API show every router, service and middleware (and the backends behind them) to whoever reaches them; leave them unexposed and use kubectl port-forward to look.";
        if (obj(obj(values.ingressRoute).dashboard).enabled === true) report(r, `${what} enables ingressRoute.dashboard: ${tail}`);
        if (obj(values.api).insecure === true)
          report(
            r,
            `${what} sets api.insecure: true, serving the API and dashboard without authentication on the traefik entry point: ${tail}`,
          );
        if (obj(obj(obj(values.ports).traefik).expose).default === true)
          report(r, `${what} exposes the internal traefik entry point (ports.traefik.expose.default: true) on its Service: ${tail}`);
        for (const a of strings(values.additionalArguments).filter((x) => /^--api\.insecure(=true)?$/i.test(x)))
          report(r, `${what} passes ${a}: ${tail}`);
      });
      eachKnown(ofType(resources, TYPES.ingressRoute), (ir) => {
        const internal = arr(obj(ir.props.spec).routes).some((route) =>
          arr(obj(route).services).some((s) => str(obj(s).name) === "api@internal"),
        );
        if (internal) {
          const m = metaOf(ir.props);
          report(
            ir,
            `IngressRoute ${m.namespace}/${m.name} routes to api@internal, publishing Traefik's dashboard and API: they reveal every route and backend; remove the route and use kubectl port-forward.`,
          );
        }
      });
    },
  });
}

export function traefikForwardedHeadersCloudflareOnly(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-forwarded-headers-cloudflare-only",
    description:
      "Checks that Traefik trusts X-Forwarded-* and PROXY protocol headers only from the Cloudflare ranges the plan itself looked up at deploy time (the homelab:cloudflare:IpRanges component), all of them, never a private or catch-all range and never `insecure` — or, with a Cloudflare Tunnel, only from cloudflared's sources in the cluster — so no client can forge its address; set ports.<entry>.forwardedHeaders.trustedIPs from the Cloudflare IP-ranges lookup. Config: cloudflareRanges replaces the looked-up ranges as the bound.",
    level,
    configSchema: {
      properties: {
        cloudflareRanges: {
          type: "array",
          items: { type: "string" },
          description: "The CIDRs trusted forwarders may come from (default: the ranges the plan looked up from Cloudflare).",
        },
      },
    },
    check: (resources, report, args) => {
      // Through a tunnel the only forwarder is cloudflared in the cluster: its sources replace Cloudflare's ranges.
      const forwarders = tunnelForwarders(resources);
      const configured = args.getConfig<{ cloudflareRanges?: string[] }>().cloudflareRanges;
      const lookup = lookedUpCloudflareRanges(resources);
      eachKnown(lookup?.lookups ?? [], (l) => {
        if (strings(l.props.ipv4Cidrs).length + strings(l.props.ipv6Cidrs).length === 0) {
          report(
            l,
            `The Cloudflare IP-ranges lookup ${l.name} returned no ranges: Traefik would trust no forwarder and see every visitor as a Cloudflare edge address; check the Cloudflare provider's credentials and rerun the preview.`,
          );
        }
      });
      eachKnown(traefikReleases(resources), (r) => {
        const values = valuesOf(r);
        const what = describeRelease(r);
        const unbounded: string[] = [];
        for (const [name, port] of portsOf(r)) {
          for (const field of ["forwardedHeaders", "proxyProtocol"] as const) {
            const trust = obj(port[field]);
            if (trust.insecure === true) {
              report(
                r,
                `${what} sets ports.${name}.${field}.insecure: true: any client can claim any address (rate limits, allow-lists and logs trust the forged X-Forwarded-For); remove insecure and list Cloudflare's ranges in trustedIPs.`,
              );
            }
            const trusted = strings(trust.trustedIPs);
            if (trusted.length === 0) continue;
            if (forwarders) {
              const elsewhere = trusted.filter((cidr) => !withinAny(cidr, forwarders));
              if (elsewhere.length) {
                report(
                  r,
                  `${what} trusts ${field} on ${name} from ${elsewhere.join(", ")}, but requests reach it through the Cloudflare Tunnel, whose only forwarder is cloudflared (${forwarders.join(", ")}): whoever connects from there can forge the client address; trust cloudflared's sources only.`,
                );
              }
              continue;
            }
            const local = trusted.filter(reachesNonPublic);
            if (local.length) {
              report(
                r,
                `${what} trusts ${field} on ${name} from ${local.join(", ")}, which reach private, loopback or catch-all addresses no Cloudflare edge has: anyone there can forge the client address; trust only the ranges of the deploy-time Cloudflare lookup.`,
              );
            }
            const bound = configured ?? lookup?.ranges;
            if (!bound) {
              unbounded.push(`ports.${name}.${field}`);
              continue;
            }
            const outside = trusted.filter((cidr) => !local.includes(cidr) && !withinAny(cidr, bound));
            if (outside.length) {
              report(
                r,
                `${what} trusts ${field} on ${name} from ${outside.join(", ")}, outside the Cloudflare ranges ${configured ? "this rule's cloudflareRanges config lists" : "the plan looked up"}: whoever connects from there can forge the client address; trust only Cloudflare's ranges from the deploy-time IP-ranges lookup (or list the extra range in this rule's cloudflareRanges config).`,
              );
            }
            const missing = configured || local.length ? [] : bound.filter((cidr) => !withinAny(cidr, trusted));
            if (missing.length) {
              report(
                r,
                `${what} trusts ${field} on ${name} from only part of the Cloudflare ranges the plan looked up (missing ${missing.join(", ")}): visitors arriving through those edges are logged, rate-limited and allow-listed as Cloudflare's address; trust the whole lookup result.`,
              );
            }
          }
        }
        if (unbounded.length) {
          report(
            r,
            `${what} trusts forwarders on ${unbounded.join(", ")}, but the plan looks up no Cloudflare ranges (no ${TYPES.cloudflareIpRanges} component) to hold them against: a typed list goes stale and may trust anyone; take trustedIPs from the deploy-time lookup (traefik.trustCloudflare).`,
          );
        }
        for (const a of strings(values.additionalArguments).filter((x) =>
          /^--entrypoints\.[^.]+\.(forwardedheaders|proxyprotocol)\.insecure(=true)?$/i.test(x),
        )) {
          report(r, `${what} passes ${a}: any client can forge its address; remove it and trust Cloudflare's ranges instead.`);
        }
      });
    },
  });
}

export function traefikResourcesSet(level: Level = "advisory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-resources-set",
    description:
      "Checks that Traefik requests CPU and memory and limits memory, so the scheduler places it where it fits and a leak cannot starve the node; set resources.requests.cpu, requests.memory and limits.memory.",
    level,
    check: (resources, report) => {
      eachKnown(traefikReleases(resources), (r) => {
        const res = obj(valuesOf(r).resources);
        const missing = [
          ["requests", "cpu"],
          ["requests", "memory"],
          ["limits", "memory"],
        ]
          .filter(([k, f]) => !str(obj(res[k!])[f!]))
          .map(([k, f]) => `resources.${k}.${f}`);
        if (missing.length) {
          report(
            r,
            `${describeRelease(r)} does not set ${missing.join(", ")}: without requests the ingress is the first pod evicted under pressure, and without a memory limit a leak takes the node down; set them (e.g. requests 100m/128Mi, limit 256Mi).`,
          );
        }
      });
    },
  });
}

// Mandatory like the config check it mirrors (homelab:traefik.replicas ≥ 2 for the deployment placement).
export function traefikDeploymentAvailability(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-deployment-availability",
    description:
      "Checks that a Traefik Deployment behind a LoadBalancer runs at least two replicas spread across nodes with a PodDisruptionBudget, so a node drain or upgrade does not take every route down; set deployment.replicas ≥ 2, topologySpreadConstraints and podDisruptionBudget.enabled.",
    level,
    check: (resources, report) => {
      eachKnown(traefikReleases(resources), (r) => {
        const values = valuesOf(r);
        if (isHostNetwork(values) || workloadKind(values) !== "Deployment") return;
        const what = describeRelease(r);
        const replicas = replicasOf(r);
        if (replicas < 2)
          report(
            r,
            `${what} runs ${replicas} replica: every rollout or node drain interrupts all routes; set deployment.replicas to 2 or more.`,
          );
        const spread =
          arr(values.topologySpreadConstraints).length > 0 || Object.keys(obj(obj(values.affinity).podAntiAffinity)).length > 0;
        if (replicas >= 2 && !spread)
          report(
            r,
            `${what} does not spread its replicas across nodes: both may land on one node and fail together; add a topologySpreadConstraint on kubernetes.io/hostname.`,
          );
        if (obj(values.podDisruptionBudget).enabled !== true)
          report(
            r,
            `${what} has no PodDisruptionBudget: a drain may evict every replica at once; set podDisruptionBudget.enabled: true with maxUnavailable: 1.`,
          );
      });
    },
  });
}

export function ingressClassUnique(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "ingress-class-unique",
    description:
      "Checks that each IngressClass name is created once (the Traefik chart already creates its own) and at most one class is the cluster default; do not add an IngressClass beside the chart's, use ingressClass.name to rename it.",
    level,
    check: (resources, report) => {
      const classes = ingressClasses(resources);
      const byName = Map.groupBy(
        classes.filter((x) => x.name),
        (c) => c.name!,
      );
      for (const [name, list] of byName) {
        for (const dup of list.slice(1)) {
          report(
            dup.source,
            `IngressClass ${name} is created ${list.length} times (${list.map((c) => (c.source.type === TYPES.release ? describeRelease(c.source) : `IngressClass ${name}`)).join(", ")}): the second apply fails or fights over the object; keep the one the Traefik chart creates (ingressClass.enabled) and delete the other.`,
          );
        }
      }
      const defaults = classes.filter((c) => c.isDefault);
      if (defaults.length > 1) {
        report(
          defaults[1]!.source,
          `Expected at most one default IngressClass but found ${defaults.length} (${defaults.map((c) => c.name ?? "(unnamed)").join(", ")}): Kubernetes refuses new Ingresses without an explicit class when several are default; mark only one as default.`,
        );
      }
    },
  });
}

export function traefikProvidersMatchRoutes(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-providers-match-routes",
    description:
      "Checks that Traefik enables the providers the stack's routes need: the Kubernetes Ingress provider for Ingresses, the CRD provider for IngressRoutes and Middlewares, and allowExternalNameServices where a route targets an ExternalName Service; enable them under providers.",
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
        if (ingresses.length && ingress.enabled === false)
          report(
            r,
            `${what} disables providers.kubernetesIngress while the stack declares ${ingresses.length} Ingress(es): Traefik ignores them and every such route returns 404; enable the provider.`,
          );
        if (crs.length && crd.enabled === false)
          report(
            r,
            `${what} disables providers.kubernetesCRD while the stack declares ${crs.length} Traefik custom resource(s): IngressRoutes and Middlewares are ignored; enable the provider.`,
          );
        if (ingressToExternal && ingress.allowExternalNameServices !== true)
          report(
            r,
            `${what}: an Ingress routes to an ExternalName Service, but providers.kubernetesIngress.allowExternalNameServices is not true, so Traefik refuses the backend ("externalName services not allowed"); set it to true.`,
          );
        if (routeToExternal && crd.allowExternalNameServices !== true)
          report(
            r,
            `${what}: an IngressRoute routes to an ExternalName Service, but providers.kubernetesCRD.allowExternalNameServices is not true, so Traefik refuses the backend; set it to true.`,
          );
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
        const ports = Object.fromEntries(portsOf(r));
        for (const name of TRAEFIK_INTERNAL_ENTRY_POINTS) {
          const override = obj(values.ports)[name];
          // The chart renders no entry point for a port set to null or false.
          if (override === null || override === false) continue;
          const hostIP = str(ports[name]?.hostIP);
          if (hostIP !== LOOPBACK_ADDRESS) {
            report(
              r,
              `${describeRelease(r)} uses hostNetwork and binds its ${name} entry point (:${String(ports[name]?.port)}) on ${hostIP || "every node address"}: it answers from wherever the node is reachable, the internet for a node with a public address; set ports.${name}.hostIP: ${LOOPBACK_ADDRESS}.`,
            );
          }
        }
      });
    },
  });
}
