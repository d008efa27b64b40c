/**
 * summary.md: what a reviewer reads first. Every row is drawn from the
 * recorded resources (what the stack would actually register), not from the
 * config's intent, so the summary cannot disagree with resources.json.
 */
import type { RecordedResource } from "./recorder.ts";
import { byAddress } from "../lib/net.ts";
import { HOST_MATCH, PATH_MATCH, TYPES, arr, obj, str, type Obj } from "../policies/common.ts";
import type { Violation } from "../policies/offline.ts";

interface RouteRow {
  readonly host: string;
  readonly path: string;
  readonly targets: readonly string[];
  readonly proxied: boolean;
  readonly service: string;
  readonly kind: "Ingress" | "IngressRoute" | "HTTPRoute" | "GRPCRoute";
  readonly issuer: string;
  readonly middlewares: readonly string[];
}

interface SummaryInput {
  readonly stack: string;
  readonly resources: readonly RecordedResource[];
  readonly outputs: Record<string, unknown>;
  readonly policy: { readonly violations: readonly Violation[]; readonly rules: number };
  readonly warnings: readonly string[];
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
function routeRows(resources: readonly RecordedResource[]): RouteRow[] {
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
      const issuer = issuers.get(`${ns}/${secret}`) ?? "";
      const middlewares = str(annotations["traefik.ingress.kubernetes.io/router.middlewares"]).split(",").filter(Boolean).map(middlewareLabel);
      for (const rule of arr(obj(r.inputs.spec).rules)) {
        const host = str(obj(rule).host);
        for (const p of arr(obj(obj(rule).http).paths)) {
          const svc = obj(obj(obj(p).backend).service);
          const port = obj(svc.port);
          rows.push({ host, path: str(obj(p).path) || "/", ...dnsOf(host), service: `${ns}/${str(svc.name)}:${str(port.number ?? port.name)}`, kind: "Ingress", issuer, middlewares });
        }
      }
    }
    if (r.type === TYPES.ingressRoute) {
      const spec = obj(r.inputs.spec);
      const issuer = issuers.get(`${ns}/${str(obj(spec.tls).secretName)}`) ?? str(obj(spec.tls).certResolver);
      for (const route of arr(spec.routes)) {
        const match = str(obj(route).match);
        const path = PATH_MATCH.exec(match)?.[2] ?? "/";
        const services = arr(obj(route).services).map((s) => `${str(obj(s).namespace) || ns}/${str(obj(s).name)}:${str(obj(s).port)}`).join(", ");
        const middlewares = arr(obj(route).middlewares).map((m) => `${str(obj(m).namespace ?? ns)}-${str(obj(m).name)}`);
        for (const [, host] of match.matchAll(HOST_MATCH)) {
          rows.push({ host: host!, path, ...dnsOf(host!), service: services, kind: "IngressRoute", issuer, middlewares });
        }
      }
    }
    if (r.type === TYPES.httpRoute || r.type === TYPES.grpcRoute) {
      const spec = obj(r.inputs.spec);
      for (const rule of arr(spec.rules).map(obj)) {
        const services = arr(rule.backendRefs).map((b) => `${str(obj(b).namespace) || ns}/${str(obj(b).name)}:${str(obj(b).port)}`).join(", ");
        const middlewares = arr(rule.filters).map((f) => filterLabel(f, ns));
        for (const host of arr(spec.hostnames).map(str)) {
          rows.push({ host, path: gatewayRulePath(rule), ...dnsOf(host), service: services, kind: r.type === TYPES.httpRoute ? "HTTPRoute" : "GRPCRoute", issuer: viaGateway, middlewares });
        }
      }
    }
  }
  return rows.sort((a, b) => (a.host + a.path < b.host + b.path ? -1 : a.host + a.path > b.host + b.path ? 1 : 0));
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  return [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`, ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`)].join("\n");
}

const mermaidId = (s: string) => s.replace(/[^A-Za-z0-9]/g, "_");

/**
 * Cloudflare → (public address →) entry address → Traefik → Service, for this
 * stack's placement; unproxied hosts reach the entry directly.
 */
function requestPathDiagram(rows: readonly RouteRow[], ingress: Obj): string {
  const placement = str(ingress.placement);
  const entries = arr(ingress.addresses).map(str);
  const via = placement === "deployment" ? "MetalLB LoadBalancer IP" : placement === "daemonset" ? "node, hostNetwork :443" : "Talos VIP, hostNetwork :443";
  const lines = ["flowchart LR", "  user([client])"];
  const entryId = (a: string) => mermaidId(`entry_${a}`);
  for (const a of entries) lines.push(`  ${entryId(a)}["${a}<br/>${via}"]`, `  ${entryId(a)} --> traefik`);
  const proxiedOrigins = [...new Set(rows.filter((r) => r.proxied).flatMap((r) => r.targets))].sort(byAddress);
  if (proxiedOrigins.length > 0) lines.push("  cf{{Cloudflare proxy}}", "  user --> cf");
  for (const o of proxiedOrigins) {
    if (entries.includes(o)) {
      lines.push(`  cf --> ${entryId(o)}`);
      continue;
    }
    const wan = mermaidId(`wan_${o}`);
    lines.push(`  ${wan}["${o}<br/>public address, port-forward"]`, `  cf --> ${wan}`, ...entries.map((a) => `  ${wan} --> ${entryId(a)}`));
  }
  for (const a of [...new Set(rows.filter((r) => !r.proxied).flatMap((r) => r.targets))].sort(byAddress)) {
    lines.push(`  user -. "DNS only" .-> ${entries.includes(a) ? entryId(a) : mermaidId(`wan_${a}`)}`);
  }
  lines.push(`  traefik[["Traefik (${placement})"]]`);
  // One pass over the rows: filtering every row per service made the summary quadratic in the number of apps.
  const hostsByService = new Map<string, Set<string>>();
  for (const r of rows) {
    for (const svc of r.service.split(", ")) {
      const hosts = hostsByService.get(svc) ?? new Set<string>();
      hosts.add(`${r.host}${r.path === "/" ? "" : r.path}`);
      hostsByService.set(svc, hosts);
    }
  }
  for (const svc of [...hostsByService.keys()].sort()) {
    const hosts = [...hostsByService.get(svc)!].sort();
    lines.push(`  ${mermaidId(`svc_${svc}`)}["${svc}"]`, `  traefik -- "${hosts.join("<br/>")}" --> ${mermaidId(`svc_${svc}`)}`);
  }
  return ["```mermaid", ...lines, "```"].join("\n");
}

function nodeRows(outputs: Obj): string[][] {
  return arr(outputs.nodes).map((n) => [str(obj(n).name), str(obj(n).role), str(obj(n).ip)]);
}

export function summaryMarkdown(input: SummaryInput): string {
  const rows = routeRows(input.resources);
  const ingress = obj(input.outputs.ingress);
  const releases = input.resources.filter((r) => r.type === TYPES.release);
  const counts = new Map<string, number>();
  for (const r of input.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  const out: string[] = [`# Stack \`${input.stack}\``, ""];
  out.push(`${input.resources.length} resources; Kubernetes API endpoint \`${str(input.outputs.apiEndpoint)}\`.`, "");
  out.push("## Nodes", "", markdownTable(["node", "role", "address"], nodeRows(input.outputs)), "");
  out.push("## Ingress entry", "");
  out.push(`Traefik placement **${str(ingress.placement)}**, IngressClass \`${str(ingress.className)}\`, entry address${arr(ingress.addresses).length === 1 ? "" : "es"} ${arr(ingress.addresses).map((a) => `\`${str(a)}\``).join(", ")}.`, "");
  out.push("## Routes", "", markdownTable(
    ["host", "path", "DNS target(s)", "proxied", "service", "route", "TLS issuer", "middlewares"],
    rows.map((r) => [r.host, r.path, r.targets.join(", "), r.proxied ? "yes" : "no", r.service, r.kind, r.issuer, r.middlewares.join(", ")]),
  ), "");
  out.push("## Request path", "", requestPathDiagram(rows, ingress), "");
  out.push("## Helm releases", "", markdownTable(
    ["release", "namespace", "chart", "version", "repository"],
    releases.map((r) => [str(r.inputs.name ?? r.name), str(r.inputs.namespace), str(r.inputs.chart), str(r.inputs.version), str(obj(r.inputs.repositoryOpts).repo)]),
  ), "");
  out.push("## Policy", "");
  if (input.policy.violations.length === 0) out.push(`All ${input.policy.rules} rules pass.`);
  else out.push(markdownTable(["rule", "level", "resource", "message"], input.policy.violations.map((v) => [v.policy, v.level, v.resource, v.message])));
  out.push("");
  if (input.warnings.length) out.push("## Config warnings", "", ...input.warnings.map((w) => `- ${w}`), "");
  out.push("## Resources by type", "", markdownTable(["type", "count"], [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([t, n]) => [t, String(n)])), "");
  return out.join("\n");
}
