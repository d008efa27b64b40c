/**
 * The Cloudflare Tunnel entry and Cloudflare's edge: the tunnel's ingress
 * rules reach Traefik and nothing else, tunnelled hosts resolve to the tunnel
 * only, and the zone's SSL/TLS mode lets proxied hosts work.
 */
import type { PolicyResource } from "@pulumi/policy";
import { eachKnown, metaOf, ofType, releasesOf, stackPolicy, type HomelabPolicy, type Level } from "./common.ts";
import { TUNNEL_TYPES } from "./helpers/tunnel.ts";
import { TYPES } from "@homelab/contract/tokens";
import { arr, obj, str, strings } from "@homelab/contract/props";

const CATCH_ALL = "http_status:404";
const TUNNEL_CNAME = /^[0-9a-f-]{36}\.cfargotunnel\.com$/;
/** `http(s)://<service>.<namespace>.svc[.cluster.local][:port]` */
const SERVICE_URL = /^https?:\/\/([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?(?::\d+)?\/?$/;

const ingressesOf = (config: PolicyResource) => arr(obj(config.props.config).ingresses).map(obj);

export function tunnelIngressTargetsTraefik(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "tunnel-ingress-targets-traefik",
    description:
      "Checks that every hostname rule of a Cloudflare Tunnel's configuration sends traffic to a Service in front of the stack's Traefik (so routes, TLS and middlewares apply) and that the last rule is the catch-all http_status:404, because a tunnel rule to any other Service bypasses Traefik and publishes that Service to the internet; point each rule at the tunnel origin Service in Traefik's namespace.",
    level,
    check: (resources, report) => {
      const [traefik] = releasesOf(resources, "traefik");
      const traefikNamespace = traefik ? str(traefik.props.namespace) : "";
      const services = new Map(ofType(resources, TYPES.service).map((s) => [`${metaOf(s.props).namespace}/${metaOf(s.props).name}`, s]));
      eachKnown(ofType(resources, TUNNEL_TYPES.tunnelConfig), (config) => {
        const rules = ingressesOf(config);
        const last = rules[rules.length - 1];
        if (!last || str(last.hostname) || str(last.service) !== CATCH_ALL) {
          report(
            config,
            `the tunnel configuration's last ingress rule is not the catch-all ${CATCH_ALL} without a hostname: Cloudflare refuses a configuration without a final catch-all, and any other catch-all answers requests for every name pointed at the tunnel; end the rules with { service: "${CATCH_ALL}" }.`,
          );
        }
        rules.slice(0, -1).forEach((rule, i) => {
          const host = str(rule.hostname);
          if (!host) {
            report(
              config,
              `tunnel ingress rule ${i} has no hostname, so it matches every request and the rules after it never apply; give it the host it serves.`,
            );
            return;
          }
          const service = str(rule.service);
          const [, name, namespace] = SERVICE_URL.exec(service) ?? [];
          const target = services.get(`${namespace}/${name}`);
          const selectsTraefik =
            target && namespace === traefikNamespace && str(obj(obj(target.props.spec).selector)["app.kubernetes.io/name"]) === "traefik";
          if (!selectsTraefik) {
            report(
              config,
              `tunnel ingress rule for ${host} sends traffic to ${service || "(no service)"}, which is not a Service of the stack selecting Traefik's pods in namespace ${traefikNamespace || "(no Traefik release)"}: requests would bypass Traefik's routes, TLS and middlewares and publish that service directly; point the rule at the tunnel origin Service (https://<service>.${traefikNamespace || "traefik"}.svc.cluster.local:443).`,
            );
          }
        });
      });
    },
  });
}

export function tunnelHostNoARecord(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "tunnel-host-no-a-record",
    description:
      "Checks that every host a Cloudflare Tunnel serves resolves to the tunnel only: a proxied CNAME to <tunnel id>.cfargotunnel.com and no A/AAAA record, because an A record beside the tunnel sends visitors to an address instead (a port-forward the tunnel should have replaced), or Cloudflare refuses the conflicting records; let the stack manage the host's record.",
    level,
    check: (resources, report) => {
      const hosts = new Set(
        ofType(resources, TUNNEL_TYPES.tunnelConfig).flatMap((c) =>
          ingressesOf(c)
            .map((r) => str(r.hostname))
            .filter(Boolean),
        ),
      );
      const records = ofType(resources, TYPES.dnsRecord);
      eachKnown(records, (r) => {
        const name = str(r.props.name);
        if (hosts.has(name) && ["A", "AAAA"].includes(str(r.props.type))) {
          report(
            r,
            `${name} is served by the Cloudflare Tunnel, but this ${str(r.props.type)} record points it at ${str(r.props.content)}: resolvers would send visitors there instead of through the tunnel; remove the record (the stack's proxied CNAME to the tunnel is the host's only record).`,
          );
        }
        if (hosts.has(name) && str(r.props.type) === "CNAME" && (r.props.proxied !== true || !TUNNEL_CNAME.test(str(r.props.content)))) {
          report(
            r,
            `${name} is served by the Cloudflare Tunnel, but its CNAME is ${r.props.proxied === true ? "" : "not proxied and "}points at ${str(r.props.content)}: only a proxied CNAME to <tunnel id>.cfargotunnel.com reaches the tunnel; set proxied: true and the tunnel's target.`,
          );
        }
      });
      for (const host of hosts) {
        if (!records.some((r) => str(r.props.name) === host))
          report(
            undefined,
            `${host} is in the tunnel's ingress rules but the stack manages no record for it: visitors cannot resolve it; add the host to a proxied app.`,
          );
      }
    },
  });
}

export function cloudflareZoneSslMode(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "cloudflare-zone-ssl-mode",
    description:
      "Checks that the zone's SSL/TLS encryption mode (read at deploy time) suits the stack's proxied hosts: `off` serves them without HTTPS at the edge, and `flexible` makes Cloudflare ask the origin over plain HTTP, which Traefik's HTTP→HTTPS redirect answers with a redirect forever (ERR_TOO_MANY_REDIRECTS); set the zone's SSL/TLS mode to Full (strict) in the Cloudflare dashboard (SSL/TLS → Overview).",
    level,
    check: (resources, report) => {
      eachKnown(ofType(resources, TUNNEL_TYPES.zoneEdge), (r) => {
        const mode = str(r.props.sslMode);
        const zone = str(r.props.zone);
        const hosts = strings(r.props.proxiedHosts).join(", ");
        if (mode === "off") {
          report(
            r,
            `zone ${zone} has SSL/TLS mode off: Cloudflare serves the proxied hosts (${hosts}) over plain HTTP only and HTTPS visitors get an error; set the zone's SSL/TLS mode to Full (strict).`,
          );
        } else if (mode === "flexible" && str(r.props.entry) === "portForward") {
          const effect =
            r.props.redirectToHttps === true
              ? "Traefik redirects that to HTTPS and Cloudflare asks over HTTP again: the proxied hosts loop (ERR_TOO_MANY_REDIRECTS)"
              : "the leg from Cloudflare to your public address is unencrypted";
          report(
            r,
            `zone ${zone} has SSL/TLS mode flexible, so Cloudflare asks the origin for the proxied hosts (${hosts}) over plain HTTP: ${effect}; set the zone's SSL/TLS mode to Full (strict) (Traefik serves cert-manager's certificates).`,
          );
        }
      });
    },
  });
}
