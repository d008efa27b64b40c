/** The Routes table of summary.md: host → path → service rows from every kind of route the stack registers. */
import type { RecordedResource } from "./recorder.ts";
import { byAddress } from "../contract/net.ts";
import { HOST_MATCH, HOST_SNI_MATCH, PATH_MATCH } from "../contract/traefik-match.ts";
import { TYPES } from "../contract/tokens.ts";
import { arr, obj, str, type Obj } from "../contract/props.ts";

export interface RouteRow {
  readonly host: string;
  readonly path: string;
  readonly targets: readonly string[];
  readonly proxied: boolean;
  readonly service: string;
  readonly kind: "Ingress" | "IngressRoute" | "HTTPRoute" | "GRPCRoute" | "IngressRouteTCP" | "TLSRoute";
  readonly issuer: string;
  readonly middlewares: readonly string[];
}

function dnsTargets(resources: readonly RecordedResource[]): Map<string, { targets: string[]; proxied: boolean }> {
  const byHost = new Map<string, { targets: string[]; proxied: boolean }>();
  for (const r of resources.filter((x) => x.type === TYPES.dnsRecord)) {
    const host = str(r.inputs.name);
    const entry = byHost.get(host) ?? { targets: [], proxied: r.inputs.proxied === true };
    entry.targets.push(str(r.inputs.content));
    byHost.set(host, entry);
  }
  for (const e of byHost.values()) e.targets.sort(byAddress);
  return byHost;
}

/**
 * Issuer per TLS secret (`ns/secret`): from Certificates, and from the Ingress
 * that carries cert-manager's annotation for a secret several Ingresses share.
 */
function issuersBySecret(resources: readonly RecordedResource[]): Map<string, string> {
  const bySecret = new Map<string, string>();
  for (const r of resources) {
    const meta = obj(r.inputs.metadata);
    const ns = str(meta.namespace);
    const spec = obj(r.inputs.spec);
    if (r.type === TYPES.certificate) bySecret.set(`${ns}/${str(spec.secretName)}`, str(obj(spec.issuerRef).name));
    const annotated = obj(meta.annotations)["cert-manager.io/cluster-issuer"];
    if (r.type === TYPES.ingress && annotated) {
      for (const tls of arr(spec.tls)) bySecret.set(`${ns}/${str(obj(tls).secretName)}`, str(annotated));
    }
  }
  return bySecret;
}

/** Traefik names a CRD middleware `<namespace>-<name>@kubernetescrd` in annotations; shown without the provider suffix. */
const middlewareLabel = (ref: string) => ref.replace(/@kubernetescrd$/, "");

/** What the TLS issuer column says for a passthrough route: Traefik holds no certificate for it. */
const PASSTHROUGH_ISSUER = "none (passthrough: the backend's own)";
export const isPassthroughRow = (r: Pick<RouteRow, "kind">) => r.kind === "IngressRouteTCP" || r.kind === "TLSRoute";

/** What the TLS issuer column says for a route whose TLS names no secret: the wildcard of Traefik's default TLS store. */
const WILDCARD_ISSUER = "wildcard (default TLS store)";

/** The issuer cert-manager's gateway-shim issues the Gateway's certificates from: the Traefik release's Gateway annotation. */
function gatewayIssuer(resources: readonly RecordedResource[]): string {
  const release = resources.find((r) => r.type === TYPES.release && str(r.inputs.chart) === "traefik");
  return str(obj(obj(obj(release?.inputs.values).gateway).annotations)["cert-manager.io/cluster-issuer"]);
}

/** A Gateway API filter as the summary names it: the Middleware an ExtensionRef reaches, else the filter type. */
function filterLabel(filter: unknown, ns: string): string {
  const f = obj(filter);
  return str(f.type) === "ExtensionRef" ? `${ns}-${str(obj(f.extensionRef).name)}` : str(f.type);
}

/** `/` for a rule without matches; an HTTPRoute's path, a GRPCRoute's `/service[/method]`. */
function gatewayRulePath(rule: Obj): string {
  const match = obj(arr(rule.matches)[0]);
  if (match.path) return str(obj(match.path).value) || "/";
  const method = obj(match.method);
  return method.service ? `/${str(method.service)}${method.method ? `/${str(method.method)}` : ""}` : "/";
}

/** host → path → service rows, from Ingresses, IngressRoutes and Gateway API routes. */
export function routeRows(resources: readonly RecordedResource[]): RouteRow[] {
  const dns = dnsTargets(resources);
  const issuers = issuersBySecret(resources);
  const viaGateway = gatewayIssuer(resources);
  const rows: RouteRow[] = [];
  const dnsOf = (host: string) => dns.get(host) ?? { targets: [], proxied: false };
  for (const r of resources) {
    const meta = obj(r.inputs.metadata);
    const ns = str(meta.namespace);
    if (r.type === TYPES.ingress) {
      const annotations = obj(meta.annotations);
      const secret = str(obj(arr(obj(r.inputs.spec).tls)[0]).secretName);
      const issuer = issuers.get(`${ns}/${secret}`) ?? (secret ? "" : WILDCARD_ISSUER);
      const middlewares = str(annotations["traefik.ingress.kubernetes.io/router.middlewares"])
        .split(",")
        .filter(Boolean)
        .map(middlewareLabel);
      for (const rule of arr(obj(r.inputs.spec).rules)) {
        const host = str(obj(rule).host);
        for (const p of arr(obj(obj(rule).http).paths)) {
          const svc = obj(obj(obj(p).backend).service);
          const port = obj(svc.port);
          rows.push({
            host,
            path: str(obj(p).path) || "/",
            ...dnsOf(host),
            service: `${ns}/${str(svc.name)}:${str(port.number ?? port.name)}`,
            kind: "Ingress",
            issuer,
            middlewares,
          });
        }
      }
    }
    if (r.type === TYPES.ingressRoute) {
      const spec = obj(r.inputs.spec);
      const tlsSecret = str(obj(spec.tls).secretName);
      const issuer =
        issuers.get(`${ns}/${tlsSecret}`) ?? (str(obj(spec.tls).certResolver) || (spec.tls && !tlsSecret ? WILDCARD_ISSUER : ""));
      for (const route of arr(spec.routes)) {
        const match = str(obj(route).match);
        const path = PATH_MATCH.exec(match)?.[2] ?? "/";
        const services = arr(obj(route).services)
          .map((s) => `${str(obj(s).namespace) || ns}/${str(obj(s).name)}:${str(obj(s).port)}`)
          .join(", ");
        const middlewares = arr(obj(route).middlewares).map((m) => `${str(obj(m).namespace ?? ns)}-${str(obj(m).name)}`);
        for (const [, host] of match.matchAll(HOST_MATCH)) {
          rows.push({ host: host!, path, ...dnsOf(host!), service: services, kind: "IngressRoute", issuer, middlewares });
        }
      }
    }
    if (r.type === TYPES.ingressRouteTcp) {
      for (const route of arr(obj(r.inputs.spec).routes).map(obj)) {
        const services = arr(route.services)
          .map((s) => `${str(obj(s).namespace) || ns}/${str(obj(s).name)}:${str(obj(s).port)}`)
          .join(", ");
        const middlewares = arr(route.middlewares).map((m) => `${str(obj(m).namespace) || ns}-${str(obj(m).name)}`);
        for (const [, host] of str(route.match).matchAll(HOST_SNI_MATCH)) {
          rows.push({
            host: host!,
            path: "/",
            ...dnsOf(host!),
            service: services,
            kind: "IngressRouteTCP",
            issuer: PASSTHROUGH_ISSUER,
            middlewares,
          });
        }
      }
    }
    if (r.type === TYPES.tlsRoute) {
      const spec = obj(r.inputs.spec);
      const services = arr(spec.rules)
        .flatMap((rule) => arr(obj(rule).backendRefs))
        .map((b) => `${str(obj(b).namespace) || ns}/${str(obj(b).name)}:${str(obj(b).port)}`)
        .join(", ");
      for (const host of arr(spec.hostnames).map(str))
        rows.push({ host, path: "/", ...dnsOf(host), service: services, kind: "TLSRoute", issuer: PASSTHROUGH_ISSUER, middlewares: [] });
    }
    if (r.type === TYPES.httpRoute || r.type === TYPES.grpcRoute) {
      const spec = obj(r.inputs.spec);
      for (const rule of arr(spec.rules).map(obj)) {
        const services = arr(rule.backendRefs)
          .map((b) => `${str(obj(b).namespace) || ns}/${str(obj(b).name)}:${str(obj(b).port)}`)
          .join(", ");
        const middlewares = arr(rule.filters).map((f) => filterLabel(f, ns));
        for (const host of arr(spec.hostnames).map(str)) {
          rows.push({
            host,
            path: gatewayRulePath(rule),
            ...dnsOf(host),
            service: services,
            kind: r.type === TYPES.httpRoute ? "HTTPRoute" : "GRPCRoute",
            issuer: viaGateway,
            middlewares,
          });
        }
      }
    }
  }
  return rows.sort((a, b) => (a.host + a.path < b.host + b.path ? -1 : a.host + a.path > b.host + b.path ? 1 : 0));
}
