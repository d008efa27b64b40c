/**
 * Private apps: every rule of policies/private.ts on the program's own synth output.
 */
import * as rules from "../../../policies/private.ts";
import { TUNNEL_TYPES } from "../../../policies/helpers/tunnel.ts";
import { T, describeRuleCases, type RuleCase } from "../rule-cases.ts";
import { add, change, cloneAs } from "../synth-output.ts";

const INGRESS_ROUTE_TCP = T.ingressRouteTcp;
const HTTP_ROUTE = T.httpRoute;

const CASES: readonly RuleCase[] = [
  {
    rule: "private-app-closed-to-internet",
    // Placement deployment: unifi (IngressRouteTCP, TLS passthrough) on the private entry point lan.
    stack: "homelab",
    fails: [
      {
        when: "a private passthrough route also attaches to websecure (the forwarded public Service) and loses its LAN-only MiddlewareTCP",
        edit: (d) =>
          change(d, INGRESS_ROUTE_TCP, "unifi-ingressroutetcp", (r) => {
            r.inputs.spec.entryPoints = ["websecure", "lan"];
            delete r.inputs.spec.routes[0].middlewares;
          }),
        resource: `${INGRESS_ROUTE_TCP}::unifi-ingressroutetcp`,
        message:
          /IngressRouteTCP apps\/unifi serves the private host unifi\.example\.com on websecure, which the internet can reach .* with no allow-list of private ranges/,
      },
      {
        when: "a private host gets a proxied record to the public address",
        edit: (d) =>
          add(
            d,
            cloneAs(d, T.dnsRecord, "nas-dns-nas.example.com-10.0.10.240", "unifi-dns-unifi.example.com-203.0.113.10", (r) =>
              Object.assign(r.inputs, { name: "unifi.example.com", content: "203.0.113.10", proxied: true }),
            ),
          ),
        resource: `${T.dnsRecord}::unifi-dns-unifi.example.com-203.0.113.10`,
        message: /unifi\.example\.com is a private app's host, but this proxied record sends the internet to it \(203\.0\.113\.10\)/,
      },
    ],
  },
  {
    rule: "private-app-closed-to-internet",
    // Placement daemonset: grafana shares the node addresses with public apps, closed by its LAN-only allow-list.
    stack: "edge",
    fails: [
      {
        when: "a private Ingress on the host network loses its LAN-only middleware",
        edit: (d) =>
          change(
            d,
            T.ingress,
            "grafana-ingress-root",
            (r) => delete r.inputs.metadata.annotations["traefik.ingress.kubernetes.io/router.middlewares"],
          ),
        resource: `${T.ingress}::grafana-ingress-root`,
        message: /Ingress apps\/grafana-root serves the private host grafana\.example\.net on websecure/,
      },
    ],
  },
  {
    rule: "private-app-closed-to-internet",
    // Gateway API: ups is an HTTPRoute on the private listener lan-wildcard-example-com.
    stack: "gateway",
    fails: [
      {
        when: "a private HTTPRoute attaches to every listener (the public *.example.com one too) without its LAN-only filter",
        edit: (d) =>
          change(d, HTTP_ROUTE, "ups-httproute", (r) => {
            delete r.inputs.spec.parentRefs[0].sectionName;
            delete r.inputs.spec.rules[0].filters;
          }),
        resource: `${HTTP_ROUTE}::ups-httproute`,
        message: /HTTPRoute apps\/ups serves the private host ups\.example\.com on \(every entry point\)/,
      },
    ],
  },
  {
    rule: "private-app-closed-to-internet",
    stack: "tunnel",
    fails: [
      {
        when: "the tunnel forwards a private host",
        edit: (d) =>
          change(d, TUNNEL_TYPES.tunnelConfig, "tunnel-config", (r) =>
            r.inputs.config.ingresses.unshift({
              hostname: "ha.example.org",
              service: "https://traefik-tunnel-origin.traefik.svc.cluster.local:443",
            }),
          ),
        resource: `${TUNNEL_TYPES.tunnelConfig}::tunnel-config`,
        message: /the Cloudflare Tunnel forwards ha\.example\.org, a private app's host, from the internet/,
      },
    ],
  },
];

describeRuleCases("private", rules, CASES);
