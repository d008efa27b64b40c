/**
 * An app's Traefik Middlewares, in the order Traefik runs them, and the
 * basic-auth Secret (without its data) one of them reads.
 */
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { IMiddleware } from "@kubernetes-models/traefik/traefik.io/v1alpha1/Middleware";
import type { AppSpec } from "../model/resolve.ts";
import type { IngressEntrySpec as RouteEntry } from "./traefik-entry.ts";
import { appLabels, basicAuthSecretName, byString, sortedUnique } from "./route-naming.ts";

/** The key Traefik's basicAuth reads htpasswd lines from in an Opaque Secret. */
const BASIC_AUTH_USERS_KEY = "users";

export function basicAuthSecret(app: AppSpec): { manifest: ISecret; key: string } {
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

export function middlewareRefs(app: Pick<AppSpec, "name" | "namespace" | "middlewares" | "private">): MiddlewareRef[] {
  return middlewareKinds(app).map((kind) => ({ name: middlewareName(app, kind), namespace: app.namespace }));
}

/** Traefik's provider-qualified names for the Ingress router-middlewares annotation. */
export function middlewareAnnotation(app: Pick<AppSpec, "name" | "namespace" | "middlewares" | "private">): string {
  return middlewareRefs(app)
    .map((r) => `${r.namespace}-${r.name}@kubernetescrd`)
    .join(",");
}

/**
 * The allow-list's source ranges: the configured CIDRs plus, with
 * `cloudflare: true`, Cloudflare's IPv4 ranges from the deploy-time lookup
 * (the records are A records, so Cloudflare reaches the origin over IPv4).
 */
export function allowListRanges(app: Pick<AppSpec, "middlewares">, cloudflareIpv4: readonly string[]): string[] {
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
export function lanOnlySources(app: Pick<AppSpec, "name">, entry: RouteEntry): readonly string[] {
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

export function middlewareEntry(app: AppSpec, kind: MiddlewareKind, entry: RouteEntry): MiddlewareEntry {
  const manifest = middlewareManifest(app, kind, entry, []);
  const needsRanges = kind === "ip-allow-list" && app.middlewares?.ipAllowList?.cloudflare === true;
  return needsRanges
    ? { kind, manifest, specWithCloudflareRanges: (cf) => middlewareManifest(app, kind, entry, cf).spec }
    : { kind, manifest };
}
