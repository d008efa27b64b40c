/**
 * Private (LAN-only) apps: the hosts the stack hands to a LAN resolver must be
 * closed to the internet, not merely absent from public DNS. A route serving
 * one is closed when every entry point it attaches to is reachable from the
 * LAN alone (a Service of Traefik's own with a private address, never the
 * public Service, the tunnel's origin or the host network) or when it carries
 * an allow-list of private ranges matched against the connection's address.
 */
import type { PolicyResource } from "@pulumi/policy";
import { eachKnown, metaOf, ofType, requestedLoadBalancerIps, stackPolicy, valuesOf, type HomelabPolicy, type Level } from "./common.ts";
import { isNonPublicAddress, isNonPublicRange } from "@homelab/contract/net";
import { isHostNetwork, portsOf, traefikReleases } from "./helpers/traefik.ts";
import { routeEntries } from "./helpers/routes.ts";
import { TUNNEL_TYPES, lanOnlyHosts } from "./helpers/tunnel.ts";
import { TYPES } from "@homelab/contract/tokens";
import { arr, obj, str, strings, type Obj } from "@homelab/contract/props";

const ENTRY_POINTS_ANNOTATION = "traefik.ingress.kubernetes.io/router.entrypoints";
const MIDDLEWARES_ANNOTATION = "traefik.ingress.kubernetes.io/router.middlewares";

/** The entry points of a pod-network Traefik that only LAN clients reach, by name, and every entry point's port. */
function entryPointsOf(
  resources: readonly PolicyResource[],
  release: PolicyResource,
): { lanOnly: Set<string>; ports: Map<number, string> } {
  const values = valuesOf(release);
  const ports = portsOf(release);
  const byPort = new Map(ports.map(([name, p]) => [Number(p.port), name] as const));
  if (isHostNetwork(values)) return { lanOnly: new Set(), ports: byPort };
  const service = obj(values.service);
  const extra = Object.entries(obj(service.additionalServices)).map(([name, s]) => ({
    name,
    ips: requestedLoadBalancerIps(obj(obj(s).annotations)),
  }));
  // A Service of the stack in front of Traefik's pods (the tunnel's origin) carries whatever port it targets to its clients.
  const namespace = str(release.props.namespace);
  const fronted = new Set(
    ofType(resources, TYPES.service)
      .filter(
        (s) => metaOf(s.props).namespace === namespace && str(obj(obj(s.props.spec).selector)["app.kubernetes.io/name"]) === "traefik",
      )
      .flatMap((s) => arr(obj(s.props.spec).ports).map((p) => str(obj(p).targetPort))),
  );
  const lanOnly = ports
    .filter(([name, p]) => {
      const expose = obj(p.expose);
      const onPublicService =
        service.enabled !== false && (expose.default === undefined ? name === "web" || name === "websecure" : expose.default === true);
      const onExtra = extra.filter((s) => expose[s.name] === true);
      return (
        !onPublicService &&
        !fronted.has(name) &&
        !fronted.has(String(p.port)) &&
        onExtra.length > 0 &&
        onExtra.every((s) => s.ips.length > 0 && s.ips.every(isNonPublicAddress))
      );
    })
    .map(([name]) => name);
  return { lanOnly: new Set(lanOnly), ports: byPort };
}

/** An allow-list that admits private ranges only, matched against the connection's own address (no ipStrategy, which reads X-Forwarded-For). */
function isLanAllowList(spec: Obj): boolean {
  const allow = obj(spec.ipAllowList);
  const ranges = strings(allow.sourceRange);
  return ranges.length > 0 && ranges.every(isNonPublicRange) && allow.ipStrategy === undefined;
}

/** The entry points a route attaches to (undefined: every entry point) and whether each of its rules passes a LAN allow-list. */
function routeView(
  route: PolicyResource,
  resources: readonly PolicyResource[],
  gatewayPorts: Map<string, number>,
  portNames: Map<number, string>,
): { entryPoints?: string[]; lanAllowList: boolean } {
  const meta = metaOf(route.props);
  const ns = meta.namespace;
  const spec = obj(route.props.spec);
  const middleware = (type: string, namespace: string, name: string) =>
    ofType(resources, type).find((m) => metaOf(m.props).namespace === namespace && metaOf(m.props).name === name);
  const lan = (type: string, refs: readonly Obj[]) =>
    refs.some((ref) => isLanAllowList(obj(middleware(type, str(ref.namespace) || ns, str(ref.name))?.props.spec)));
  switch (route.type) {
    case TYPES.ingress: {
      const annotations = obj(obj(route.props.metadata).annotations);
      const entryPoints = strings(
        str(annotations[ENTRY_POINTS_ANNOTATION])
          .split(",")
          .map((s) => s.trim()),
      );
      const refs = str(annotations[MIDDLEWARES_ANNOTATION])
        .split(",")
        .filter(Boolean)
        .map((r) => r.replace(/@kubernetescrd$/, ""));
      const lanAllowList = ofType(resources, TYPES.middleware).some(
        (m) => refs.includes(`${metaOf(m.props).namespace}-${metaOf(m.props).name}`) && isLanAllowList(obj(m.props.spec)),
      );
      return { ...(entryPoints.length ? { entryPoints } : {}), lanAllowList };
    }
    case TYPES.ingressRoute:
    case TYPES.ingressRouteTcp: {
      const entryPoints = strings(spec.entryPoints);
      const type = route.type === TYPES.ingressRoute ? TYPES.middleware : TYPES.middlewareTcp;
      const rules = arr(spec.routes).map(obj);
      return {
        ...(entryPoints.length ? { entryPoints } : {}),
        lanAllowList: rules.length > 0 && rules.every((r) => lan(type, arr(r.middlewares).map(obj))),
      };
    }
    default: {
      const sections = arr(spec.parentRefs).map((p) => str(obj(p).sectionName));
      const entryPoints = sections.every(Boolean)
        ? sections.map((s) => portNames.get(gatewayPorts.get(s) ?? -1) ?? `(listener ${s})`)
        : undefined;
      const rules = arr(spec.rules).map(obj);
      const lanAllowList =
        rules.length > 0 &&
        rules.every((r) =>
          lan(
            TYPES.middleware,
            arr(r.filters)
              .map(obj)
              .filter((f) => str(f.type) === "ExtensionRef")
              .map((f) => ({ name: obj(f.extensionRef).name })),
          ),
        );
      return { ...(entryPoints ? { entryPoints } : {}), lanAllowList };
    }
  }
}

export function privateAppClosedToInternet(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "private-app-closed-to-internet",
    description:
      "Checks that every host of a private app (one the stack hands to a LAN resolver) is closed to the internet: no tunnel rule or proxied record leads to it, no record points it at a public address, and every route serving it either attaches only to entry points reachable from the LAN alone (a Traefik Service of its own with a private address, never the public Service, the tunnel origin or a host-network Traefik) or passes an ipAllowList of private ranges on the connection's address; keep private apps on the private entry and their LAN-only allow-list.",
    level,
    check: (resources, report) => {
      const hosts = lanOnlyHosts(resources);
      if (hosts.size === 0) return;
      for (const config of ofType(resources, TUNNEL_TYPES.tunnelConfig)) {
        for (const rule of arr(obj(config.props.config).ingresses).map(obj)) {
          if (hosts.has(str(rule.hostname)))
            report(
              config,
              `the Cloudflare Tunnel forwards ${str(rule.hostname)}, a private app's host, from the internet; remove it from the tunnel's rules (private apps are never tunnelled).`,
            );
        }
      }
      eachKnown(ofType(resources, TYPES.dnsRecord), (r) => {
        const name = str(r.props.name);
        if (!hosts.has(name)) return;
        const content = str(r.props.content);
        if (r.props.proxied === true || (str(r.props.type) === "A" && !isNonPublicAddress(content))) {
          report(
            r,
            `${name} is a private app's host, but this ${r.props.proxied === true ? "proxied " : ""}record sends the internet to it (${content}); remove the record, or keep only a DNS-only record with the private entry's LAN address (publicRecord).`,
          );
        }
      });
      const [release] = traefikReleases(resources);
      if (!release) return;
      const { lanOnly, ports } = entryPointsOf(resources, release);
      const gatewayPorts = new Map(
        Object.entries(obj(obj(valuesOf(release).gateway).listeners)).map(([name, l]) => [name, Number(obj(l).port)] as const),
      );
      const seen = new Set<PolicyResource>();
      for (const entry of routeEntries(resources)) {
        if (!hosts.has(entry.host) || seen.has(entry.resource)) continue;
        seen.add(entry.resource);
        const view = routeView(entry.resource, resources, gatewayPorts, ports);
        const exposed = view.entryPoints ? view.entryPoints.filter((e) => !lanOnly.has(e)) : ["(every entry point)"];
        if (exposed.length > 0 && !view.lanAllowList) {
          report(
            entry.resource,
            `${str(entry.resource.props.kind)} ${metaOf(entry.resource.props).namespace}/${metaOf(entry.resource.props).name} serves the private host ${entry.host} on ${exposed.join(", ")}, which the internet can reach (the public Service, the tunnel origin or the host network), with no allow-list of private ranges: anyone who sends its name there gets in; attach it to the private entry point alone, or add the app's LAN-only ipAllowList.`,
          );
        }
      }
    },
  });
}
