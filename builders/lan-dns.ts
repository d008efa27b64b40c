/**
 * Private (LAN-only) apps get no public record: a LAN resolver answers for
 * them instead. These are the host → entry address pairs and the files the
 * common homelab resolvers take them in. Pure: plain values in, text out.
 */
import type { AppSpec } from "../model/resolve.ts";
import { byAddress, uniqueAddresses } from "../contract/net.ts";

export interface LanDnsEntry {
  readonly host: string;
  /** The Traefik entry: the LoadBalancer IP, every node (daemonset) or the VIP. */
  readonly addresses: readonly string[];
}

/** Every host of a private app, sorted, to the entry addresses. */
export function lanDnsEntries(apps: readonly Pick<AppSpec, "hosts" | "private">[], entryAddresses: readonly string[]): LanDnsEntry[] {
  const addresses = uniqueAddresses(entryAddresses).sort(byAddress);
  const hosts = [...new Set(apps.filter((a) => a.private).flatMap((a) => a.hosts))].sort();
  return hosts.map((host) => ({ host, addresses }));
}

const pairs = (entries: readonly LanDnsEntry[]) => entries.flatMap((e) => e.addresses.map((address) => ({ host: e.host, address })));

/** `/etc/hosts` lines; Pi-hole's Local DNS records (custom.list, or dns.hosts in Pi-hole v6) take the same lines. */
export function hostsFile(entries: readonly LanDnsEntry[]): string {
  return pairs(entries)
    .map(({ host, address }) => `${address} ${host}\n`)
    .join("");
}

/**
 * dnsmasq `host-record` lines: an exact name (`address=/host/ip` would also
 * answer for every name below the host), one line per address.
 */
export function dnsmasqConf(entries: readonly LanDnsEntry[]): string {
  return pairs(entries)
    .map(({ host, address }) => `host-record=${host},${address}\n`)
    .join("");
}

/** AdGuard Home DNS rewrites, in its config file's `filtering.rewrites` shape. */
export function adguardRewrites(entries: readonly LanDnsEntry[]): string {
  const items = pairs(entries)
    .map(({ host, address }) => `    - domain: ${host}\n      answer: ${address}\n`)
    .join("");
  return `filtering:\n  rewrites:${items ? `\n${items}` : " []\n"}`;
}

/** The synth's lan-dns/ files, path → content, each with a header saying where it goes. */
export function lanDnsFiles(stack: string, entries: readonly LanDnsEntry[]): Map<string, string> {
  const header = (what: string) => `# LAN DNS for the private apps of stack ${stack}: ${what}\n`;
  return new Map([
    ["lan-dns/hosts", header("append to /etc/hosts") + hostsFile(entries)],
    [
      "lan-dns/pihole-custom.list",
      header("Pi-hole Local DNS records (/etc/pihole/custom.list; Pi-hole v6: dns.hosts)") + hostsFile(entries),
    ],
    ["lan-dns/dnsmasq.conf", header("a dnsmasq conf-dir file (/etc/dnsmasq.d/)") + dnsmasqConf(entries)],
    [
      "lan-dns/adguard-rewrites.yaml",
      header("merge into AdGuardHome.yaml, or add each under Filters → DNS rewrites") + adguardRewrites(entries),
    ],
  ]);
}
