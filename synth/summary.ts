/**
 * summary.md: what a reviewer reads first. Every row is drawn from the
 * recorded resources (what the stack would actually register), not from the
 * config's intent, so the summary cannot disagree with resources.json.
 */
import { parseAllDocuments } from "yaml";
import type { RecordedResource } from "./recorder.ts";
import { ENFORCED_BY_ANNOTATION } from "../contract/kubernetes.ts";
import { byAddress } from "../contract/net.ts";
import { HOST_MATCH, HOST_SNI_MATCH, PATH_MATCH } from "../contract/traefik-match.ts";
import { arr, obj, str, type Obj } from "../contract/props.ts";
import type { Violation } from "../policies/offline.ts";
import { footprintLine, type Footprint } from "../builders/footprint.ts";
import { COMPONENTS, TYPES } from "../contract/tokens.ts";

interface RouteRow {
  readonly host: string;
  readonly path: string;
  readonly targets: readonly string[];
  readonly proxied: boolean;
  readonly service: string;
  readonly kind: "Ingress" | "IngressRoute" | "HTTPRoute" | "GRPCRoute" | "IngressRouteTCP" | "TLSRoute";
  readonly issuer: string;
  readonly middlewares: readonly string[];
}

interface SummaryInput {
  readonly stack: string;
  readonly resources: readonly RecordedResource[];
  readonly outputs: Record<string, unknown>;
  readonly policy: { readonly violations: readonly Violation[]; readonly rules: number };
  readonly warnings: readonly string[];
  /** What the stack asks of Proxmox, from the resolved config; absent where there is no config (unit tests of other sections). */
  readonly footprint?: Footprint;
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
const isPassthroughRow = (r: Pick<RouteRow, "kind">) => r.kind === "IngressRouteTCP" || r.kind === "TLSRoute";

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

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const esc = (s: string) => s.replaceAll("|", "\\|");
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(esc).join(" | ")} |`),
  ].join("\n");
}

const mermaidId = (s: string) => s.replace(/[^A-Za-z0-9]/g, "_");

/**
 * Cloudflare → (public address →) entry address → Traefik → Service, for this
 * stack's placement; unproxied hosts reach the entry directly.
 */
function requestPathDiagram(rows: readonly RouteRow[], ingress: Obj, lan: readonly LanRow[]): string {
  const placement = str(ingress.placement);
  const entries = arr(ingress.addresses).map(str);
  const via =
    placement === "deployment"
      ? "MetalLB LoadBalancer IP"
      : placement === "daemonset"
        ? "node, hostNetwork :443"
        : "Talos VIP, hostNetwork :443";
  const lines = ["flowchart LR", "  user([client])"];
  const entryId = (a: string) => mermaidId(`entry_${a}`);
  for (const a of entries) lines.push(`  ${entryId(a)}["${a}<br/>${via}"]`, `  ${entryId(a)} --> traefik`);
  const proxiedOrigins = [...new Set(rows.filter((r) => r.proxied).flatMap((r) => r.targets))]
    .filter((t) => !isTunnelTarget(t))
    .sort(byAddress);
  const tunnelled = rows.some((r) => r.proxied && r.targets.some(isTunnelTarget));
  if (proxiedOrigins.length > 0 || tunnelled) lines.push("  cf{{Cloudflare proxy}}", "  user --> cf");
  // cloudflared dials out to Cloudflare and forwards inward: no address of the LAN is published.
  if (tunnelled)
    lines.push(
      '  cloudflared[["cloudflared pods<br/>outbound tunnel"]]',
      '  cf -- "tunnel" --> cloudflared',
      `  origin["${TRAEFIK_TUNNEL_ORIGIN}<br/>ClusterIP :443"]`,
      "  cloudflared --> origin",
      "  origin --> traefik",
    );
  // The private entry: its own LAN-only address (placement deployment), else the shared entry behind the private routes' LAN-only allow-list.
  const privateEntries = [...new Set(lan.flatMap((l) => l.addresses))].sort(byAddress);
  for (const a of privateEntries.filter((p) => !entries.includes(p))) {
    lines.push(`  ${entryId(a)}["${a}<br/>private entry (LAN only, not forwarded)"]`, `  ${entryId(a)} --> traefik`);
  }
  const lanLabel = privateEntries.every((a) => entries.includes(a))
    ? "LAN resolver (private apps, LAN-only allow-list)"
    : "LAN resolver (private apps)";
  lines.push(...privateEntries.map((a) => `  user -. "${lanLabel}" .-> ${entryId(a)}`));
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
  const privateHosts = new Set(lan.map((l) => l.host));
  const hostsByService = new Map<string, { http: Set<string>; passthrough: Set<string> }>();
  for (const r of rows) {
    for (const svc of r.service.split(", ")) {
      const hosts = hostsByService.get(svc) ?? { http: new Set<string>(), passthrough: new Set<string>() };
      (isPassthroughRow(r) ? hosts.passthrough : hosts.http).add(
        `${r.host}${r.path === "/" ? "" : r.path}${privateHosts.has(r.host) ? " (LAN only)" : ""}`,
      );
      hostsByService.set(svc, hosts);
    }
  }
  for (const svc of [...hostsByService.keys()].sort()) {
    const { http, passthrough } = hostsByService.get(svc)!;
    const id = mermaidId(`svc_${svc}`);
    lines.push(`  ${id}["${svc}"]`);
    if (http.size) lines.push(`  traefik -- "${[...http].sort().join("<br/>")}" --> ${id}`);
    // Passthrough: Traefik reads the SNI and forwards the TLS stream undecrypted.
    if (passthrough.size) lines.push(`  traefik == "${[...passthrough].sort().join("<br/>")}<br/>TLS passthrough (SNI)" ==> ${id}`);
  }
  return ["```mermaid", ...lines, "```"].join("\n");
}

/** A tunnelled host's record target, `<tunnel id>.cfargotunnel.com`. */
const isTunnelTarget = (target: string) => target.endsWith(".cfargotunnel.com");
/** The tunnel origin Service (builders/tunnel.ts), as the diagram names it. */
const TRAEFIK_TUNNEL_ORIGIN = "traefik/traefik-tunnel-origin";

interface LanRow {
  readonly host: string;
  readonly addresses: readonly string[];
}

/** Private apps' hosts, from the LanDns component's record. */
function lanRows(resources: readonly RecordedResource[]): LanRow[] {
  return resources
    .filter((r) => r.type === COMPONENTS.lanDns)
    .flatMap((r) => arr(r.inputs.entries).map((e) => ({ host: str(obj(e).host), addresses: arr(obj(e).addresses).map(str) })));
}

/** The tunnel, from the CloudflareTunnel component and the tunnel resource. */
function tunnelLine(resources: readonly RecordedResource[]): string | undefined {
  const component = resources.find((r) => r.type === COMPONENTS.cloudflareTunnel);
  if (!component) return undefined;
  const hosts = arr(component.inputs.ingressRules)
    .map((r) => str(obj(r).hostname))
    .filter(Boolean);
  const forwarders = arr(component.inputs.forwarders).map((f) => `\`${str(f)}\``);
  const trust = forwarders.length
    ? `Traefik trusts forwarded headers only from ${forwarders.join(", ")} (cloudflared's sources)`
    : "Traefik trusts no forwarded headers";
  return `Public entry: Cloudflare Tunnel \`${str(component.inputs.name)}\` (no public address, no port-forward) for ${hosts.length} host${hosts.length === 1 ? "" : "s"}; ${trust}: ${str(component.inputs.trustReason)}.`;
}

/** Every document of each Talos node's configuration patches, by resource name. */
function talosPatchDocuments(resources: readonly RecordedResource[]): Map<string, Obj[]> {
  return new Map(
    resources
      .filter((r) => r.type === TYPES.configurationApply)
      .map((r) => [
        r.name,
        arr(r.inputs.configPatches)
          .filter((p): p is string => typeof p === "string")
          .flatMap((p) => parseAllDocuments(p, { version: "1.1" }).map((d) => obj(d.toJS()))),
      ]),
  );
}

/** The sources a node's NetworkRuleConfig of that name admits. */
const ruleSources = (docs: readonly Obj[], name: string): string[] =>
  docs.filter((d) => d.kind === "NetworkRuleConfig" && d.name === name).flatMap((d) => arr(d.ingress).map((i) => str(obj(i).subnet)));

/** What the Talos host firewall admits, as the nodes' patches declare it. */
function hostFirewallLine(talos: ReadonlyMap<string, Obj[]>): string {
  const blocking = [...talos.values()].filter((docs) => docs.some((d) => d.kind === "NetworkDefaultActionConfig" && d.ingress === "block"));
  if (blocking.length === 0)
    return "Talos host firewall **off** (cluster.firewall.enabled): every port a node listens on answers whoever reaches the node.";
  const talosApi = [...new Set(blocking.flatMap((docs) => ruleSources(docs, "apid-ingress")))].join(", ");
  const ingress = blocking.filter((docs) => ruleSources(docs, "traefik-ingress").length > 0);
  const sources = [...new Set(ingress.flatMap((docs) => ruleSources(docs, "traefik-ingress")))];
  return [
    `Talos host firewall **blocks** inbound connections on ${blocking.length} of ${talos.size} nodes, except the cluster's own ports between nodes; Talos API (50000) from ${talosApi || "nowhere"}`,
    ingress.length
      ? `; :80/:443 (host-network Traefik) on ${ingress.length} nodes from ${sources.length} sources (talos/<node>.yaml lists them).`
      : "; no node serves :80/:443 itself.",
  ].join("");
}

/** Whether the registered NetworkPolicies are enforced, and by what, and what the host firewall admits, as the resources show it. */
function isolationLines(resources: readonly RecordedResource[]): string[] {
  const talos = talosPatchDocuments(resources);
  return [...networkPolicyLines(resources, talos), ...(talos.size > 0 ? ["", hostFirewallLine(talos)] : [])];
}

function networkPolicyLines(resources: readonly RecordedResource[], talos: ReadonlyMap<string, Obj[]>): string[] {
  const policies = resources.filter((r) => r.type === TYPES.networkPolicy);
  if (policies.length === 0) return ["No NetworkPolicy is registered: pods accept connections from anywhere in the cluster."];
  const count = `${policies.length} NetworkPolic${policies.length === 1 ? "y" : "ies"}`;
  if (talos.size > 0) {
    const enabled = [...talos.values()].filter((docs) =>
      docs.some((d) => obj(obj(obj(obj(d.cluster).network).cni).flannel).kubeNetworkPoliciesEnabled === true),
    ).length;
    // Talos deploys kube-network-policies from its bootstrap manifests, which only bootstrap and
    // upgrade-k8s write: on a running cluster the enforcer runs once the rollout has synced them.
    const synced = resources.some(
      (r) => r.type === TYPES.command && str(r.inputs.update).startsWith("'node' 'scripts/talos-upgrade.ts' 'rollout'"),
    );
    if (enabled < talos.size)
      return [`${count}, **not enforced**: only ${enabled} of ${talos.size} Talos nodes enable kube-network-policies.`];
    return [
      synced
        ? `${count}, **enforced** by kube-network-policies beside Flannel (cluster.network.cni.flannel.kubeNetworkPoliciesEnabled on all ${talos.size} Talos nodes; on a running cluster the rollout's upgrade-k8s deploys it before any policy is created).`
        : `${count}, **not enforced on a running cluster**: every node enables kube-network-policies, but nothing syncs Talos' bootstrap manifests (upgrade-k8s), so only a new cluster runs it.`,
    ];
  }
  const enforcers = [...new Set(policies.map((p) => str(obj(obj(p.inputs.metadata).annotations)[ENFORCED_BY_ANNOTATION])))];
  return [
    enforcers.every(Boolean)
      ? `${count}, enforced as the config states (${enforcers.join(", ")}): the stack cannot check the cluster's CNI.`
      : `${count}, **not known to be enforced**: some state no enforcer.`,
  ];
}

/** The Nodes table: each node's role and address, and where a VM backs it, its Proxmox host and VM id (the VM's name is the node's). */
function nodesTable(outputs: Obj, resources: readonly RecordedResource[]): string {
  const vms = new Map(resources.filter((r) => r.type === TYPES.vm).map((r) => [str(r.inputs.name), r]));
  const nodes = arr(outputs.nodes).map(obj);
  if (vms.size === 0)
    return markdownTable(
      ["node", "role", "address"],
      nodes.map((n) => [str(n.name), str(n.role), str(n.ip)]),
    );
  return markdownTable(
    ["node", "role", "address", "Proxmox host", "VM id"],
    nodes.map((n) => {
      const vm = vms.get(str(n.name));
      return [str(n.name), str(n.role), str(n.ip), str(vm?.inputs.nodeName), str(vm?.inputs.vmId)];
    }),
  );
}

const ref = (r: RecordedResource) => `${r.type}::${r.name}`;

/** An argument of a rollout command line (`--to 'v1.13.10'`). */
function commandArg(line: string, flag: string): string {
  const at = line.indexOf(`'${flag}' `);
  return at < 0 ? "" : (/'([^']*)'/.exec(line.slice(at + flag.length + 3))?.[1] ?? "");
}

/** The staying nodes, in rollout order, from a command line's `--control-planes` and `--workers`. */
const rolloutNodes = (line: string): string[] =>
  [commandArg(line, "--control-planes"), commandArg(line, "--workers")].flatMap((v) => v.split(",")).filter(Boolean);

/**
 * Day 2 on Talos, from what is registered: the pinned contract and Kubernetes, the
 * rollout's order, and what a machine-config change can reboot. The nodes' installed
 * releases are not known offline: the rollout skips the nodes already at the release.
 */
function talosDay2(resources: readonly RecordedResource[]): string[] {
  const secrets = resources.find((r) => r.type === TYPES.talosSecrets);
  if (!secrets) return [];
  const pinned = (secrets.options.replaceOnChanges ?? []).includes("talosVersion");
  const day2 = (mode: string) =>
    resources.filter(
      (r) => r.type === TYPES.command && str(r.inputs.update ?? r.inputs.create).startsWith(`'node' 'scripts/talos-upgrade.ts' '${mode}'`),
    );
  const rollout = day2("rollout")[0];
  const kubernetes = day2("kubernetes")[0];
  const leaves = day2("leave");
  const applies = resources.filter((r) => r.type === TYPES.configurationApply);
  const applyRefs = new Set(applies.map(ref));
  const chained = applies.filter((a) => (a.options.dependsOn ?? []).some((d) => applyRefs.has(d)));
  const out = ["## Talos upgrades and config changes", ""];
  out.push(
    `Config contract \`${str(secrets.inputs.talosVersion)}\`: ${pinned ? "pinned (the protected machine secrets refuse a change at preview)" : "change allowed this run (cluster.talos.allowConfigContractChange)"}.`,
    "",
  );
  if (kubernetes) {
    out.push(
      `Kubernetes \`${commandArg(str(kubernetes.inputs.update), "--to")}\`, pinned: a change runs \`talosctl upgrade-k8s\` (${kubernetes.name}) before any config apply, so the applied configs never move Kubernetes themselves.`,
      "",
    );
  }
  for (const leave of leaves) {
    const line = str(leave.inputs.create);
    out.push(
      `Leaving: ${commandArg(line, "--hostname")} (${commandArg(line, "--node")}, ${commandArg(line, "--mode")}) before the health check (${leave.name}): ${commandArg(line, "--mode") === "reset" ? "drained, out of etcd, wiped" : "its etcd member removed by ID"}, its Kubernetes Node deleted.`,
      "",
    );
  }
  if (rollout) {
    const line = str(rollout.inputs.update);
    out.push(
      `Rollout (${rollout.name}, after the health check) to \`${commandArg(line, "--talos")}\` with the schematic's installer \`${commandArg(line, "--image")}\`: one node at a time, the cluster and every etcd member healthy before the first and after each; nodes already at the release are skipped, nodes with a staged config change are rebooted the same way, then \`upgrade-k8s --to ${commandArg(line, "--kubernetes")}\` syncs the bootstrap manifests:`,
      "",
    );
    out.push(
      markdownTable(
        ["step", "address"],
        rolloutNodes(line).map((ip, i) => [String(i + 1), ip]),
      ),
      "",
    );
  }
  const modes = [...new Set(applies.map((a) => str(a.inputs.applyMode) || "auto"))];
  out.push(
    `Machine-config applies: mode ${modes.map((m) => `\`${m}\``).join(", ")}; ${chained.length} control-plane appl${chained.length === 1 ? "y waits" : "ies wait"} for the one before. A change that needs a reboot is staged and reboots no node at apply time; the rollout then reboots each such node in turn. Where the provider's dry run cannot reach a node the preview shows its resolvedApplyMode as \`auto\`: only that node may reboot at apply time.`,
    "",
  );
  return out;
}

export function summaryMarkdown(input: SummaryInput): string {
  const rows = routeRows(input.resources);
  const lan = lanRows(input.resources);
  const tunnel = tunnelLine(input.resources);
  const ingress = obj(input.outputs.ingress);
  const releases = input.resources.filter((r) => r.type === TYPES.release);
  const counts = new Map<string, number>();
  for (const r of input.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  const out: string[] = [`# Stack \`${input.stack}\``, ""];
  out.push(`${input.resources.length} resources; Kubernetes API endpoint \`${str(input.outputs.apiEndpoint)}\`.`, "");
  out.push("## Nodes", "");
  if (input.footprint) out.push(`Creates ${footprintLine(input.footprint)}.`, "");
  out.push(nodesTable(input.outputs, input.resources), "");
  out.push(...talosDay2(input.resources));
  out.push("## Ingress entry", "");
  out.push(
    `Traefik placement **${str(ingress.placement)}**, IngressClass \`${str(ingress.className)}\`, entry address${arr(ingress.addresses).length === 1 ? "" : "es"} ${arr(
      ingress.addresses,
    )
      .map((a) => `\`${str(a)}\``)
      .join(", ")}.`,
    "",
  );
  const privateEntry = obj(ingress.private);
  if (ingress.private) {
    const own = str(privateEntry.entryPoint) !== "websecure";
    out.push(
      `Private entry (private apps, LAN only): ${arr(privateEntry.addresses)
        .map((a) => `\`${str(a)}\``)
        .join(
          ", ",
        )}, entry point \`${str(privateEntry.entryPoint)}\`${own ? " on a LoadBalancer Service of its own, which the router must not forward" : ", shared with public apps"}; every private route admits only ${arr(
        privateEntry.sources,
      )
        .map((s) => `\`${str(s)}\``)
        .join(", ")} (ipAllowList on the connection's address).`,
      "",
    );
  }
  out.push("## Isolation", "", ...isolationLines(input.resources), "");
  if (tunnel) out.push(tunnel, "");
  out.push(
    "## Routes",
    "",
    markdownTable(
      ["host", "path", "DNS target(s)", "proxied", "service", "route", "TLS issuer", "middlewares"],
      rows.map((r) => [
        r.host,
        r.path,
        r.targets.join(", "),
        r.proxied ? "yes" : "no",
        r.service,
        r.kind,
        r.issuer,
        r.middlewares.join(", "),
      ]),
    ),
    "",
  );
  if (lan.length > 0) {
    out.push(
      "## Private apps (LAN DNS)",
      "",
      "No public record unless the app sets publicRecord; closed to the internet at Traefik (the private entry, and a LAN-only allow-list on every private route). Give these to the LAN resolver (files in lan-dns/: hosts, dnsmasq.conf, pihole-custom.list, adguard-rewrites.yaml).",
      "",
    );
    out.push(
      markdownTable(
        ["host", "LAN address(es)"],
        lan.map((l) => [l.host, l.addresses.join(", ")]),
      ),
      "",
    );
  }
  out.push("## Request path", "", requestPathDiagram(rows, ingress, lan), "");
  out.push(
    "## Helm releases",
    "",
    markdownTable(
      ["release", "namespace", "chart", "version", "repository"],
      releases.map((r) => [
        str(r.inputs.name ?? r.name),
        str(r.inputs.namespace),
        str(r.inputs.chart),
        str(r.inputs.version),
        str(obj(r.inputs.repositoryOpts).repo),
      ]),
    ),
    "",
  );
  out.push("## Policy", "");
  if (input.policy.violations.length === 0) out.push(`All ${input.policy.rules} rules pass.`);
  else
    out.push(
      markdownTable(
        ["rule", "level", "resource", "message"],
        input.policy.violations.map((v) => [v.policy, v.level, v.resource, v.message]),
      ),
    );
  out.push("");
  if (input.warnings.length) out.push("## Config warnings", "", ...input.warnings.map((w) => `- ${w}`), "");
  out.push(
    "## Resources by type",
    "",
    markdownTable(
      ["type", "count"],
      [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([t, n]) => [t, String(n)]),
    ),
    "",
  );
  return out.join("\n");
}
