/** What an app's Traefik routers listen on and match: entry points, Host and HostSNI matchers. */
import type { BackendConfig } from "../model/schema.ts";
import type { AppSpec } from "../model/resolve.ts";
import type { IngressEntrySpec as RouteEntry } from "./traefik-entry.ts";
import { sortedUnique } from "./route-naming.ts";

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

export function routeMatch(hosts: readonly string[], backend: Pick<BackendConfig, "path" | "pathType">): string {
  const path = backend.pathType === "Exact" ? `Path(\`${backend.path}\`)` : `PathPrefix(\`${backend.path}\`)`;
  return `${hostMatcher(hosts)} && ${path}`;
}

/** `HostSNI(`a`) || HostSNI(`b`)`: a passthrough router matches the TLS ClientHello's server name, never an HTTP header. */
export function hostSniMatcher(hosts: readonly string[]): string {
  return sortedUnique(hosts)
    .map((h) => `HostSNI(\`${h}\`)`)
    .join(" || ");
}
