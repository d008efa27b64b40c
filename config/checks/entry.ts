/**
 * Cross-field rules of the ways in: the Cloudflare Tunnel entry, private
 * (LAN-only) apps, wildcard certificates and what Cloudflare's edge accepts.
 * Same contract as index.ts: report on the key to edit, say what to do.
 */
import type { ParsedConfig } from "../../model/schema.ts";
import type { HomelabConfig } from "../../model/resolve.ts";
import { appDnsRecords, originAddresses } from "../../builders/dns.ts";
import { isPublicIpv4 } from "../../contract/net.ts";
import { entryAddresses } from "../../builders/traefik-entry.ts";
import { solverZones } from "../../builders/cert-manager.ts";
import type { Add, ConfigIssue } from "./issue.ts";
import { inZone } from "./dns-zone.ts";
import { own } from "../../model/own.ts";
import { isProxied, wildcardCovers } from "../../model/apps.ts";
import { narrowsTunnelTrust } from "../../model/entry.ts";
import { podNetworkOf } from "../../model/network-policies.ts";

/** How many labels `host` lies below `zone`: 0 for the apex, 1 for `www.<zone>`. */
const depthBelow = (host: string, zone: string) => (host === zone ? 0 : host.slice(0, -zone.length - 1).split(".").length);

export function checkEntry(c: ParsedConfig, add: Add): void {
  if (c.tunnel.enabled) checkTunnel(c, add);
  for (const [name, app] of Object.entries(c.apps).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const at = (...rest: (string | number)[]) => ["apps", name, ...rest];
    if (app.private && app.proxied === true) {
      add(
        at("proxied"),
        "a private app is LAN only, and Cloudflare's proxy (or the tunnel) would publish it; remove proxied: true, or private: true to publish the app",
      );
    }
    if (app.publicRecord && !app.private) {
      add(
        at("publicRecord"),
        "only a private app can opt into a public record with its private address (every other app has a public record already); set private: true or remove publicRecord",
      );
    }
    if (!isProxied(app, c.dns) || c.dns.advancedCertificate) continue;
    app.hosts.forEach((host, i) => {
      if (inZone(host, c.dns.zone) && depthBelow(host, c.dns.zone) > 1) {
        add(
          at("hosts", i),
          `${host} is proxied and more than one label below ${c.dns.zone}: Cloudflare's Universal SSL covers ${c.dns.zone} and *.${c.dns.zone} only, so visitors get a TLS error at the edge; use a first-level name (e.g. ${host.split(".")[0]}.${c.dns.zone}), set proxied: false, or order an Advanced Certificate for the zone and set dns.advancedCertificate: true`,
        );
      }
    });
  }
  checkWildcards(c, add);
}

function checkTunnel(c: ParsedConfig, add: Add): void {
  if (c.dns.publicAddress) {
    add(
      ["dns", "publicAddress"],
      "tunnel.enabled: the tunnel reaches Traefik from inside the cluster, so no public address or port-forward is used, and a set address suggests a forwarded :443 that should be closed; remove dns.publicAddress (and the router's port-forward), or turn tunnel.enabled off",
    );
  }
  if (c.traefik.trustCloudflare === true) {
    add(
      ["traefik", "trustCloudflare"],
      "tunnel.enabled: every request reaches Traefik from cloudflared inside the cluster, never from Cloudflare's ranges, and Traefik trusts forwarded headers from cloudflared only; remove traefik.trustCloudflare",
    );
  }
  for (const [name, app] of Object.entries(c.apps)) {
    if (app.middlewares?.ipAllowList?.cloudflare && isProxied(app, c.dns)) {
      add(
        ["apps", name, "middlewares", "ipAllowList", "cloudflare"],
        "tunnel.enabled: tunnelled requests arrive from cloudflared in the cluster, not from Cloudflare's ranges, so this allow-list would block every visitor; drop cloudflare from the allow-list (the tunnel is the only public way in)",
      );
    }
  }
  if (!podNetworkOf(c.cluster) && narrowsTunnelTrust(c)) {
    add(
      ["cluster", "network", "podSubnet"],
      "tunnel.enabled: Traefik's tunnel entry point trusts X-Forwarded-* from cloudflared, whose connections come from the pod network; set cluster.network.podSubnet to your CNI's pod CIDR, e.g. 10.42.0.0/16 on k3s",
    );
  }
}

function checkWildcards(c: ParsedConfig, add: Add): void {
  const issuerName = c.certManager.defaultIssuer;
  const issuer = own(c.certManager.issuers, issuerName);
  c.certManager.wildcardZones.forEach((zone, i) => {
    const at = ["certManager", "wildcardZones", i];
    if (c.certManager.wildcardZones.indexOf(zone) !== i) add(at, `${zone} is listed twice; remove one`);
    else if (!inZone(zone, c.dns.zone))
      add(
        at,
        `${zone} is not dns.zone ${c.dns.zone} or a subdomain of it; the Cloudflare token answers DNS-01 for the configured zone only`,
      );
    else if (issuer && !solverZones(issuer, c.dns.zone).some((z) => inZone(zone, z))) {
      add(
        at,
        `*.${zone} comes from certManager.defaultIssuer ${issuerName}, whose DNS-01 solver answers for ${solverZones(issuer, c.dns.zone).join(", ")} only; add ${zone} to certManager.issuers.${issuerName}.dnsZones`,
      );
    }
  });
}

/** Warnings: a wildcard certificate that serves no app is harmless, but probably a typo. */
export function entryWarnings(c: ParsedConfig): ConfigIssue[] {
  const hosts = Object.values(c.apps).flatMap((a) => a.hosts);
  return c.certManager.wildcardZones.flatMap((zone, i) =>
    hosts.some((h) => wildcardCovers(zone, h))
      ? []
      : [
          {
            path: ["certManager", "wildcardZones", i],
            message: `no app host is directly below ${zone}, so the *.${zone} certificate serves nothing (a wildcard covers one label only); remove it or fix the zone`,
          },
        ],
  );
}

/**
 * Public A records that would name a private address: an app that is neither
 * proxied nor private gets A records to the entry, and an entry on the LAN
 * (a MetalLB address, the nodes, the VIP) puts that LAN address in the public
 * zone, for anyone to read and for rebinding-protected resolvers to drop. Only
 * publicRecord on a private app asks for that. In a tunnel stack no public
 * address forwards to the entry, so such a record serves nobody: refused. Other
 * stacks: a warning, since a DNS-only record to a LAN address is a choice some
 * make for their LAN clients. The records are computed by the same function
 * the routes register them with.
 */
export function privateAddressRecords(c: HomelabConfig): { readonly errors: ConfigIssue[]; readonly warnings: ConfigIssue[] } {
  const errors: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const entry = entryAddresses(c.traefik, c.cluster);
  for (const app of c.apps) {
    if (app.private) continue;
    const exposed = appDnsRecords(app, entry, c.dns, "", c.tunnel ? "tunnel" : undefined).filter(
      (r) => r.type === "A" && !isPublicIpv4(r.content),
    );
    if (exposed.length === 0) continue;
    const records = exposed.map((r) => `${r.name} A ${r.content}`).join(", ");
    if (c.tunnel) {
      errors.push({
        path: ["apps", app.name, "proxied"],
        message: `not proxied in a tunnel stack, so its public DNS would be ${records}, a private address no visitor can reach (no port-forward serves a tunnel stack); set proxied: true to serve it through the tunnel, or private: true to keep it on the LAN (with publicRecord: true to publish that record on purpose)`,
      });
    } else {
      warnings.push({
        path: ["apps", app.name, "private"],
        message: `its public DNS ${exposed.length === 1 ? "record" : "records"} ${records} ${exposed.length === 1 ? "names" : "name"} a private address: only your LAN can use it, resolvers with DNS-rebinding protection drop it, and it shows your LAN's layout to anyone; set private: true to keep it off public DNS (lan-dns/ has the LAN resolver's lines; publicRecord: true publishes the record on purpose), or proxied: true with dns.publicAddress to publish the app`,
      });
    }
  }
  return { errors, warnings };
}

/**
 * Rules that need derived values (Traefik's entry addresses), checked on the
 * resolved config: a proxied host whose origin is private is unreachable for
 * Cloudflare's edge, which only shows up as error 1002/522 after deploy.
 */
export function checkResolved(c: HomelabConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const proxied = c.apps.filter((a) => a.proxied).map((a) => a.name);
  // Through a tunnel Cloudflare reaches Traefik from inside the cluster: no origin address is published.
  if (proxied.length === 0 || c.tunnel) return issues;
  // A set public address is public: the schema refuses private ones.
  if (c.dns.publicAddress) return issues;
  const origins = originAddresses(true, entryAddresses(c.traefik, c.cluster), c.dns);
  const privateOrigins = origins.filter((ip) => !isPublicIpv4(ip));
  if (privateOrigins.length > 0) {
    issues.push({
      path: ["dns", "publicAddress"],
      message: `proxied apps (${proxied.join(", ")}) would point Cloudflare at the private entry address ${privateOrigins.join(", ")}, which its edge cannot reach; set dns.publicAddress to the public IPv4 that forwards :80/:443 to ${privateOrigins.join(", ")}, or set proxied: false (dns.proxied for all apps)`,
    });
  }
  return issues;
}
