/**
 * What Traefik exposes and whom it believes: the dashboard and the internal
 * entry points, the forwarders it trusts for client addresses, and which
 * routes it serves (its providers, the one IngressClass). Its placement is
 * traefik.ts.
 */
import {
  routeBackends,
  describeRelease,
  eachKnown,
  metaOf,
  ofType,
  stackPolicy,
  valuesOf,
  type HomelabPolicy,
  type Level,
} from "./common.ts";
import { reachesNonPublic, withinAny } from "@homelab/contract/net";
import { LOOPBACK_ADDRESS, TRAEFIK_INTERNAL_ENTRY_POINTS } from "@homelab/contract/charts";
import {
  traefikReleases,
  isHostNetwork,
  portsOf,
  ingressClasses,
  lookedUpCloudflareRanges,
  externalNameServices,
} from "./helpers/traefik.ts";
import { tunnelForwarders } from "./helpers/tunnel.ts";
import { COMPONENTS, TYPES } from "@homelab/contract/tokens";
import { arr, obj, str, strings } from "@homelab/contract/props";

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
            `${what} trusts forwarders on ${unbounded.join(", ")}, but the plan looks up no Cloudflare ranges (no ${COMPONENTS.cloudflareIpRanges} component) to hold them against: a typed list goes stale and may trust anyone; take trustedIPs from the deploy-time lookup (traefik.trustCloudflare).`,
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
