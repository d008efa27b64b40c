/**
 * Every host and path the plan routes, from Ingress rules and IngressRoute
 * matches.
 */
import type { PolicyResource } from "@pulumi/policy";
import { eachKnown, metaOf, ofType } from "../common.ts";
import { PATH_MATCH, HOST_MATCH, HOST_SNI_MATCH } from "@homelab/contract/traefik-match";
import { TYPES } from "@homelab/contract/tokens";
import { arr, obj, str, strings, type Obj } from "@homelab/contract/props";

export interface RouteEntry {
  readonly resource: PolicyResource;
  readonly namespace: string;
  readonly host: string;
  readonly path: string;
  readonly pathType: string;
}

/** Every host + path the stack routes, from Ingress rules, IngressRoute matches and Gateway API routes. */
export function routeEntries(resources: readonly PolicyResource[]): RouteEntry[] {
  const entries: RouteEntry[] = [];
  eachKnown(ofType(resources, TYPES.ingress), (ing) => {
    const ns = metaOf(ing.props).namespace;
    for (const rule of arr(obj(ing.props.spec).rules).map(obj)) {
      const host = str(rule.host);
      for (const p of arr(obj(rule.http).paths).map(obj)) {
        entries.push({ resource: ing, namespace: ns, host, path: str(p.path) || "/", pathType: str(p.pathType) || "Prefix" });
      }
    }
  });
  eachKnown(ofType(resources, TYPES.ingressRoute), (ir) => {
    const ns = metaOf(ir.props).namespace;
    for (const route of arr(obj(ir.props.spec).routes).map(obj)) {
      const match = str(route.match);
      const path = PATH_MATCH.exec(match);
      for (const [, host] of match.matchAll(HOST_MATCH)) {
        entries.push({
          resource: ir,
          namespace: ns,
          host: host!,
          path: path?.[2] ?? "/",
          pathType: path?.[1] === "Path" ? "Exact" : "Prefix",
        });
      }
    }
  });
  // Passthrough routes match a TLS server name, never a path: the whole host.
  eachKnown(ofType(resources, TYPES.ingressRouteTcp), (route) => {
    const ns = metaOf(route.props).namespace;
    for (const r of arr(obj(route.props.spec).routes).map(obj)) {
      for (const [, host] of str(r.match).matchAll(HOST_SNI_MATCH))
        entries.push({ resource: route, namespace: ns, host: host!, path: "/", pathType: "Prefix" });
    }
  });
  eachKnown(ofType(resources, TYPES.tlsRoute), (route) => {
    for (const host of strings(obj(route.props.spec).hostnames))
      entries.push({ resource: route, namespace: metaOf(route.props).namespace, host, path: "/", pathType: "Prefix" });
  });
  eachKnown(ofType(resources, TYPES.httpRoute, TYPES.grpcRoute), (route) => {
    const ns = metaOf(route.props).namespace;
    const spec = obj(route.props.spec);
    for (const rule of arr(spec.rules).map(obj)) {
      const matches = arr(rule.matches).map(obj);
      for (const host of strings(spec.hostnames)) {
        for (const m of matches.length ? matches : [{}]) entries.push({ resource: route, namespace: ns, host, ...gatewayMatchPath(m) });
      }
    }
  });
  return entries;
}

/** An HTTPRoute match's path, a GRPCRoute match's `/service[/method]` (Exact with a method), `/` for none. */
function gatewayMatchPath(match: Obj): { path: string; pathType: string } {
  const path = obj(match.path);
  if (match.path !== undefined) return { path: str(path.value) || "/", pathType: str(path.type) === "Exact" ? "Exact" : "Prefix" };
  const method = obj(match.method);
  if (!method.service) return { path: "/", pathType: "Prefix" };
  return method.method
    ? { path: `/${str(method.service)}/${str(method.method)}`, pathType: "Exact" }
    : { path: `/${str(method.service)}`, pathType: "Prefix" };
}

/** The hosts a route resource serves. */
export const routeHosts = (resources: readonly PolicyResource[]): Map<string, PolicyResource> =>
  new Map(routeEntries(resources).map((e) => [e.host, e.resource]));
