/**
 * summary.md: what a reviewer reads first. Every row is drawn from the
 * recorded resources (what the stack would actually register), not from the
 * config's intent, so the summary cannot disagree with resources.json.
 */
import type { RecordedResource } from "./recorder.ts";
import { arr, obj, str } from "../contract/props.ts";
import { TYPES } from "../contract/tokens.ts";
import type { Violation } from "../policies/offline.ts";
import { footprintLine, type Footprint } from "../builders/footprint.ts";
import { markdownTable } from "./markdown.ts";
import { routeRows } from "./summary-routes.ts";
import { lanRows, tunnelLine } from "./summary-entry.ts";
import { requestPathDiagram } from "./summary-diagram.ts";
import { isolationLines } from "./summary-isolation.ts";
import { nodesTable, talosDay2 } from "./summary-nodes.ts";

interface SummaryInput {
  readonly stack: string;
  readonly resources: readonly RecordedResource[];
  readonly outputs: Record<string, unknown>;
  readonly policy: { readonly violations: readonly Violation[]; readonly rules: number };
  readonly warnings: readonly string[];
  /** What the stack asks of Proxmox, from the resolved config; absent where there is no config (unit tests of other sections). */
  readonly footprint?: Footprint;
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
