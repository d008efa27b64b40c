/**
 * Gateway API on Traefik: the standard-channel CRDs, the one Gateway the
 * Traefik chart renders from its `gateway.*` values (HTTPS listeners for the
 * hosts of the stack's Gateway API routes, certificates from cert-manager's
 * gateway-shim), and which listener serves a host. Pure: config in, values out.
 */
import { isGatewayHttpRoute, isGatewayRoute, type AppSpec, type HomelabConfig } from "../model/resolve.ts";
import type { Placement } from "../model/schema.ts";
import { PRIVATE_ENTRY_PORT } from "./traefik-values.ts";

type GatewayApiConfig = HomelabConfig["traefik"]["gatewayApi"];

/** The chart's GatewayClass (controller traefik.io/gateway-controller) and the Gateway this stack names. */
export const GATEWAY_CLASS = "traefik";
export const GATEWAY_NAME = "traefik-gateway";
export const GATEWAY_GROUP = "gateway.networking.k8s.io";
/** A Gateway holds at most 64 listeners (the CRD's maxItems). */
export const MAX_LISTENERS = 64;

/** The release's standard-channel bundle: every CRD of the channel in one file, upgraded with the version. */
export function gatewayApiCrdUrl(gw: Pick<GatewayApiConfig, "crdsSource" | "version">): string {
  return `${gw.crdsSource.replace(/\/+$/, "")}/${gw.version}/standard-install.yaml`;
}

/**
 * The port of Traefik's websecure entry point, which a listener must name:
 * Traefik binds a Gateway listener to the entry point with the same port, and
 * the chart refuses a listener port no entry point declares. In the deployment
 * placement that is the chart's unprivileged 8443 behind the Service's 443; on
 * the host network Traefik itself listens on 443.
 */
export function secureListenerPort(placement: Placement): number {
  return placement === "deployment" ? 8443 : 443;
}

export interface GatewayListener {
  /** Listener (section) name, from the hostname. */
  readonly name: string;
  readonly hostname: string;
  /** The TLS Secret in Traefik's namespace that cert-manager's gateway-shim issues for this hostname. */
  readonly secretName: string;
}

const slug = (hostname: string) => hostname.replace(/^\*\./, "wildcard.").replace(/\./g, "-");

function listener(hostname: string): GatewayListener {
  return { name: slug(hostname), hostname, secretName: `${slug(hostname)}-tls` };
}

/** The hosts of every Gateway API route the Gateway terminates TLS for, sorted and unique. */
export function gatewayHosts(apps: readonly Pick<AppSpec, "kind" | "hosts">[]): string[] {
  return [...new Set(apps.filter(isGatewayHttpRoute).flatMap((a) => a.hosts))].sort();
}

/** A listener of the Gateway with its port and protocol: HTTPS (terminated, with a certificate) or TLS (passthrough). */
export interface PortListener {
  readonly name: string;
  readonly hostname: string;
  readonly port: number;
  readonly protocol: "HTTPS" | "TLS";
  /** HTTPS only. */
  readonly secretName?: string;
}

type ListenerApp = Pick<AppSpec, "kind" | "hosts" | "private">;

/** Names the listeners of the private entry's port (placement deployment). */
const PRIVATE_LISTENER_PREFIX = "lan-";

/**
 * Every listener of the Gateway. HTTPS listeners of the public hosts on
 * websecure's port (gatewayListeners); in placement deployment the private
 * hosts get listeners of their own on the private entry's port (`lan-…`,
 * reusing the certificate Secrets their public twins would have, so a
 * `*.<zone>` listener shares the one wildcard certificate); in the host-network
 * placements the private entry is websecure itself, so private hosts share
 * the public listeners. Passthrough hosts (kind tlsRoute) get one TLS listener
 * each (`tls-…`, mode Passthrough, no certificate), on the entry their app belongs to.
 */
export function gatewayPortListeners(
  gw: Pick<GatewayApiConfig, "listeners">,
  zone: string,
  placement: Placement,
  apps: readonly ListenerApp[],
): PortListener[] {
  const securePort = secureListenerPort(placement);
  const ownPrivatePort = placement === "deployment";
  const https = (hosts: readonly string[], port: number, prefix: string) =>
    gatewayListeners(gw, zone, hosts).map(
      (l): PortListener => ({ name: `${prefix}${l.name}`, hostname: l.hostname, port, protocol: "HTTPS", secretName: l.secretName }),
    );
  const http = apps.filter(isGatewayHttpRoute);
  const publicHosts = gatewayHosts(ownPrivatePort ? http.filter((a) => !a.private) : http);
  const privateHosts = ownPrivatePort ? gatewayHosts(http.filter((a) => a.private)) : [];
  const tls = apps.filter((a) => a.kind === "tlsRoute");
  const tlsListeners = (private_: boolean) =>
    [...new Set(tls.filter((a) => Boolean(a.private) === private_).flatMap((a) => a.hosts))].sort().map(
      (hostname): PortListener => ({
        name: `tls-${slug(hostname)}`,
        hostname,
        port: private_ && ownPrivatePort ? PRIVATE_ENTRY_PORT : securePort,
        protocol: "TLS",
      }),
    );
  return [
    ...https(publicHosts, securePort, ""),
    ...https(privateHosts, PRIVATE_ENTRY_PORT, PRIVATE_LISTENER_PREFIX),
    ...tlsListeners(false),
    ...tlsListeners(true),
  ];
}

/** The listeners a route attaches to by sectionName: those of its protocol on its entry's port that serve one of its hosts. */
export function routeListeners(
  app: Pick<AppSpec, "kind" | "hosts" | "private">,
  listeners: readonly PortListener[],
  zone: string,
  port: number,
): string[] {
  const protocol = app.kind === "tlsRoute" ? "TLS" : "HTTPS";
  const candidates = listeners.filter((l) => l.protocol === protocol && l.port === port);
  const names = app.hosts.map((host) => {
    const own = listenerFor(host, candidates, zone);
    if (!own) throw new Error(`no Gateway listener on port ${port} serves ${host} (the Gateway's listeners are built from the same apps)`);
    return own.name;
  });
  return [...new Set(names)].sort();
}

/** A first-level subdomain of the zone: what a `*.<zone>` certificate covers (a TLS wildcard spans one label). */
function wildcardCovers(host: string, zone: string): boolean {
  return host.endsWith(`.${zone}`) && !host.slice(0, -zone.length - 1).includes(".");
}

/**
 * The Gateway's HTTPS listeners. perHost: one per host. wildcard: `*.<zone>`
 * plus one per host its certificate cannot cover: a Gateway API wildcard
 * listener would match `a.b.<zone>` too, but the `*.<zone>` certificate would
 * fail TLS there, so such hosts get a listener (and certificate) of their own,
 * which wins as the more specific hostname.
 */
export function gatewayListeners(gw: Pick<GatewayApiConfig, "listeners">, zone: string, hosts: readonly string[]): GatewayListener[] {
  if (gw.listeners === "perHost") return hosts.map(listener);
  const own = hosts.filter((h) => !wildcardCovers(h, zone));
  const wildcard = hosts.length > own.length ? [listener(`*.${zone}`)] : [];
  return [...wildcard, ...own.map(listener)];
}

/** The listener that serves a host: its own, else the zone's wildcard; undefined when none does. */
export function listenerFor<L extends Pick<GatewayListener, "hostname">>(
  host: string,
  listeners: readonly L[],
  zone: string,
): L | undefined {
  return listeners.find((l) => l.hostname === host) ?? listeners.find((l) => l.hostname === `*.${zone}` && wildcardCovers(host, zone));
}

/** The namespaces whose routes may attach: the app namespaces of the Gateway API routes, no others. */
export function routeNamespaces(apps: readonly Pick<AppSpec, "kind" | "namespace">[]): string[] {
  return [...new Set(apps.filter(isGatewayRoute).map((a) => a.namespace))].sort();
}

export interface TraefikGatewayValues {
  readonly provider: {
    readonly enabled: true;
    readonly statusAddress?: { readonly ip?: string; readonly service: { readonly enabled: boolean } };
  };
  readonly gateway: {
    readonly enabled: boolean;
    readonly name: string;
    readonly annotations: Record<string, string>;
    /** null removes a listener of the chart's defaults (Helm deletes a key whose value is null). */
    readonly listeners: Record<
      string,
      null | {
        readonly port: number;
        readonly protocol: "HTTPS" | "TLS";
        readonly hostname: string;
        readonly namespacePolicy: {
          readonly from: "Selector";
          readonly selector: {
            readonly matchExpressions: readonly [{ readonly key: string; readonly operator: "In"; readonly values: readonly string[] }];
          };
        };
        readonly certificateRefs?: readonly [{ readonly kind: "Secret"; readonly group: ""; readonly name: string }];
        /** TLS listeners: the chart renders it as tls.mode. */
        readonly mode?: "Passthrough";
      }
    >;
  };
  readonly gatewayClass: { readonly enabled: true; readonly name: string };
}

/**
 * The Traefik chart's Gateway values. The Gateway's certificates come from
 * cert-manager's gateway-shim, which reads one issuer annotation per Gateway:
 * the default issuer (the config checks keep Gateway API routes on it).
 *
 * @param vip the controlplane placement's VIP: without a Service, the one address the Gateway's status can show.
 */
export function traefikGatewayValues(
  config: Pick<HomelabConfig, "traefik" | "apps" | "dns" | "certManager">,
  vip: string | undefined,
): TraefikGatewayValues {
  const { traefik, apps } = config;
  const namespaces = routeNamespaces(apps);
  const listeners = gatewayPortListeners(traefik.gatewayApi, config.dns.zone, traefik.placement, apps);
  const hostNetwork = traefik.placement !== "deployment";
  return {
    provider: {
      enabled: true,
      // The chart points the status at its Service by default; the host-network placements have none.
      ...(hostNetwork ? { statusAddress: { ...(vip ? { ip: vip } : {}), service: { enabled: false } } } : {}),
    },
    gateway: {
      // The chart refuses a Gateway without listeners: with no route yet there is nothing to serve.
      enabled: listeners.length > 0,
      name: GATEWAY_NAME,
      annotations: { "cert-manager.io/cluster-issuer": config.certManager.defaultIssuer, ...ignoredTwins(listeners) },
      // The chart's default plain-HTTP `web` listener goes: every route is HTTPS, and the web entry point redirects.
      listeners: Object.fromEntries([
        ["web", null],
        ...listeners.map(
          (l) =>
            [
              l.name,
              {
                port: l.port,
                protocol: l.protocol,
                hostname: l.hostname,
                namespacePolicy: {
                  from: "Selector" as const,
                  selector: {
                    matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In" as const, values: namespaces }] as const,
                  },
                },
                // Passthrough: the backend's own certificate reaches the client; the Gateway holds none (and gateway-shim issues none).
                ...(l.secretName
                  ? { certificateRefs: [{ kind: "Secret" as const, group: "" as const, name: l.secretName }] as const }
                  : { mode: "Passthrough" as const }),
              },
            ] as const,
        ),
      ]),
    },
    gatewayClass: { enabled: true, name: GATEWAY_CLASS },
  };
}

/** What a route needs to name its listeners: the Gateway's listeners and the zone their wildcard covers. */
export interface GatewayRouting {
  readonly zone: string;
  readonly listeners: readonly PortListener[];
}

/**
 * A private listener reusing a public listener's Secret (the `*.<zone>`
 * wildcard) is left to the public one: gateway-shim collects every
 * listener's hostname per Secret without removing repeats, so both would ask
 * for one certificate naming `*.<zone>` twice (cert-manager/cert-manager
 * pkg/controller/certificate-shim/sync.go, v1.21.1, handleGatewayAPIListeners;
 * its cert-manager.io/ignore-tls-listeners annotation skips a listener).
 */
function ignoredTwins(listeners: readonly PortListener[]): Record<string, string> {
  const publicSecrets = new Set(listeners.filter((l) => !l.name.startsWith(PRIVATE_LISTENER_PREFIX)).map((l) => l.secretName));
  const twins = listeners
    .filter((l) => l.name.startsWith(PRIVATE_LISTENER_PREFIX) && l.secretName && publicSecrets.has(l.secretName))
    .map((l) => l.name);
  return twins.length ? { "cert-manager.io/ignore-tls-listeners": twins.join(",") } : {};
}

/** The parentRef every Gateway API route of the stack carries; one per listener when the route names them. */
export function gatewayParentRef(traefikNamespace: string, sectionName?: string) {
  return {
    group: GATEWAY_GROUP,
    kind: "Gateway",
    name: GATEWAY_NAME,
    namespace: traefikNamespace,
    ...(sectionName ? { sectionName } : {}),
  };
}
