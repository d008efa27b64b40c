/**
 * DNS: every rule of policies/dns.ts on the program's own synth output.
 */
import * as rules from "../../../policies/dns.ts";
import { T, describeRuleCases, type RuleCase } from "../rule-cases.ts";
import { change, remove } from "../synth-output.ts";

const CASES: readonly RuleCase[] = [
  {
    rule: "route-host-has-dns-record",
    stack: "edge",
    fails: [
      {
        when: "a routed host has no record",
        edit: (d) => remove(d, (r) => r.type === T.dnsRecord && r.name.startsWith("wiki-dns-")),
        resource: `${T.ingress}::wiki-ingress-root`,
        message: /Ingress apps\/wiki-root serves wiki\.example\.net, but the stack manages no A\/AAAA\/CNAME record for it/,
      },
      {
        when: "one record sits in another zone",
        edit: (d) =>
          change(
            d,
            T.dnsRecord,
            "status-dns-status.example.net-198.51.100.20",
            (r) => (r.inputs.zoneId = "ffffffffffffffffffffffffffffffff"),
          ),
        resource: `${T.dnsRecord}::status-dns-status.example.net-198.51.100.20`,
        message:
          /DNS record status\.example\.net is in zone ffffffffffffffffffffffffffffffff, while the stack's other records are in 0123456789abcdef0123456789abcdef/,
      },
    ],
  },
  {
    rule: "dns-targets-ingress-entry",
    stack: "edge",
    fails: [
      {
        when: "a record points at a LAN address where Traefik does not listen",
        edit: (d) => change(d, T.dnsRecord, "git-dns-git.example.net-192.168.50.21", (r) => (r.inputs.content = "192.168.50.99")),
        resource: `${T.dnsRecord}::git-dns-git.example.net-192.168.50.21`,
        message:
          /DNS record git\.example\.net → 192\.168\.50\.99 points at a LAN address where Traefik does not listen \(the entry is 192\.168\.50\.11, 192\.168\.50\.21, 192\.168\.50\.22, 192\.168\.50\.23\)/,
      },
    ],
  },
  {
    rule: "dns-proxied-public-target",
    stack: "homelab",
    fails: [
      {
        when: "a proxied record points at the private MetalLB address",
        edit: (d) => change(d, T.dnsRecord, "grafana-dns-grafana.example.com-203.0.113.10", (r) => (r.inputs.content = "10.0.10.240")),
        resource: `${T.dnsRecord}::grafana-dns-grafana.example.com-203.0.113.10`,
        message:
          /DNS record grafana\.example\.com is proxied by Cloudflare but points at private address 10\.0\.10\.240: Cloudflare's edge cannot connect to it/,
      },
    ],
  },
];

describeRuleCases("dns", rules, CASES);
