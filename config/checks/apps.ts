/**
 * Rules of each app: hosts in the zone and its issuer's zones, one backend per
 * path and one app per route, an external block that makes sense, middlewares
 * that let visitors in.
 */
import type { ParsedConfig } from "../../model/schema.ts";
import { own } from "../../model/own.ts";
import { solverZones } from "../../builders/cert-manager.ts";
import type { Add, ConfigIssue } from "./issue.ts";
import { inZone } from "./dns-zone.ts";
import { checkAppRoute, checkIngressNames } from "./app-routes.ts";
import { checkGatewayHosts } from "./gateway.ts";
import { isProxied } from "../../model/apps.ts";
import { trustsCloudflare } from "../../model/entry.ts";
import { appIssuer } from "../../model/apps.ts";

export function checkApps(c: ParsedConfig, secretKeys: ReadonlySet<string>, add: Add): void {
  const routes = new Map<string, string>();
  const topLevelKeys = new Set(Object.keys(c));
  // Sorted, so which of two conflicting apps gets the error never depends on file order.
  for (const [name, app] of Object.entries(c.apps).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const at = (...rest: (string | number)[]) => ["apps", name, ...rest];
    const issuerName = appIssuer(app, c.certManager);
    const issuer = own(c.certManager.issuers, issuerName);
    app.hosts.forEach((host, i) => {
      if (!inZone(host, c.dns.zone)) add(at("hosts", i), `${host} is outside dns.zone ${c.dns.zone}; use a host ending in .${c.dns.zone}`);
      else if (issuer && !solverZones(issuer, c.dns.zone).some((z) => inZone(host, z))) {
        add(
          at("hosts", i),
          `${host} is outside the zones issuer ${issuerName} solves DNS-01 for (${solverZones(issuer, c.dns.zone).join(", ")}), so its certificate is never issued; add the zone to certManager.issuers.${issuerName}.dnsZones or use another issuer`,
        );
      }
      const hostIndex = app.hosts.indexOf(host);
      if (hostIndex !== i) add(at("hosts", i), `${host} is listed twice (also apps.${name}.hosts[${hostIndex}]); remove one`);
    });
    const seenPaths = new Map<string, number>();
    app.backends.forEach((b, i) => {
      const earlier = seenPaths.get(b.path);
      if (earlier !== undefined)
        add(
          at("backends", i, "path"),
          `path ${b.path} is also apps.${name}.backends[${earlier}].path; each path of an app goes to one backend`,
        );
      else seenPaths.set(b.path, i);
      // Keyed like the policy pack's route-host-path-unique: an Exact and a Prefix route on one path coexist (builders/route-naming.ts routePriority).
      for (const host of new Set(app.hosts)) {
        const key = `${host}${b.path} (${b.pathType})`;
        const owner = routes.get(key);
        if (owner && owner !== name)
          add(at("backends", i, "path"), `route ${key} is also claimed by apps.${owner}; give one of them another host or path`);
        else routes.set(key, name);
      }
    });
    if (app.issuer && !own(c.certManager.issuers, app.issuer)) {
      add(
        at("issuer"),
        `issuer ${app.issuer} is not defined; use one of: ${Object.keys(c.certManager.issuers).join(", ")} or add certManager.issuers.${app.issuer}`,
      );
    }
    if (app.kind === "external" && !app.external) {
      add(at("external"), "kind external needs external.addresses or external.externalName and external.port");
    }
    if (app.external) {
      if (app.kind === "ingress" || app.kind === "ingressRoute")
        add(
          at("external"),
          `only kinds external, httpRoute and grpcRoute take an external block (kind is ${app.kind}); set kind: external or remove it`,
        );
      const hasAddresses = (app.external.addresses?.length ?? 0) > 0;
      if (hasAddresses === Boolean(app.external.externalName))
        add(at("external"), "set exactly one of external.addresses (IPs) or external.externalName (a DNS name)");
    }
    const proxied = isProxied(app, c.dns);
    const allow = app.middlewares?.ipAllowList;
    if (allow?.cloudflare && !proxied) {
      add(
        at("middlewares", "ipAllowList", "cloudflare"),
        "allowing only Cloudflare's ranges on an unproxied host blocks every visitor; set proxied: true or drop cloudflare from the allow-list",
      );
    }
    if (allow && !allow.cloudflare && allow.ranges.length === 0) {
      add(at("middlewares", "ipAllowList"), "an empty allow-list blocks everyone; add ranges or cloudflare: true");
    }
    const usersSecret = app.middlewares?.basicAuth?.usersSecret;
    if (usersSecret) {
      if (topLevelKeys.has(usersSecret) || !secretKeys.has(usersSecret)) {
        add(
          at("middlewares", "basicAuth", "usersSecret"),
          `homelab:${usersSecret} is not a secret config value; set it with: pulumi config set --secret homelab:${usersSecret} 'user:$apr1$…' (htpasswd lines)`,
        );
      }
    }
    if (app.sticky && app.sticky.sameSite === "none" && !app.sticky.secure) {
      add(at("sticky", "secure"), "browsers drop SameSite=None cookies that are not Secure; set secure: true or another sameSite");
    }
    checkAppRoute(c, name, app, add);
  }
  checkIngressNames(c, add);
  checkGatewayHosts(c, add);
}

export function appWarnings(c: ParsedConfig): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  const trust = trustsCloudflare(c);
  for (const [name, app] of Object.entries(c.apps)) {
    if (isProxied(app, c.dns) && !trust && !c.tunnel.enabled) {
      warnings.push({
        path: ["apps", name, "proxied"],
        message: "proxied through Cloudflare while traefik.trustCloudflare is false: the app sees Cloudflare's address as the client IP",
      });
    }
    const allow = app.middlewares?.ipAllowList;
    if (allow && !allow.cloudflare && isProxied(app, c.dns)) {
      warnings.push({
        path: ["apps", name, "middlewares", "ipAllowList", "ranges"],
        message:
          "the allow-list matches the connecting address, which for a proxied host is Cloudflare's edge: only clients reaching Traefik directly (split-horizon DNS) get in; add cloudflare: true or set proxied: false",
      });
    }
  }
  return warnings;
}
