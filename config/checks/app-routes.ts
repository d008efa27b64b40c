import type { ParsedConfig } from "../../model/schema.ts";
import { own } from "../../model/own.ts";
import { K8S_LIMITS } from "../../model/formats.ts";
import { backendSlug } from "../../builders/route-naming.ts";
import type { Add } from "./issue.ts";
import type { ParsedApp } from "./parsed.ts";
import { checkGatewayRoute } from "./gateway.ts";
import { isGatewayHttpRoute, isGatewayRoute, isPassthrough } from "../../model/apps.ts";

/** Rules of the route manifests builders/routes.ts renders from an app. */
export function checkAppRoute(c: ParsedConfig, name: string, app: ParsedApp, add: Add): void {
  const at = (...rest: (string | number)[]) => ["apps", name, ...rest];
  if (app.sticky && app.kind === "ingress") {
    add(
      at("sticky"),
      "Traefik reads an Ingress's sticky cookie from annotations on the app's Service, which this stack does not own; set kind: ingressRoute (the cookie is set on the route) or drop sticky",
    );
  }
  const ext = app.external;
  if (ext) {
    const service = app.backends[0]!.service;
    app.backends.forEach((b, i) => {
      if (b.service !== service)
        add(
          at("backends", i, "service"),
          `an external app routes to the one Service this stack creates, ${service} (apps.${name}.backends[0].service); use ${service} here too`,
        );
      if (b.port !== ext.port)
        add(
          at("backends", i, "port"),
          `the Service this stack creates for apps.${name} listens on external.port ${ext.port}; use port ${ext.port}`,
        );
    });
    if (ext.insecureSkipVerify && ext.scheme !== "https")
      add(
        at("external", "insecureSkipVerify"),
        "only an https backend has a certificate to verify; set scheme: https or remove insecureSkipVerify",
      );
  }
  const cors = app.middlewares?.cors;
  if (cors?.credentials && cors.origins.includes("*")) {
    add(
      at("middlewares", "cors", "origins"),
      "browsers reject credentialed CORS responses for the origin *; list the allowed origins or set credentials: false",
    );
  }
  const namespace = own(c.namespaces, app.namespace);
  if (namespace?.defaultDeny && !app.networkPolicy && !app.external) {
    add(
      at("networkPolicy"),
      `namespaces.${app.namespace}.defaultDeny blocks Traefik from the app's pods unless the namespace's allow-traefik policy admits it, which networkPolicy: false opts out of; remove networkPolicy: false or turn defaultDeny off`,
    );
  }
  if (isGatewayHttpRoute(app)) checkGatewayRoute(c, name, app, add);
}

/**
 * Ingresses are named <app>-<path slug>, so `/api/` and `/api`, or app `a` with
 * `/b` and app `a-b` with `/`, would claim one name in a namespace.
 */
export function checkIngressNames(c: ParsedConfig, add: Add): void {
  const owners = new Map<string, string>();
  for (const [name, app] of Object.entries(c.apps)) {
    if (app.kind === "ingressRoute" || isGatewayRoute(app) || isPassthrough(app)) continue;
    app.backends.forEach((b, i) => {
      const ingress = `${name}-${backendSlug(b.path)}`;
      if (ingress.length > K8S_LIMITS.subdomain) {
        add(
          ["apps", name, "backends", i, "path"],
          `its Ingress would be named ${ingress.slice(0, 40)}… (the app's name and the path, ${ingress.length} characters), and Kubernetes names are at most ${K8S_LIMITS.subdomain}; shorten the path or the app's name`,
        );
      }
      const key = `${app.namespace}/${ingress}`;
      const owner = owners.get(key);
      if (owner)
        add(
          ["apps", name, "backends", i, "path"],
          `its Ingress would be named ${key.split("/")[1]} like the one of ${owner}; change one of the paths`,
        );
      else owners.set(key, `apps.${name}.backends[${i}].path`);
    });
  }
}
