/**
 * Cloudflare DNS records per app host, pointing at the IngressEntry: the
 * MetalLB address (deployment), every node (daemonset, round-robin) or the
 * control-plane VIP (controlplane). Plain values in, record specs out.
 */
import type { AppSpec, HomelabConfig } from "../model/resolve.ts";
import { uniqueAddresses } from "../contract/net.ts";

export interface DnsRecordSpec<Content = string> {
  /** `<host>-<address>` (`<host>-tunnel` for a tunnel's CNAME): the record's identity, independent of list order. */
  readonly key: string;
  /** The full domain name (Cloudflare v6 takes the full name). */
  readonly name: string;
  readonly type: "A" | "CNAME";
  readonly content: Content;
  readonly proxied: boolean;
  /** 1 means automatic, the only TTL Cloudflare allows on proxied records. */
  readonly ttl: number;
  readonly comment: string;
}

const AUTOMATIC_TTL = 1;

/** Tells whoever edits the zone in Cloudflare's dashboard which stack would undo the edit. */
export function managedByComment(project: string, stack: string): string {
  return `managed by pulumi ${project}/${stack}`;
}

/**
 * Where a host's records point. Cloudflare's edge cannot reach a private
 * origin (error 1002), so a proxied host points at the public address that
 * forwards to the entry when one is configured; an unproxied host points at
 * the entry itself (LAN clients, or an entry with public addresses).
 */
export function originAddresses(
  proxied: boolean,
  entryAddresses: readonly string[],
  dns: Pick<HomelabConfig["dns"], "publicAddress">,
): string[] {
  return uniqueAddresses(proxied && dns.publicAddress ? [dns.publicAddress] : entryAddresses);
}

/**
 * One A record per host and origin address. Several A records on one name are
 * how the daemonset placement spreads clients over the nodes; a proxied name
 * lets Cloudflare pick among them.
 */
export function dnsRecords(
  app: Pick<AppSpec, "hosts" | "proxied">,
  entryAddresses: readonly string[],
  dns: Pick<HomelabConfig["dns"], "ttl" | "publicAddress">,
  comment: string,
): DnsRecordSpec[] {
  const targets = originAddresses(app.proxied, entryAddresses, dns);
  const hosts = [...new Set(app.hosts)].sort();
  return hosts.flatMap((host) =>
    targets.map(
      (address): DnsRecordSpec => ({
        key: `${host}-${address}`,
        name: host,
        type: "A",
        content: address,
        proxied: app.proxied,
        ttl: app.proxied ? AUTOMATIC_TTL : dns.ttl,
        comment,
      }),
    ),
  );
}

/**
 * An app's public records. A private app has none unless it opts into its
 * LAN address in public DNS (publicRecord); a tunnelled app's hosts are
 * proxied CNAMEs to the tunnel (`tunnelTarget`, the tunnel's
 * `<id>.cfargotunnel.com`, given only in tunnel mode); every other app gets
 * its A records.
 */
export function appDnsRecords<Target>(
  app: Pick<AppSpec, "hosts" | "proxied" | "private" | "publicRecord">,
  entryAddresses: readonly string[],
  dns: Pick<HomelabConfig["dns"], "ttl" | "publicAddress">,
  comment: string,
  tunnelTarget: Target | undefined,
): DnsRecordSpec<string | Target>[] {
  if (app.private) return app.publicRecord ? dnsRecords({ hosts: app.hosts, proxied: false }, entryAddresses, dns, comment) : [];
  if (tunnelTarget === undefined || !app.proxied) return dnsRecords(app, entryAddresses, dns, comment);
  return [...new Set(app.hosts)].sort().map((host) => ({
    key: `${host}-tunnel`,
    name: host,
    type: "CNAME",
    content: tunnelTarget,
    proxied: true,
    ttl: AUTOMATIC_TTL,
    comment,
  }));
}
