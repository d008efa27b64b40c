/**
 * An app's Ingresses (kinds ingress and external) or IngressRoute (kind
 * ingressRoute, with the Certificate its TLS Secret comes from).
 */
import type { IIngress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import type { IIngressRoute } from "@kubernetes-models/traefik/traefik.io/v1alpha1/IngressRoute";
import type { ICertificate } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate";
import type { AppSpec } from "../model/resolve.ts";
import type { IngressEntrySpec as RouteEntry } from "./traefik-entry.ts";
import {
  appLabels,
  backendSlug,
  byString,
  orderedBackends,
  routePriority,
  sortedHosts,
  tlsSecretName,
  traefikRouteHead,
} from "./route-naming.ts";
import { routeEntryPoints, routeMatch } from "./route-matching.ts";
import { middlewareAnnotation, middlewareRefs } from "./middlewares.ts";

const servicePort = (port: number | string) => (typeof port === "number" ? { number: port } : { name: port });

export const ANNOTATION = {
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
 * The IngressRoute's TLS comes from a Certificate this stack creates:
 * cert-manager's ingress-shim only watches Ingresses (and Gateways), never
 * Traefik's IngressRoutes, so an annotation would issue nothing.
 */
export function certificateManifest(app: AppSpec): ICertificate {
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

export function ingressRouteManifest(app: AppSpec, entry: RouteEntry): IIngressRoute {
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
