/**
 * Per-app route manifests, computed from the app's config and the IngressEntry
 * Traefik hands over: Ingress or IngressRoute, Middlewares, the cert-manager
 * Certificate and external Services; and per namespace, the NetworkPolicy that
 * admits Traefik. Plain values in, plain typed objects out; the AppRoute and
 * AppNamespaces components only register them.
 *
 * Kubernetes object names are the app's config key plus a role suffix
 * (`immich-api`, `immich-tls`, `immich-rate-limit`), never a list position, so
 * reordering the config renames nothing; a namespace's own policies are named
 * by their role alone (`allow-traefik`).
 */
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicySpec } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import type { IService } from "kubernetes-models/v1/Service";
import type { IEndpointSlice } from "kubernetes-models/discovery.k8s.io/v1/EndpointSlice";
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { IIngressRoute } from "@kubernetes-models/traefik/traefik.io/v1alpha1/IngressRoute";
import type { IMiddleware } from "@kubernetes-models/traefik/traefik.io/v1alpha1/Middleware";
import type { IServersTransport } from "@kubernetes-models/traefik/traefik.io/v1alpha1/ServersTransport";
import type { IIngressRouteTCP } from "@kubernetes-models/traefik/traefik.io/v1alpha1/IngressRouteTCP";
import type { IMiddlewareTCP } from "@kubernetes-models/traefik/traefik.io/v1alpha1/MiddlewareTCP";
import type { ITLSRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/TLSRoute";
import type { ICertificate } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate";
import type { IHTTPRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute";
import type { IGRPCRoute } from "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/GRPCRoute";
import { EXTENSION_REF_MIDDLEWARES, grpcRouteManifest, httpRouteManifest, tlsRouteManifest } from "./http-routes.ts";
import type { AppSpec } from "../model/resolve.ts";
import type { BackendConfig } from "../model/schema.ts";
import type { IngressEntrySpec as RouteEntry } from "./traefik-values.ts";
import { byAddress, prefixLength, uniqueAddresses } from "../contract/net.ts";
import { admitsTraefik, isGatewayRoute, isPassthrough } from "../model/apps.ts";

export type { RouteEntry };

export type Backend = Pick<BackendConfig, "path" | "pathType" | "service" | "port">;

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
export const sortedUnique = (values: readonly string[]) => [...new Set(values)].sort(byString);

/** Hosts in a fixed order, so the YAML order of `hosts` never changes a manifest. */
export function sortedHosts(app: Pick<AppSpec, "hosts">): string[] {
  return sortedUnique(app.hosts);
}

/**
 * Router priority of a backend. Traefik tries routers from the highest priority
 * down, so the more specific path must score higher:
 *
 *   priority = 2 × path length + (1 when pathType is Exact)
 *
 * Two paths can both match a request only when one is a prefix of the other
 * (Traefik's PathPrefix compares characters, not segments), and then the longer
 * one scores higher; an Exact path beats the Prefix of the same path. `/` scores
 * 2, `/api` 8, `/api` Exact 9, `/graphql` 16. The same formula feeds the Ingress
 * annotation and the IngressRoute field, so both kinds order alike, across apps
 * sharing a host too.
 */
export function routePriority(backend: Pick<BackendConfig, "path" | "pathType">): number {
  return 2 * backend.path.length + (backend.pathType === "Exact" ? 1 : 0);
}

/** `/` → `root`, `/api/v2` → `api-v2`: names an app's Ingress per backend. */
export function backendSlug(path: string): string {
  const slug = path
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return slug || "root";
}

/** Backends from the most specific path down (the order Traefik evaluates them), ties by path. */
export function orderedBackends(app: Pick<AppSpec, "backends">): Backend[] {
  return [...app.backends].sort((a, b) => routePriority(b) - routePriority(a) || byString(a.path, b.path));
}

function tlsSecretName(app: Pick<AppSpec, "name">): string {
  return `${app.name}-tls`;
}

function basicAuthSecretName(app: Pick<AppSpec, "name">): string {
  return `${app.name}-basic-auth-users`;
}

/** The key Traefik's basicAuth reads htpasswd lines from in an Opaque Secret. */
const BASIC_AUTH_USERS_KEY = "users";

export const appLabels = (app: Pick<AppSpec, "name">) => ({
  "app.kubernetes.io/instance": app.name,
  "app.kubernetes.io/managed-by": "pulumi",
});

function basicAuthSecret(app: AppSpec): { manifest: ISecret; key: string } {
  return {
    manifest: {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: basicAuthSecretName(app), namespace: app.namespace, labels: appLabels(app) },
      type: "Opaque",
    },
    key: BASIC_AUTH_USERS_KEY,
  };
}

// ── middlewares ─────────────────────────────────────────────────────────────

/**
 * The order Traefik runs an app's middlewares in: the cheapest rejections
 * first (a private app's LAN-only allow-list, the app's own allow-list, rate limit); response-header middlewares next, so their
 * headers also reach the 401s, redirects and CORS preflight answers produced by
 * the ones after them; CORS before basic auth, because browsers send preflights
 * without credentials; path rewriting last, just before the service.
 */
const MIDDLEWARE_ORDER = [
  "lan-only",
  "ip-allow-list",
  "rate-limit",
  "security-headers",
  "cors",
  "redirect",
  "basic-auth",
  "strip-prefix",
] as const;
export type MiddlewareKind = (typeof MIDDLEWARE_ORDER)[number];

export function middlewareKinds(app: Pick<AppSpec, "middlewares"> & Partial<Pick<AppSpec, "private">>): MiddlewareKind[] {
  const m = app.middlewares ?? {};
  const present: Record<MiddlewareKind, boolean> = {
    "lan-only": app.private === true,
    "ip-allow-list": Boolean(m.ipAllowList),
    "rate-limit": Boolean(m.rateLimit),
    "security-headers": m.securityHeaders === true,
    cors: Boolean(m.cors),
    redirect: Boolean(m.redirect),
    "basic-auth": Boolean(m.basicAuth),
    "strip-prefix": (m.stripPrefix?.length ?? 0) > 0,
  };
  return MIDDLEWARE_ORDER.filter((kind) => present[kind]);
}

export function middlewareName(app: Pick<AppSpec, "name">, kind: MiddlewareKind): string {
  return `${app.name}-${kind}`;
}

export interface MiddlewareRef {
  readonly name: string;
  readonly namespace: string;
}

function middlewareRefs(app: Pick<AppSpec, "name" | "namespace" | "middlewares" | "private">): MiddlewareRef[] {
  return middlewareKinds(app).map((kind) => ({ name: middlewareName(app, kind), namespace: app.namespace }));
}

/** Traefik's provider-qualified names for the Ingress router-middlewares annotation. */
function middlewareAnnotation(app: Pick<AppSpec, "name" | "namespace" | "middlewares" | "private">): string {
  return middlewareRefs(app)
    .map((r) => `${r.namespace}-${r.name}@kubernetescrd`)
    .join(",");
}

/**
 * The allow-list's source ranges: the configured CIDRs plus, with
 * `cloudflare: true`, Cloudflare's IPv4 ranges from the deploy-time lookup
 * (the records are A records, so Cloudflare reaches the origin over IPv4).
 */
function allowListRanges(app: Pick<AppSpec, "middlewares">, cloudflareIpv4: readonly string[]): string[] {
  const allow = app.middlewares?.ipAllowList;
  if (!allow) return [];
  return sortedUnique([...allow.ranges, ...(allow.cloudflare ? cloudflareIpv4 : [])]);
}

const HSTS_ONE_YEAR = 31_536_000;

/**
 * A private app's allow-list: the private entry's sources (the LAN and the
 * admin subnets), matched against the TCP peer like the app's own allow-list,
 * never against X-Forwarded-For, which a client could forge. It is what
 * closes a private app to the internet where its entry is shared with public
 * apps (the host-network placements), and a second lock on the private entry
 * of placement deployment.
 */
function lanOnlySources(app: Pick<AppSpec, "name">, entry: RouteEntry): readonly string[] {
  if (!entry.private)
    throw new Error(
      `apps.${app.name} is private, but the ingress entry has no private entry (the config resolves one for every stack with a private app)`,
    );
  return entry.private.sources;
}

function middlewareSpec(app: AppSpec, kind: MiddlewareKind, entry: RouteEntry, cloudflareIpv4: readonly string[]): IMiddleware["spec"] {
  const m = app.middlewares ?? {};
  switch (kind) {
    case "lan-only":
      return { ipAllowList: { sourceRange: [...lanOnlySources(app, entry)] } };
    case "ip-allow-list":
      // No ipStrategy: the allow-list matches the TCP peer. Behind Cloudflare the
      // peer is Cloudflare's edge, which is exactly what `cloudflare: true` means to
      // admit; the visitor's address sits in X-Forwarded-For, which anyone
      // connecting to the entry address directly could forge.
      return { ipAllowList: { sourceRange: allowListRanges(app, cloudflareIpv4) } };
    case "rate-limit":
      return {
        rateLimit: {
          average: m.rateLimit!.average,
          burst: m.rateLimit!.burst,
          // Behind Cloudflare every request comes from a few edge addresses, so
          // limiting by peer would throttle all visitors together. When Traefik
          // trusts Cloudflare's forwarded headers, the rightmost X-Forwarded-For
          // entry is the visitor as Cloudflare saw it; otherwise the peer is the visitor.
          ...(app.proxied && entry.trustsCloudflare ? { sourceCriterion: { ipStrategy: { depth: 1 } } } : {}),
        },
      };
    case "security-headers":
      return {
        headers: {
          stsSeconds: HSTS_ONE_YEAR,
          stsIncludeSubdomains: true,
          frameDeny: true,
          contentTypeNosniff: true,
          referrerPolicy: "strict-origin-when-cross-origin",
        },
      };
    case "cors": {
      const cors = m.cors!;
      return {
        headers: {
          accessControlAllowOriginList: sortedUnique(cors.origins),
          accessControlAllowMethods: sortedUnique(cors.methods),
          accessControlAllowHeaders: sortedUnique(cors.headers),
          accessControlMaxAge: cors.maxAge,
          accessControlAllowCredentials: cors.credentials,
          addVaryHeader: true,
        },
      };
    }
    case "redirect":
      return { redirectRegex: { regex: m.redirect!.regex, replacement: m.redirect!.replacement, permanent: m.redirect!.permanent } };
    case "basic-auth":
      // htpasswd lines in an Opaque Secret's `users` key (several users, hashed);
      // the kubernetes.io/basic-auth type would hold one user with a plain password.
      // The backend never needs the credentials, so Traefik drops the header.
      return { basicAuth: { secret: basicAuthSecretName(app), removeHeader: true } };
    case "strip-prefix":
      // Traefik strips the first listed prefix that matches: longest first, so
      // `/v1/api` is not left half-stripped by `/v1`.
      return { stripPrefix: { prefixes: [...new Set(m.stripPrefix!)].sort((a, b) => b.length - a.length || byString(a, b)) } };
  }
}

function middlewareManifest(app: AppSpec, kind: MiddlewareKind, entry: RouteEntry, cloudflareIpv4: readonly string[]): IMiddleware {
  return {
    apiVersion: "traefik.io/v1alpha1",
    kind: "Middleware",
    metadata: { name: middlewareName(app, kind), namespace: app.namespace, labels: appLabels(app) },
    spec: middlewareSpec(app, kind, entry, cloudflareIpv4),
  };
}

// ── routes ──────────────────────────────────────────────────────────────────

const servicePort = (port: number | string) => (typeof port === "number" ? { number: port } : { name: port });

const ANNOTATION = {
  clusterIssuer: "cert-manager.io/cluster-issuer",
  entryPoints: "traefik.ingress.kubernetes.io/router.entrypoints",
  middlewares: "traefik.ingress.kubernetes.io/router.middlewares",
  priority: "traefik.ingress.kubernetes.io/router.priority",
  tls: "traefik.ingress.kubernetes.io/router.tls",
  serversScheme: "traefik.ingress.kubernetes.io/service.serversscheme",
  serversTransport: "traefik.ingress.kubernetes.io/service.serverstransport",
  sticky: "traefik.ingress.kubernetes.io/service.sticky.cookie",
} as const;

export interface IngressManifest {
  /** The backend's path slug: the Ingress's name suffix and resource key. */
  readonly slug: string;
  readonly manifest: IIngress;
}

/**
 * One Ingress per backend, so each can carry its own router priority (Traefik
 * reads the priority per Ingress, not per path). All of an app's Ingresses
 * share one TLS Secret, but only the first (by path) carries the cluster-issuer
 * annotation: cert-manager's ingress-shim names the Certificate after the
 * Secret and refuses to update one that another Ingress owns, so a second
 * annotated Ingress would only produce warnings.
 */
export function ingressManifests(app: AppSpec, entry: RouteEntry): IngressManifest[] {
  const hosts = sortedHosts(app);
  const mw = middlewareAnnotation(app);
  const byPath = [...app.backends].sort((a, b) => byString(a.path, b.path));
  return byPath.map((backend, i) => {
    const slug = backendSlug(backend.path);
    const annotations: Record<string, string> = {
      ...(i === 0 && !app.wildcardZone ? { [ANNOTATION.clusterIssuer]: app.issuer } : {}),
      [ANNOTATION.entryPoints]: routeEntryPoints(app, entry).join(","),
      ...(mw ? { [ANNOTATION.middlewares]: mw } : {}),
      [ANNOTATION.priority]: String(routePriority(backend)),
      [ANNOTATION.tls]: "true",
    };
    const manifest: IIngress = {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: `${app.name}-${slug}`, namespace: app.namespace, labels: appLabels(app), annotations },
      spec: {
        ingressClassName: entry.className,
        // Without a secretName Traefik serves the default TLS store's wildcard (builders/wildcard-certs.ts).
        tls: [{ hosts, ...(app.wildcardZone ? {} : { secretName: tlsSecretName(app) }) }],
        rules: hosts.map((host) => ({
          host,
          http: {
            paths: [
              {
                path: backend.path,
                pathType: backend.pathType,
                backend: { service: { name: backend.service, port: servicePort(backend.port) } },
              },
            ],
          },
        })),
      },
    };
    return { slug, manifest };
  });
}

/**
 * The entry points an app's routes attach to: a private app's the private
 * entry's alone; every other app's the public ones (websecure, and the tunnel's
 * own where it has one).
 */
export function routeEntryPoints(app: Pick<AppSpec, "name" | "private">, entry: RouteEntry): string[] {
  if (!app.private) return [...entry.publicEntryPoints];
  if (!entry.private)
    throw new Error(
      `apps.${app.name} is private, but the ingress entry has no private entry (the config resolves one for every stack with a private app)`,
    );
  return [entry.private.entryPoint];
}

/** `Host(`a`) || Host(`b`)`, parenthesised when combined with a path matcher. */
export function hostMatcher(hosts: readonly string[]): string {
  const alternatives = sortedUnique(hosts).map((h) => `Host(\`${h}\`)`);
  return alternatives.length > 1 ? `(${alternatives.join(" || ")})` : alternatives[0]!;
}

function routeMatch(hosts: readonly string[], backend: Pick<BackendConfig, "path" | "pathType">): string {
  const path = backend.pathType === "Exact" ? `Path(\`${backend.path}\`)` : `PathPrefix(\`${backend.path}\`)`;
  return `${hostMatcher(hosts)} && ${path}`;
}

/**
 * The IngressRoute's TLS comes from a Certificate this stack creates:
 * cert-manager's ingress-shim only watches Ingresses (and Gateways), never
 * Traefik's IngressRoutes, so an annotation would issue nothing.
 */
function certificateManifest(app: AppSpec): ICertificate {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: tlsSecretName(app), namespace: app.namespace, labels: appLabels(app) },
    spec: {
      secretName: tlsSecretName(app),
      dnsNames: sortedHosts(app),
      issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: app.issuer },
    },
  };
}

/** A Traefik router resource's kind and metadata: named after the app, in its namespace. */
function traefikRouteHead<K extends "IngressRoute" | "IngressRouteTCP">(app: AppSpec, kind: K) {
  return {
    apiVersion: "traefik.io/v1alpha1" as const,
    kind,
    metadata: { name: app.name, namespace: app.namespace, labels: appLabels(app) },
  };
}

function ingressRouteManifest(app: AppSpec, entry: RouteEntry): IIngressRoute {
  const hosts = sortedHosts(app);
  const middlewares = middlewareRefs(app);
  const sticky = app.sticky;
  return {
    ...traefikRouteHead(app, "IngressRoute"),
    spec: {
      entryPoints: routeEntryPoints(app, entry),
      routes: orderedBackends(app).map((backend) => ({
        kind: "Rule" as const,
        match: routeMatch(hosts, backend),
        priority: routePriority(backend),
        ...(middlewares.length ? { middlewares } : {}),
        services: [
          {
            name: backend.service,
            port: backend.port,
            ...(sticky
              ? { sticky: { cookie: { name: sticky.cookie, secure: sticky.secure, httpOnly: sticky.httpOnly, sameSite: sticky.sameSite } } }
              : {}),
          },
        ],
      })),
      tls: app.wildcardZone ? {} : { secretName: tlsSecretName(app) },
    },
  };
}

// ── TLS passthrough ─────────────────────────────────────────────────────────

/** `HostSNI(`a`) || HostSNI(`b`)`: a passthrough router matches the TLS ClientHello's server name, never an HTTP header. */
export function hostSniMatcher(hosts: readonly string[]): string {
  return sortedUnique(hosts)
    .map((h) => `HostSNI(\`${h}\`)`)
    .join(" || ");
}

/** The TCP middlewares a passthrough app has: allow-lists, the only ones that need no decryption. */
const TCP_MIDDLEWARES: readonly MiddlewareKind[] = ["lan-only", "ip-allow-list"];
const tcpMiddlewareKinds = (app: AppSpec) => middlewareKinds(app).filter((k) => TCP_MIDDLEWARES.includes(k));

function middlewareTcpManifest(app: AppSpec, kind: MiddlewareKind, entry: RouteEntry): IMiddlewareTCP {
  const sourceRange = kind === "lan-only" ? [...lanOnlySources(app, entry)] : allowListRanges(app, []);
  return {
    apiVersion: "traefik.io/v1alpha1",
    kind: "MiddlewareTCP",
    metadata: { name: middlewareName(app, kind), namespace: app.namespace, labels: appLabels(app) },
    spec: { ipAllowList: { sourceRange } },
  };
}

/**
 * Kind tlsPassthrough: one TCP router on the app's entry points, matched by
 * SNI, that hands the still-encrypted connection to the app's Service (which
 * terminates TLS with its own certificate). Traefik tries TCP routers before
 * HTTP ones on an entry point, so the host is this app's alone (the checks
 * refuse a host shared with another app).
 */
function ingressRouteTcpManifest(app: AppSpec, entry: RouteEntry): IIngressRouteTCP {
  const backend = app.backends[0]!;
  const middlewares = tcpMiddlewareKinds(app).map((kind) => ({ name: middlewareName(app, kind), namespace: app.namespace }));
  return {
    ...traefikRouteHead(app, "IngressRouteTCP"),
    spec: {
      entryPoints: routeEntryPoints(app, entry),
      routes: [
        {
          match: hostSniMatcher(app.hosts),
          ...(middlewares.length ? { middlewares } : {}),
          services: [{ name: backend.service, port: backend.port }],
        },
      ],
      tls: { passthrough: true },
    },
  };
}

// ── external services ───────────────────────────────────────────────────────

function serversTransportName(app: Pick<AppSpec, "name">): string {
  return `${app.name}-transport`;
}

/** The single Service an external app routes to (config/checks/app-routes.ts makes every backend name it). */
function externalServiceName(app: Pick<AppSpec, "backends">): string {
  return app.backends[0]!.service;
}

/**
 * The in-cluster stand-in for a service outside the cluster: a Service without
 * selector (endpoints listed by this stack) for addresses, or an ExternalName
 * Service for a DNS name. Traefik reads its backend options from annotations on
 * the Service, which here is ours to annotate (unlike an in-cluster app's).
 */
function externalServiceManifest(app: AppSpec): IService {
  const ext = app.external!;
  const annotations: Record<string, string> = {};
  const gateway = isGatewayRoute(app);
  if (ext.scheme !== "http" && !gateway) annotations[ANNOTATION.serversScheme] = ext.scheme;
  if (ext.insecureSkipVerify) annotations[ANNOTATION.serversTransport] = `${app.namespace}-${serversTransportName(app)}@kubernetescrd`;
  if (app.sticky) {
    annotations[ANNOTATION.sticky] = "true";
    annotations[`${ANNOTATION.sticky}.httponly`] = String(app.sticky.httpOnly);
    annotations[`${ANNOTATION.sticky}.name`] = app.sticky.cookie;
    annotations[`${ANNOTATION.sticky}.samesite`] = app.sticky.sameSite;
    annotations[`${ANNOTATION.sticky}.secure`] = String(app.sticky.secure);
  }
  // Traefik's Gateway provider reads how to talk to a backend from the port's appProtocol, not from annotations.
  const port = {
    name: ext.scheme,
    port: ext.port,
    protocol: "TCP" as const,
    ...(gateway && ext.scheme !== "http" ? { appProtocol: APP_PROTOCOL[ext.scheme] } : {}),
  };
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: externalServiceName(app),
      namespace: app.namespace,
      labels: appLabels(app),
      ...(Object.keys(annotations).length
        ? { annotations: Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => byString(a, b))) }
        : {}),
    },
    spec: ext.externalName
      ? { type: "ExternalName", externalName: ext.externalName, ports: [port] }
      : { type: "ClusterIP", ports: [{ ...port, targetPort: ext.port }] },
  };
}

/** The Service port appProtocol of a non-HTTP/1 external backend (what Gateway API implementations read). */
const APP_PROTOCOL = { h2c: "kubernetes.io/h2c", https: "https" } as const;

/**
 * The EndpointSlice of a selector-less Service: v1 Endpoints are deprecated
 * from Kubernetes 1.33, and Traefik v3 reads EndpointSlices anyway. The
 * `kubernetes.io/service-name` label is what pairs it with the Service; the
 * managed-by label keeps the EndpointSlice controllers' hands off it. The port
 * name matches the Service port's, which is how a slice's port is found.
 */
function endpointSliceManifest(app: AppSpec): IEndpointSlice | undefined {
  const ext = app.external!;
  if (!ext.addresses?.length) return undefined;
  const service = externalServiceName(app);
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: service,
      namespace: app.namespace,
      labels: { ...appLabels(app), "kubernetes.io/service-name": service, "endpointslice.kubernetes.io/managed-by": "pulumi" },
    },
    addressType: "IPv4",
    endpoints: uniqueAddresses(ext.addresses).map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: ext.scheme, port: ext.port, protocol: "TCP" }],
  };
}

/** Self-signed https backends (a NAS, the Proxmox UI) need Traefik to skip verification for this one service. */
function serversTransportManifest(app: AppSpec): IServersTransport | undefined {
  if (!app.external?.insecureSkipVerify) return undefined;
  return {
    apiVersion: "traefik.io/v1alpha1",
    kind: "ServersTransport",
    metadata: { name: serversTransportName(app), namespace: app.namespace, labels: appLabels(app) },
    spec: { insecureSkipVerify: true },
  };
}

// ── network policy ──────────────────────────────────────────────────────────

/** `10.0.10.21` or `10.0.10.21/32` → `10.0.10.21/32`. */
const asCidr = (source: string) => (source.includes("/") ? source : `${source}/32`);
const byCidr = (a: string, b: string) => byAddress(a.split("/")[0]!, b.split("/")[0]!) || prefixLength(a) - prefixLength(b);

/**
 * Who Traefik's connections to app pods come from. A pod-network Traefik
 * (deployment placement) is matched by its namespace and pod labels.
 *
 * A hostNetwork Traefik (daemonset, controlplane) has no pod identity, and its
 * packets carry the address of the interface the route to the pod leaves by,
 * not necessarily the node's LAN address: to a pod on another node over an
 * overlay that is the CNI's tunnel interface (flannel VXLAN or WireGuard: the
 * `.0` of the node's pod CIDR, 10.42.x.0 on k3s, 10.244.x.0 on Talos; Calico
 * IPIP/VXLAN: an address from its pool), over plain routes (flannel host-gw,
 * Calico BGP) the node's own address. So the peers are the nodes' /32s and the
 * whole pod network, since each node's share of it is assigned at runtime. A
 * pod on Traefik's own node is reached through the bridge (cni0, the `.1`),
 * which Kubernetes always admits (traffic from the pod's own node is allowed
 * whatever its address; kube-router, k3s' enforcer, accepts every locally
 * sourced packet).
 *
 * The price: a policy cannot tell the tunnel addresses from the pods around
 * them, so in these placements it admits every pod of the cluster, on every
 * port (it cannot narrow ports either, see allowTraefikManifest); default
 * deny then keeps out only traffic from outside the cluster, and the config
 * warns about that. Cilium differs: ipBlock never selects its pods, so the pod
 * network admits nothing there, and selects nodes only with
 * `policy-cidr-match-mode: nodes`, without which no ipBlock admits a
 * host-network Traefik at all.
 */
export function traefikPeers(entry: RouteEntry): INetworkPolicyPeer[] {
  if (entry.hostNetwork) {
    if (!entry.podNetwork) {
      throw new Error(
        "a host-network Traefik's NetworkPolicy peers need the pod network: set cluster.network.podSubnet (the config checks require it)",
      );
    }
    return sortedUnique([...entry.nodeSources.map(asCidr), entry.podNetwork])
      .sort(byCidr)
      .map((cidr) => ({ ipBlock: { cidr } }));
  }
  return [
    {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": entry.namespace } },
      podSelector: { matchLabels: Object.fromEntries(Object.entries(entry.podLabels).sort(([a], [b]) => byString(a, b))) },
    },
  ];
}

/** A NetworkPolicy whose podSelector is spelt out (Kubernetes defaults it; Pulumi's types require it). */
export type NetworkPolicyManifest = INetworkPolicy & { spec: INetworkPolicySpec & Required<Pick<INetworkPolicySpec, "podSelector">> };

/** The allow-traefik policy's name, the same in every namespace. */
const ALLOW_TRAEFIK_POLICY = "allow-traefik";

/**
 * The namespaces that get an allow-traefik policy: every one holding an
 * in-cluster app that keeps `networkPolicy`, sorted. An external app's
 * backend is not a pod, so it needs none.
 */
export function allowTraefikNamespaces(apps: readonly Pick<AppSpec, "kind" | "namespace" | "networkPolicy" | "external">[]): string[] {
  return sortedUnique(apps.filter(admitsTraefik).map((a) => a.namespace));
}

/**
 * Lets Traefik reach the namespace's pods, so routes keep working in a
 * default-deny namespace. It selects every pod of the namespace and no ports:
 * the config names an app's Service, not its pod labels, and Service ports,
 * while a NetworkPolicy matches pod labels and container (target) ports; a
 * guessed selector or port would silently blackhole the route. Selecting every
 * pod makes one policy per namespace do for all its apps (per-app copies would
 * differ only in name). The peers are what this policy restricts: Traefik's
 * pods, or for a host-network Traefik the addresses it connects from (see
 * traefikPeers).
 */
export function allowTraefikManifest(namespace: string, entry: RouteEntry): NetworkPolicyManifest {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: {
      name: ALLOW_TRAEFIK_POLICY,
      namespace,
      labels: { "app.kubernetes.io/component": ALLOW_TRAEFIK_POLICY, "app.kubernetes.io/managed-by": "pulumi" },
    },
    spec: {
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [{ from: traefikPeers(entry) }],
    },
  };
}

/**
 * Denies all ingress to the namespace's pods except what another policy allows
 * (the namespace's allow-traefik policy). Egress stays open: apps still reach
 * DNS, databases and the internet.
 */
export function defaultDenyManifest(namespace: string): NetworkPolicyManifest {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "default-deny-ingress", namespace, labels: { "app.kubernetes.io/managed-by": "pulumi" } },
    spec: { podSelector: {}, policyTypes: ["Ingress"] },
  };
}

// ── everything for one app ──────────────────────────────────────────────────

export interface RouteManifests {
  /** kind ingress and external. */
  readonly ingresses: readonly IngressManifest[];
  /** kind ingressRoute, with the Certificate its TLS Secret comes from (none when a wildcard serves the app). */
  readonly ingressRoute?: IIngressRoute;
  readonly certificate?: ICertificate;
  /** In the order Traefik runs them. */
  readonly middlewares: readonly MiddlewareEntry[];
  /** basicAuth's Secret without its data: the `key` value is a Pulumi secret, supplied by the component. */
  readonly basicAuthSecret?: { readonly manifest: ISecret; readonly key: string };
  /** kinds httpRoute and grpcRoute: the Gateway API route. */
  readonly httpRoute?: IHTTPRoute;
  readonly grpcRoute?: IGRPCRoute;
  /** kind tlsPassthrough: the SNI router and its allow-lists (MiddlewareTCP). */
  readonly ingressRouteTcp?: IIngressRouteTCP;
  readonly tcpMiddlewares: readonly { readonly kind: MiddlewareKind; readonly manifest: IMiddlewareTCP }[];
  /** kind tlsRoute: the Gateway API TLSRoute. */
  readonly tlsRoute?: ITLSRoute;
  readonly externalService?: IService;
  readonly endpointSlice?: IEndpointSlice;
  readonly serversTransport?: IServersTransport;
}

export interface MiddlewareEntry {
  readonly kind: MiddlewareKind;
  readonly manifest: IMiddleware;
  /**
   * Set when the spec admits Cloudflare's ranges, which are looked up at
   * deploy time: the spec to register once they are known (`manifest.spec`
   * holds only the configured ranges).
   */
  readonly specWithCloudflareRanges?: (cloudflareIpv4: readonly string[]) => IMiddleware["spec"];
}

function middlewareEntry(app: AppSpec, kind: MiddlewareKind, entry: RouteEntry): MiddlewareEntry {
  const manifest = middlewareManifest(app, kind, entry, []);
  const needsRanges = kind === "ip-allow-list" && app.middlewares?.ipAllowList?.cloudflare === true;
  return needsRanges
    ? { kind, manifest, specWithCloudflareRanges: (cf) => middlewareManifest(app, kind, entry, cf).spec }
    : { kind, manifest };
}

export function routeManifests(app: AppSpec, entry: RouteEntry): RouteManifests {
  const isRoute = app.kind === "ingressRoute";
  const gateway = isGatewayRoute(app);
  const external = Boolean(app.external);
  if (isPassthrough(app)) {
    const tcp = app.kind === "tlsPassthrough";
    return {
      ingresses: [],
      // A TLSRoute has no filters: its private entry alone keeps it off the internet (the checks keep private ones in placement deployment).
      middlewares: [],
      tcpMiddlewares: tcp ? tcpMiddlewareKinds(app).map((kind) => ({ kind, manifest: middlewareTcpManifest(app, kind, entry) })) : [],
      ...(tcp ? { ingressRouteTcp: ingressRouteTcpManifest(app, entry) } : { tlsRoute: tlsRouteManifest(app, entry) }),
    };
  }
  const endpointSlice = external ? endpointSliceManifest(app) : undefined;
  const serversTransport = external ? serversTransportManifest(app) : undefined;
  // A Gateway API route does with its own filters what they can do; only the rest stay Traefik Middlewares.
  const kinds = middlewareKinds(app).filter((kind) => !gateway || EXTENSION_REF_MIDDLEWARES.includes(kind));
  return {
    ingresses: isRoute || gateway ? [] : ingressManifests(app, entry),
    ...(isRoute
      ? { ingressRoute: ingressRouteManifest(app, entry), ...(app.wildcardZone ? {} : { certificate: certificateManifest(app) }) }
      : {}),
    ...(app.kind === "httpRoute" ? { httpRoute: httpRouteManifest(app, entry) } : {}),
    ...(app.kind === "grpcRoute" ? { grpcRoute: grpcRouteManifest(app, entry) } : {}),
    middlewares: kinds.map((kind) => middlewareEntry(app, kind, entry)),
    tcpMiddlewares: [],
    ...(app.middlewares?.basicAuth ? { basicAuthSecret: basicAuthSecret(app) } : {}),
    ...(external ? { externalService: externalServiceManifest(app) } : {}),
    ...(endpointSlice ? { endpointSlice } : {}),
    ...(serversTransport ? { serversTransport } : {}),
  };
}
