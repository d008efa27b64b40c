/**
 * How an app's route objects are named, labelled and ordered. Kubernetes
 * object names are the app's config key plus a role suffix (`immich-api`,
 * `immich-tls`, `immich-rate-limit`), never a list position, so reordering the
 * config renames nothing; a namespace's own policies are named by their role
 * alone (`allow-traefik`).
 */
import type { AppSpec } from "../model/resolve.ts";
import type { BackendConfig } from "../model/schema.ts";

export type Backend = Pick<BackendConfig, "path" | "pathType" | "service" | "port">;

export const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
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

export function tlsSecretName(app: Pick<AppSpec, "name">): string {
  return `${app.name}-tls`;
}

export function basicAuthSecretName(app: Pick<AppSpec, "name">): string {
  return `${app.name}-basic-auth-users`;
}

export const appLabels = (app: Pick<AppSpec, "name">) => ({
  "app.kubernetes.io/instance": app.name,
  "app.kubernetes.io/managed-by": "pulumi",
});

/** A Traefik router resource's kind and metadata: named after the app, in its namespace. */
export function traefikRouteHead<K extends "IngressRoute" | "IngressRouteTCP">(app: AppSpec, kind: K) {
  return {
    apiVersion: "traefik.io/v1alpha1" as const,
    kind,
    metadata: { name: app.name, namespace: app.namespace, labels: appLabels(app) },
  };
}
