/** The Request path section of summary.md: a Mermaid flowchart from the client to each Service. */
import { byAddress } from "../contract/net.ts";
import { PLACEMENT, isPlacement, type PlacementMeaning } from "../model/placement.ts";
import { arr, str, type Obj } from "../contract/props.ts";
import { isPassthroughRow, type RouteRow } from "./summary-routes.ts";
import type { LanRow } from "./summary-entry.ts";

/** How the diagram names an entry address, by what the placement's entry is (PLACEMENT). */
const ENTRY_LABEL: Readonly<Record<PlacementMeaning["entry"], string>> = {
  loadBalancerIP: "MetalLB LoadBalancer IP",
  nodeAddresses: "node, hostNetwork :443",
  vip: "Talos VIP, hostNetwork :443",
};

const mermaidId = (s: string) => s.replace(/[^A-Za-z0-9]/g, "_");

/**
 * Cloudflare → (public address →) entry address → Traefik → Service, for this
 * stack's placement; unproxied hosts reach the entry directly.
 */
export function requestPathDiagram(rows: readonly RouteRow[], ingress: Obj, lan: readonly LanRow[]): string {
  // The Traefik component registers its placement and entry addresses together (components/traefik.ts).
  const placement = str(ingress.placement);
  const entries = arr(ingress.addresses).map(str);
  const via = isPlacement(placement) ? ENTRY_LABEL[PLACEMENT[placement].entry] : "";
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
