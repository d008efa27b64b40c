/**
 * Cross-field rules of private (LAN-only) and TLS passthrough apps: a private
 * app must be closed to the internet in the stack's placement and entry mode,
 * and a passthrough app must not ask for what needs its TLS decrypted. Same
 * contract as index.ts: report on the key to edit, say what to do.
 */
import type { ParsedConfig } from "../../model/schema.ts";
import type { Add, ConfigIssue, KeyPath } from "./issue.ts";
import type { ParsedApp } from "./parsed.ts";
import { own } from "../../model/own.ts";
import { tunnelTrustReason } from "../../builders/tunnel.ts";
import { addressRange, isPublicIpv4, prefixLength, rangeContains } from "../../contract/net.ts";
import { appWildcardZone, coveringWildcardZone, isGatewayHttpRoute, isPassthrough, isProxied } from "../../model/apps.ts";
import { narrowsTunnelTrust, privateEntryAddress, privateSources, traefikLoadBalancerIP, traefikPoolName } from "../../model/entry.ts";
import { PLACEMENT } from "../../model/placement.ts";
import { nodeGateway } from "../../model/nodes.ts";

const sortedApps = (c: ParsedConfig) => Object.entries(c.apps).sort(([a], [b]) => (a < b ? -1 : 1));

/** Where LAN clients reach private apps: the private MetalLB address, or the node addresses / VIP a host-network Traefik shares. */
function privateEntryAddresses(c: ParsedConfig): string[] {
  const placement = PLACEMENT[c.traefik.placement];
  if (placement.ownPrivateEntry) {
    const ip = privateEntryAddress(c, traefikLoadBalancerIP(c));
    return ip ? [ip] : [];
  }
  if (placement.entry === "vip") return c.cluster.network.vip ? [c.cluster.network.vip] : [];
  return Object.values(c.cluster.nodes).map((n) => n.ip);
}

export function checkPrivateAndPassthrough(c: ParsedConfig, add: Add): void {
  const privateApps = sortedApps(c).filter(([, a]) => a.private);
  if (privateApps.length > 0)
    checkPrivateEntry(
      c,
      privateApps.map(([name]) => name),
      add,
    );
  const owners = new Map<string, { name: string; app: ParsedApp }>();
  for (const [name, app] of sortedApps(c)) {
    const at = (...rest: (string | number)[]) => ["apps", name, ...rest];
    app.hosts.forEach((host, i) => {
      const owner = owners.get(host);
      if (!owner) {
        owners.set(host, { name, app });
        return;
      }
      if (owner.app.private !== app.private) {
        add(
          at("hosts", i),
          `${host} is also a host of apps.${owner.name}, which is ${owner.app.private ? "private" : "public"} while this app is ${app.private ? "private" : "public"}: one host name resolves to one entry, so the private app would be served wherever the public one is (its records, the tunnel) or the public one vanish from public DNS; give the private app a host of its own`,
        );
      } else if (isPassthrough(app) || isPassthrough(owner.app)) {
        add(
          at("hosts", i),
          `${host} is also a host of apps.${owner.name}: a passthrough router takes every TLS connection for its SNI before any HTTP route sees it, so a passthrough host belongs to one app; give one of them another host`,
        );
      }
    });
    if (app.private) checkPrivateApp(c, app, at, add);
    else if (app.publicCertificate)
      add(
        at("publicCertificate"),
        "only a private app can opt into a certificate of its own (every other app's host is public anyway); remove publicCertificate",
      );
    if (isPassthrough(app)) checkPassthrough(c, app, at, add);
  }
}

/** Whether the stack has somewhere LAN clients, and only they, reach private apps. */
function checkPrivateEntry(c: ParsedConfig, apps: readonly string[], add: Add): void {
  const which = `private apps (${apps.join(", ")})`;
  const at: KeyPath = ["traefik", "privateEntry"];
  const sources = privateSources(c);
  if (sources.length === 0) {
    add(
      [...at, "sources"],
      `the ${which} admit only the LAN, and the config names none (provider existing without cluster.network.subnet): list the LAN and admin subnets, e.g. [192.168.1.0/24]`,
    );
  }
  c.traefik.privateEntry.sources?.forEach((cidr, i) => {
    if (prefixLength(cidr) === 0)
      add(
        [...at, "sources", i],
        `${cidr} admits the whole internet to the ${which}, which private: true exists to prevent; list the LAN and admin subnets`,
      );
  });
  if (!PLACEMENT[c.traefik.placement].ownPrivateEntry) {
    if (c.traefik.privateEntry.loadBalancerIP)
      add(
        [...at, "loadBalancerIP"],
        `placement ${c.traefik.placement} serves private apps on the node addresses it shares with public apps, behind their LAN-only allow-list; remove loadBalancerIP or use placement deployment`,
      );
    const addresses = privateEntryAddresses(c);
    if (addresses.length > 0 && addresses.every(isPublicIpv4)) {
      add(
        ["apps", apps[0]!, "private"],
        `placement ${c.traefik.placement} has no LAN-reachable entry: every entry address (${addresses.join(", ")}) is public, so LAN clients would reach the ${which} only across the internet, where the LAN-only allow-list refuses them; use placement deployment with a LAN MetalLB address for the private entry, or remove private: true`,
      );
    }
    return;
  }
  const publicIp = traefikLoadBalancerIP(c);
  const ip = privateEntryAddress(c, publicIp);
  const explicit = c.traefik.privateEntry.loadBalancerIP;
  const poolName = traefikPoolName(c);
  const pool = poolName ? own(c.metallb.pools, poolName) : undefined;
  if (!ip) {
    add(
      [...at, "loadBalancerIP"],
      `placement deployment serves the ${which} on a MetalLB address of their own, and metallb.pools.${poolName ?? "<pool>"} has none besides the public entry's ${publicIp ?? ""}; add an address to the pool or set traefik.privateEntry.loadBalancerIP to a free pool address`,
    );
    return;
  }
  if (explicit && explicit === publicIp) {
    add(
      [...at, "loadBalancerIP"],
      `${explicit} is also the public entry's address (traefik.loadBalancerIP), which the router forwards from the internet; give the private entry another address of the pool and never forward it`,
    );
  } else if (explicit && pool && !pool.addresses.some((e) => rangeContains(addressRange(e), explicit))) {
    add(
      [...at, "loadBalancerIP"],
      `${explicit} is not in metallb.pools.${poolName} (${pool.addresses.join(", ")}); MetalLB would never assign it; pick an address from the pool`,
    );
  }
  if (isPublicIpv4(ip)) {
    add(
      [...at, "loadBalancerIP"],
      `the private entry's address ${ip} is public, so it is no LAN-reachable entry: the internet could reach the ${which} there; use a LAN (RFC 1918) address of a MetalLB pool`,
    );
  }
}

function checkPrivateApp(c: ParsedConfig, app: ParsedApp, at: (...rest: (string | number)[]) => KeyPath, add: Add): void {
  if (app.publicRecord) {
    const addresses = privateEntryAddresses(c);
    const exposed = addresses.filter(isPublicIpv4);
    if (exposed.length > 0) {
      add(
        at("publicRecord"),
        `the public record would carry the private entry's address ${exposed.join(", ")}, which is public: the app would be published to the internet with no LAN entry behind it; remove publicRecord (LAN clients use lanDns) or give the stack a LAN private entry (placement deployment with a LAN MetalLB address)`,
      );
    }
  }
  if (app.kind === "tlsRoute" && !PLACEMENT[c.traefik.placement].ownPrivateEntry) {
    add(
      at("kind"),
      `placement ${c.traefik.placement} serves private apps on the entry public apps share, closed by an allow-list, and a TLSRoute has no filter to carry one; use kind tlsPassthrough (its IngressRouteTCP takes the allow-list as a MiddlewareTCP) or placement deployment (a private entry of its own)`,
    );
  }
  if (!app.publicCertificate && !certificateStaysPrivate(c, app)) {
    add(
      at("publicCertificate"),
      `a certificate of the app's own publishes ${app.hosts.join(", ")} in Certificate Transparency logs, where anyone finds private hosts; cover the hosts with a wildcard certificate (certManager.wildcardZones: [${c.dns.zone}]${app.kind === "httpRoute" || app.kind === "grpcRoute" ? ", and traefik.gatewayApi.listeners: wildcard" : ""}), or set publicCertificate: true to accept that the names are published`,
    );
  }
}

/** Whether no certificate names the app's hosts: passthrough (none issued) or a wildcard covering every host. */
function certificateStaysPrivate(c: ParsedConfig, app: ParsedApp): boolean {
  if (isPassthrough(app)) return true;
  if (isGatewayHttpRoute(app)) {
    return c.traefik.gatewayApi.listeners === "wildcard" && coveringWildcardZone([c.dns.zone], app.hosts) !== undefined;
  }
  return appWildcardZone(app, c.certManager) !== undefined;
}

/** Middlewares that rewrite or answer HTTP, which a connection Traefik never decrypts cannot carry. */
const DECRYPTING_MIDDLEWARES = ["stripPrefix", "cors", "rateLimit", "securityHeaders", "basicAuth", "redirect"] as const;

function checkPassthrough(c: ParsedConfig, app: ParsedApp, at: (...rest: (string | number)[]) => KeyPath, add: Add): void {
  const kind = app.kind;
  if (app.proxied === true || (isProxied(app, c.dns) && c.tunnel.enabled)) {
    add(
      at("proxied"),
      `Cloudflare's proxy${c.tunnel.enabled ? " and the tunnel end" : " ends"} TLS at Cloudflare's edge, so the visitor never reaches the backend's own TLS end to end (its certificate, client certificates, non-HTTP protocols), which is what kind ${kind} is for; remove proxied: true (passthrough hosts are DNS-only)`,
    );
  }
  for (const key of DECRYPTING_MIDDLEWARES) {
    if (app.middlewares?.[key] !== undefined) {
      add(
        at("middlewares", key),
        `kind ${kind} hands the connection to the backend still encrypted, so Traefik cannot ${key === "rateLimit" ? "count requests in it" : "read or change the HTTP inside it"}; remove ${key} (only ipAllowList, on the connection's address, applies) or use an HTTP kind (ingress, ingressRoute, httpRoute) that terminates TLS`,
      );
    }
  }
  if (kind === "tlsRoute" && app.middlewares?.ipAllowList) {
    add(
      at("middlewares", "ipAllowList"),
      "a TLSRoute has no filters, so the allow-list would not apply; use kind tlsPassthrough (its IngressRouteTCP takes the allow-list as a MiddlewareTCP) or remove ipAllowList",
    );
  }
  if (app.middlewares?.ipAllowList?.cloudflare) {
    add(
      at("middlewares", "ipAllowList", "cloudflare"),
      "a passthrough host is never proxied, so no connection comes from Cloudflare's ranges; remove cloudflare from the allow-list",
    );
  }
  if (app.backends.length !== 1)
    add(
      at("backends"),
      `an SNI router sends the whole connection to one Service (it sees no paths); keep exactly one backend (got ${app.backends.length})`,
    );
  const backend = app.backends[0];
  if (backend && (backend.path !== "/" || backend.pathType !== "Prefix"))
    add(at("backends", 0, "path"), "a passthrough route matches the TLS server name only and never sees a path; remove path and pathType");
  if (kind === "tlsRoute" && backend && typeof backend.port !== "number")
    add(
      at("backends", 0, "port"),
      `Gateway API backendRefs name a Service port by number, not by name (${backend.port}); use the port number`,
    );
  if (kind === "tlsRoute" && c.traefik.gatewayApi.enabled === false)
    add(
      at("kind"),
      "kind tlsRoute attaches to the Gateway, which traefik.gatewayApi.enabled: false turns off; remove that setting or use kind tlsPassthrough",
    );
  if (app.external)
    add(at("external"), `kind ${kind} routes to an in-cluster Service; remove external (a service outside the cluster: kind external)`);
  if (app.sticky) add(at("sticky"), "a passthrough route cannot set a cookie in a connection it never decrypts; remove sticky");
  if (app.issuer) add(at("issuer"), "a passthrough app gets no certificate (the backend serves its own); remove issuer");
}

/** Reviewer warnings about who can reach private apps and whom the tunnel's entry trusts. */
export function privateWarnings(c: ParsedConfig): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  // Parity with the host-network NetworkPolicy warning: a trust that cannot be narrowed to cloudflared is said out loud.
  if (c.tunnel.enabled && !narrowsTunnelTrust(c)) {
    warnings.push({
      path: ["tunnel", "enabled"],
      message: `Traefik cannot tell cloudflared's connections from other pods': ${tunnelTrustReason({ tunnelEntryPoint: false, placement: c.traefik.placement })}`,
    });
  }
  const gateway = c.cluster.provider === "talos" ? nodeGateway(c.cluster.network) : undefined;
  const shared = !PLACEMENT[c.traefik.placement].ownPrivateEntry && Object.values(c.apps).some((a) => a.private);
  if (shared && gateway && privateSources(c).some((cidr) => rangeContains(addressRange(cidr), gateway))) {
    warnings.push({
      path: ["traefik", "privateEntry", "sources"],
      message: `placement ${c.traefik.placement} serves private apps on the node addresses the router forwards to, and the LAN-only allow-list admits the router itself (${gateway}): a router that source-NATs forwarded connections hands internet clients that address; check that port-forwards keep the client's address, or list sources without the router's`,
    });
  }
  return warnings;
}
