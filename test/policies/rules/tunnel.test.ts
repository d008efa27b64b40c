/**
 * Cloudflare Tunnel and edge: every rule of policies/tunnel.ts on the program's own synth output.
 */
import * as rules from "../../../policies/tunnel.ts";
import { TUNNEL_TYPES } from "../../../policies/helpers/tunnel.ts";
import { T, describeRuleCases, type RuleCase } from "../rule-cases.ts";
import { add, change, cloneAs } from "../synth-output.ts";

const TUNNEL_CONFIG = TUNNEL_TYPES.tunnelConfig;
const ZONE_EDGE = TUNNEL_TYPES.zoneEdge;

const CASES: readonly RuleCase[] = [
  {
    rule: "tunnel-ingress-targets-traefik",
    stack: "tunnel",
    fails: [
      {
        when: "a tunnel rule sends a host straight to an app's Service, bypassing Traefik",
        edit: (d) =>
          change(
            d,
            TUNNEL_CONFIG,
            "tunnel-config",
            (r) => (r.inputs.config.ingresses[0].service = "http://ghost.apps.svc.cluster.local:2368"),
          ),
        resource: `${TUNNEL_CONFIG}::tunnel-config`,
        message:
          /blog\.example\.org sends traffic to http:\/\/ghost\.apps\.svc\.cluster\.local:2368, which is not a Service of the stack selecting Traefik's pods/,
      },
      {
        when: "the final catch-all 404 is missing",
        edit: (d) => change(d, TUNNEL_CONFIG, "tunnel-config", (r) => r.inputs.config.ingresses.pop()),
        resource: `${TUNNEL_CONFIG}::tunnel-config`,
        message: /last ingress rule is not the catch-all http_status:404/,
      },
    ],
  },
  {
    rule: "tunnel-host-no-a-record",
    stack: "tunnel",
    fails: [
      {
        when: "a tunnelled host also has an A record",
        edit: (d) =>
          add(
            d,
            cloneAs(d, T.dnsRecord, "nas-dns-nas.example.org-10.30.0.241", "blog-dns-blog.example.org-203.0.113.5", (r) =>
              Object.assign(r.inputs, { name: "blog.example.org", content: "203.0.113.5", proxied: true }),
            ),
          ),
        resource: `${T.dnsRecord}::blog-dns-blog.example.org-203.0.113.5`,
        message: /blog\.example\.org is served by the Cloudflare Tunnel, but this A record points it at 203\.0\.113\.5/,
      },
      {
        when: "a tunnelled host's CNAME is not proxied",
        edit: (d) => change(d, T.dnsRecord, "blog-dns-blog.example.org-tunnel", (r) => (r.inputs.proxied = false)),
        resource: `${T.dnsRecord}::blog-dns-blog.example.org-tunnel`,
        message: /its CNAME is not proxied/,
      },
    ],
  },
  {
    rule: "cloudflare-zone-ssl-mode",
    stack: "homelab",
    fails: [
      {
        when: "the zone's SSL/TLS mode is flexible while Traefik redirects to HTTPS",
        edit: (d) => change(d, ZONE_EDGE, "zone-edge", (r) => (r.outputs!.sslMode = "flexible")),
        resource: `${ZONE_EDGE}::zone-edge`,
        message: /SSL\/TLS mode flexible.*loop \(ERR_TOO_MANY_REDIRECTS\); set the zone's SSL\/TLS mode to Full \(strict\)/,
      },
      {
        when: "the zone's SSL/TLS mode is off",
        edit: (d) => change(d, ZONE_EDGE, "zone-edge", (r) => (r.outputs!.sslMode = "off")),
        resource: `${ZONE_EDGE}::zone-edge`,
        message: /SSL\/TLS mode off: Cloudflare serves the proxied hosts .* over plain HTTP only/,
      },
    ],
  },
];

describeRuleCases("tunnel", rules, CASES);
