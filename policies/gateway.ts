/**
 * Gateway API routes: each HTTPRoute and GRPCRoute attaches to a Gateway the
 * stack serves, through an HTTPS listener that covers its hosts and admits its
 * namespace; what it references exists, crossing namespaces only where a
 * ReferenceGrant allows it; and cert-manager issues the listeners'
 * certificates. The Gateway is the one Traefik's chart renders from its
 * release's `gateway` values.
 */
import type { PolicyResource } from "@pulumi/policy";
import {
  describeObject,
  describeRelease,
  eachKnown,
  gatewayRouteBackends,
  labelsMatch,
  metaOf,
  ofType,
  releasesOf,
  stackPolicy,
  valuesOf,
  type HomelabPolicy,
  type Level,
} from "./common.ts";
import { traefikReleases } from "./helpers/traefik.ts";
import { solverAdmits } from "./helpers/tls.ts";
import { CLUSTER_ISSUER_ANNOTATION } from "@homelab/contract/kubernetes";
import { TYPES } from "@homelab/contract/tokens";
import { arr, obj, str, strings, type Obj } from "@homelab/contract/props";

interface Listener {
  readonly name: string;
  readonly hostname: string;
  readonly port: number;
  readonly protocol: string;
  /** TLS listeners: the chart's `mode` (tls.mode), Passthrough or Terminate. */
  readonly mode: string;
  readonly certificateRefs: readonly Obj[];
  readonly allowedNamespaces: Obj;
}

interface ServedGateway {
  readonly release: PolicyResource;
  readonly namespace: string;
  readonly name: string;
  readonly annotations: Record<string, string>;
  readonly listeners: readonly Listener[];
}

/** The Gateways Traefik releases render: the chart's `gateway` values, when its Gateway provider is on. */
function servedGateways(resources: readonly PolicyResource[]): ServedGateway[] {
  return traefikReleases(resources).flatMap((release) => {
    const values = valuesOf(release);
    const gw = obj(values.gateway);
    if (obj(obj(values.providers).kubernetesGateway).enabled !== true || gw.enabled === false) return [];
    const listeners = Object.entries(obj(gw.listeners))
      .filter(([, l]) => l !== null)
      .map(
        ([name, l]): Listener => ({
          name,
          hostname: str(obj(l).hostname),
          port: Number(obj(l).port),
          protocol: str(obj(l).protocol),
          mode: str(obj(l).mode),
          certificateRefs: arr(obj(l).certificateRefs).map(obj),
          allowedNamespaces: obj(obj(l).namespacePolicy),
        }),
      );
    return [
      {
        release,
        namespace: str(gw.namespace) || str(release.props.namespace) || "default",
        name: str(gw.name) || "traefik-gateway",
        annotations: obj(gw.annotations) as Record<string, string>,
        listeners,
      },
    ];
  });
}

const gatewayRoutes = (resources: readonly PolicyResource[]) => ofType(resources, TYPES.httpRoute, TYPES.grpcRoute, TYPES.tlsRoute);

/** Gateway API hostname matching: exact, or a `*.` listener matching any deeper name, or no hostname at all. */
function listenerMatches(listener: Listener, host: string): boolean {
  if (!listener.hostname) return true;
  if (listener.hostname.startsWith("*.")) return host.endsWith(listener.hostname.slice(1));
  return listener.hostname === host;
}

/**
 * The listeners that serve a route's host through one parentRef: the one it
 * names by sectionName, else every listener, among those that take the
 * route's kind (a TLS listener TLSRoutes only, HTTP/HTTPS ones the others);
 * on each port the most specific hostname wins.
 */
function servingListeners(listeners: readonly Listener[], host: string, ref: Obj, route: PolicyResource): Listener[] {
  const section = str(ref.sectionName);
  const tls = route.type === TYPES.tlsRoute;
  const candidates = listeners.filter(
    (l) => (!section || l.name === section) && (l.protocol === "TLS") === tls && listenerMatches(l, host),
  );
  const best = new Map<number, Listener>();
  for (const l of candidates) if ((best.get(l.port)?.hostname.length ?? -1) < l.hostname.length) best.set(l.port, l);
  return [...best.values()];
}

/** Whether a listener's allowedRoutes.namespaces admits routes from `namespace` (Same by default). */
function admitsNamespace(listener: Listener, gatewayNamespace: string, namespace: string): boolean {
  const from = str(listener.allowedNamespaces.from) || "Same";
  if (from === "All") return true;
  if (from === "Same") return namespace === gatewayNamespace;
  return labelsMatch(obj(listener.allowedNamespaces.selector), { "kubernetes.io/metadata.name": namespace });
}

const parentRefs = (route: PolicyResource) => arr(obj(route.props.spec).parentRefs).map(obj);

export function gatewayRouteAttached(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "gateway-route-attached",
    description:
      "Checks that every HTTPRoute, GRPCRoute and TLSRoute names a Gateway the stack serves (Traefik's Gateway provider on, the chart's Gateway enabled) and that for each of its hostnames the listeners it attaches to (the one its sectionName names, else the most specific matching one on each port) are HTTPS with a certificate (for a TLSRoute: TLS in Passthrough mode) and admit the route's namespace; otherwise the route is not attached (or served without TLS, or decrypted) and the host returns 404. Add a listener for the host or zone wildcard, or admit the namespace.",
    level,
    check: (resources, report) => {
      const gateways = servedGateways(resources);
      eachKnown(gatewayRoutes(resources), (route) => {
        const ns = metaOf(route.props).namespace;
        // Hosts of the route through the Gateways the stack serves (a route naming none is reported once, below).
        const served = new Map<string, { l: Listener; g: ServedGateway }[]>();
        for (const ref of parentRefs(route)) {
          const refNs = str(ref.namespace) || ns;
          const gateway = gateways.find((g) => g.name === str(ref.name) && g.namespace === refNs);
          if (!gateway) {
            report(
              route,
              `${describeObject(route.props)} attaches to Gateway ${refNs}/${str(ref.name)}, which no Traefik release of the stack serves: the route is never attached and its hosts return 404; enable traefik.gatewayApi or fix the parentRef.`,
            );
            continue;
          }
          for (const host of strings(obj(route.props.spec).hostnames))
            served.set(host, [
              ...(served.get(host) ?? []),
              ...servingListeners(gateway.listeners, host, ref, route).map((l) => ({ l, g: gateway })),
            ]);
        }
        for (const [host, listeners] of served) {
          if (listeners.length === 0)
            report(
              route,
              `${describeObject(route.props)}: no listener of the Gateway it names covers ${host}, so the route does not attach for it and the host returns 404; add a listener for ${host} or its zone's wildcard (and name it in sectionName).`,
            );
          for (const { l: listener, g } of listeners) {
            const at = `listener ${listener.name} of Gateway ${g.namespace}/${g.name}`;
            if (route.type === TYPES.tlsRoute) {
              if (listener.mode !== "Passthrough")
                report(
                  route,
                  `${describeObject(route.props)}: ${host} is served by ${at}, which terminates TLS (mode ${listener.mode || "Terminate"}): the backend that serves its own certificate would get the connection decrypted; set the listener's mode to Passthrough.`,
                );
            } else if (listener.protocol !== "HTTPS" || listener.certificateRefs.length === 0)
              report(
                route,
                `${describeObject(route.props)}: ${host} is served by ${at}, which has no TLS certificate (protocol ${listener.protocol || "unset"}): the host would be plain HTTP; serve it from an HTTPS listener with certificateRefs.`,
              );
            if (!admitsNamespace(listener, g.namespace, ns))
              report(
                route,
                `${describeObject(route.props)}: ${at} serves ${host} but its allowedRoutes do not admit namespace ${ns}: the route is refused; add ${ns} to the listener's namespace selector.`,
              );
          }
        }
      });
    },
  });
}

/** `namespace/Kind` pairs a ReferenceGrant in `to`'s namespace allows: from (group, kind, namespace) to (group, kind). */
function referenceGranted(
  resources: readonly PolicyResource[],
  from: { namespace: string; kind: string; group: string },
  to: { namespace: string; kind: string; group: string; name: string },
): boolean {
  return ofType(resources, TYPES.referenceGrant).some((g) => {
    if (metaOf(g.props).namespace !== to.namespace) return false;
    const spec = obj(g.props.spec);
    const fromOk = arr(spec.from)
      .map(obj)
      .some((f) => str(f.namespace) === from.namespace && str(f.kind) === from.kind && str(f.group) === from.group);
    const toOk = arr(spec.to)
      .map(obj)
      .some((t) => str(t.kind) === to.kind && str(t.group) === to.group && (!t.name || str(t.name) === to.name));
    return fromOk && toOk;
  });
}

export function gatewayRouteReferencesExist(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "gateway-route-references-exist",
    description:
      "Checks that every Traefik Middleware a Gateway API route reaches through an ExtensionRef filter exists in the route's namespace, and that backendRefs to another namespace's Service and listener certificateRefs to another namespace's Secret are allowed by a ReferenceGrant there; otherwise Traefik drops the rule (500) or refuses the backend or certificate. Create the Middleware, move the object, or add the ReferenceGrant.",
    level,
    check: (resources, report) => {
      const middlewares = new Set(ofType(resources, TYPES.middleware).map((m) => `${metaOf(m.props).namespace}/${metaOf(m.props).name}`));
      eachKnown(gatewayRoutes(resources), (route) => {
        const ns = metaOf(route.props).namespace;
        const kind = str(route.props.kind);
        for (const rule of arr(obj(route.props.spec).rules).map(obj)) {
          for (const f of arr(rule.filters)
            .map(obj)
            .filter((x) => str(x.type) === "ExtensionRef")) {
            const ref = obj(f.extensionRef);
            if (str(ref.group) === "traefik.io" && str(ref.kind) === "Middleware" && !middlewares.has(`${ns}/${str(ref.name)}`)) {
              report(
                route,
                `${describeObject(route.props)} reaches Middleware ${ns}/${str(ref.name)} through an ExtensionRef filter, but the stack creates no such Middleware: Traefik answers the rule with 500; create it or remove the filter.`,
              );
            }
          }
        }
        for (const b of gatewayRouteBackends(route).filter((x) => x.namespace !== ns)) {
          if (
            !referenceGranted(
              resources,
              { namespace: ns, kind, group: "gateway.networking.k8s.io" },
              { namespace: b.namespace, kind: b.kind, group: "", name: b.name },
            )
          ) {
            report(
              route,
              `${describeObject(route.props)} sends traffic to ${b.kind} ${b.namespace}/${b.name} in another namespace, and no ReferenceGrant in ${b.namespace} allows ${kind}s from ${ns}: the backend is refused (ResolvedRefs RefNotPermitted); add the ReferenceGrant or route to a Service in ${ns}.`,
            );
          }
        }
      });
      for (const gateway of servedGateways(resources)) {
        for (const l of gateway.listeners) {
          for (const ref of l.certificateRefs.filter((r) => str(r.namespace) && str(r.namespace) !== gateway.namespace)) {
            if (
              !referenceGranted(
                resources,
                { namespace: gateway.namespace, kind: "Gateway", group: "gateway.networking.k8s.io" },
                { namespace: str(ref.namespace), kind: "Secret", group: "", name: str(ref.name) },
              )
            ) {
              report(
                gateway.release,
                `${describeRelease(gateway.release)}: listener ${l.name} of Gateway ${gateway.namespace}/${gateway.name} uses Secret ${str(ref.namespace)}/${str(ref.name)} from another namespace without a ReferenceGrant there: the listener has no certificate; add the ReferenceGrant or keep the Secret in ${gateway.namespace}.`,
              );
            }
          }
        }
      }
    },
  });
}

export function gatewayTlsIssued(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "gateway-tls-issued",
    description:
      "Checks that the Gateway's certificates get issued: cert-manager's gateway-shim is on (the cert-manager release's config.gatewayAPI.enabled), the Gateway names an existing ClusterIssuer (cert-manager.io/cluster-issuer) whose solvers admit every listener hostname, and a host served by a wildcard listener is one label below it (a `*.zone` certificate covers nothing deeper). Turn the shim on, fix the annotation, or give the host its own listener.",
    level,
    check: (resources, report) => {
      const gateways = servedGateways(resources).filter((g) => g.listeners.some((l) => l.certificateRefs.length));
      if (gateways.length === 0) return;
      const shimOn = releasesOf(resources, "cert-manager").some((r) => obj(obj(valuesOf(r).config).gatewayAPI).enabled === true);
      const issuers = new Map(ofType(resources, TYPES.clusterIssuer).map((r) => [metaOf(r.props).name, r]));
      for (const g of gateways) {
        const what = `${describeRelease(g.release)}: Gateway ${g.namespace}/${g.name}`;
        if (!shimOn)
          report(
            g.release,
            `${what} expects cert-manager to issue its listener certificates, but no cert-manager release enables config.gatewayAPI.enabled: the Secrets are never created and every HTTPS listener stays unprogrammed; enable cert-manager's Gateway API support.`,
          );
        const issuerName = g.annotations[CLUSTER_ISSUER_ANNOTATION];
        const issuer = issuerName ? issuers.get(issuerName) : undefined;
        if (!issuer) {
          report(
            g.release,
            `${what} names ${issuerName ? `ClusterIssuer ${issuerName}, which the stack does not create` : "no issuer (cert-manager.io/cluster-issuer annotation)"}: cert-manager issues no certificate for its listeners; name one of ${[...issuers.keys()].join(", ") || "(none)"}.`,
          );
          continue;
        }
        const solvers = arr(obj(obj(issuer.props.spec).acme).solvers).map(obj);
        for (const l of g.listeners.filter((x) => x.hostname && x.certificateRefs.length)) {
          const name = l.hostname.replace(/^\*\./, "");
          if (solvers.length && !solvers.some((s) => solverAdmits(s, name)))
            report(
              g.release,
              `${what}: listener ${l.name} (${l.hostname}) is outside every solver zone of ClusterIssuer ${issuerName}: its certificate is never issued; use a host inside those zones or widen the issuer's selector.`,
            );
        }
      }
      eachKnown(gatewayRoutes(resources), (route) => {
        for (const host of strings(obj(route.props.spec).hostnames)) {
          for (const g of gateways) {
            const refs = parentRefs(route).filter((ref) => str(ref.name) === g.name);
            const listener = refs
              .flatMap((ref) => servingListeners(g.listeners, host, ref, route))
              .find((l) => l.hostname.startsWith("*.") && host.slice(0, -l.hostname.length + 1).includes("."));
            if (listener) {
              report(
                route,
                `${describeObject(route.props)}: ${host} is served by wildcard listener ${listener.name} (${listener.hostname}) of Gateway ${g.namespace}/${g.name}, whose certificate covers one label only: clients get a certificate error; give ${host} a listener of its own.`,
              );
            }
          }
        }
      });
    },
  });
}
