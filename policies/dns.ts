/**
 * Cloudflare DNS: every routed host has a record in the stack's zone, the
 * records point at the ingress entry of the placement in use, and proxied
 * records point somewhere Cloudflare's edge can reach.
 */
import type { PolicyResource } from "@pulumi/policy";
import { eachKnown, metaOf, ofType, stackPolicy, type HomelabPolicy, type Level } from "./common.ts";
import { isNonPublicAddress } from "@homelab/contract/net";
import { routeHosts } from "./helpers/routes.ts";
import { entryAddresses } from "./helpers/dns.ts";
import { lanOnlyHosts } from "./helpers/tunnel.ts";
import { TYPES } from "@homelab/contract/tokens";
import { str } from "@homelab/contract/props";

const dnsRecords = (resources: readonly PolicyResource[]): PolicyResource[] => ofType(resources, TYPES.dnsRecord);
const ADDRESS_TYPES = ["A", "AAAA", "CNAME"];

export function routeHostHasDnsRecord(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "route-host-has-dns-record",
    description:
      "Checks that every host an Ingress or IngressRoute serves has a Cloudflare record the stack manages (except private apps' hosts, which the stack hands to a LAN resolver), all in the stack's one zone, so a new route is reachable and cert-manager's DNS-01 zone matches; declare the app's hosts in the stack config so the record is created.",
    level,
    check: (resources, report) => {
      const records = dnsRecords(resources);
      const named = new Set(records.filter((r) => ADDRESS_TYPES.includes(str(r.props.type))).map((r) => str(r.props.name)));
      const lanOnly = lanOnlyHosts(resources);
      for (const [host, route] of routeHosts(resources)) {
        if (!named.has(host) && !lanOnly.has(host)) {
          report(
            route,
            `${str(route.props.kind)} ${metaOf(route.props).namespace}/${metaOf(route.props).name} serves ${host}, but the stack manages no A/AAAA/CNAME record for it: visitors cannot resolve the host (and a record made by hand drifts from the stack); add the host to an app in the stack config so its record is created.`,
          );
        }
      }
      const zones = new Map<string, PolicyResource[]>();
      eachKnown(records, (r) => {
        const zone = str(r.props.zoneId);
        zones.set(zone, [...(zones.get(zone) ?? []), r]);
      });
      if (zones.size > 1) {
        const [main] = [...zones.entries()].sort((a, b) => b[1].length - a[1].length);
        for (const [zone, list] of zones) {
          if (zone === main![0]) continue;
          for (const r of list)
            report(
              r,
              `DNS record ${str(r.props.name)} is in zone ${zone || "(none)"}, while the stack's other records are in ${main![0]}: a route host outside the stack's zone gets no DNS-01 certificate from the issuers scoped to that zone; keep every host inside dns.zone.`,
            );
        }
      }
    },
  });
}

export function dnsTargetsIngressEntry(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "dns-targets-ingress-entry",
    description:
      "Checks that the A records of routed hosts point at the ingress entry of the Traefik placement in use (the MetalLB address, the nodes running a hostNetwork Traefik, or the control-plane VIP) or at a public address forwarded to it; derive record contents from the entry, never type them.",
    level,
    check: (resources, report) => {
      const entry = entryAddresses(resources);
      if (!entry) return;
      const hosts = routeHosts(resources);
      eachKnown(dnsRecords(resources), (r) => {
        if (str(r.props.type) !== "A" || !hosts.has(str(r.props.name))) return;
        const content = str(r.props.content);
        if (entry.includes(content) || !isNonPublicAddress(content)) return;
        report(
          r,
          `DNS record ${str(r.props.name)} → ${content} points at a LAN address where Traefik does not listen (the entry is ${entry.join(", ")}): requests for the host go nowhere; point it at the entry address.`,
        );
      });
    },
  });
}

// Mandatory like the config check it mirrors (homelab:dns.publicAddress): a plan the config refuses must not pass here.
export function dnsProxiedPublicTarget(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "dns-proxied-public-target",
    description:
      "Checks that Cloudflare-proxied records point at a public address, because Cloudflare's edge cannot reach private (RFC 1918/CGNAT) addresses and answers visitors with an error; point proxied records at the public address forwarded to the entry (or a Cloudflare Tunnel), or set proxied: false for LAN-only apps.",
    level,
    check: (resources, report) => {
      eachKnown(dnsRecords(resources), (r) => {
        if (r.props.proxied !== true || !["A", "AAAA"].includes(str(r.props.type))) return;
        const content = str(r.props.content);
        if (isNonPublicAddress(content)) {
          report(
            r,
            `DNS record ${str(r.props.name)} is proxied by Cloudflare but points at private address ${content}: Cloudflare's edge cannot connect to it, so visitors get an error page (1002/522) instead of the app; point it at the public address your router forwards to the entry, use a Cloudflare Tunnel, or set proxied: false for an app used only on the LAN.`,
          );
        }
      });
    },
  });
}
