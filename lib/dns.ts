/**
 * Cloudflare DNS records per app host, pointing at the IngressEntry: the
 * MetalLB address (deployment), every node (daemonset, round-robin) or the
 * control-plane VIP (controlplane). Plain values in, record specs out.
 */
import type { AppSpec, HomelabConfig } from "../config/resolve.ts";
import { uniqueAddresses } from "./net.ts";

export interface DnsRecordSpec {
  /** `<host>-<address>`: the record's identity, independent of list order. */
  readonly key: string;
  /** The full domain name (Cloudflare v6 takes the full name). */
  readonly name: string;
  readonly type: "A";
  readonly content: string;
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
export function originAddresses(proxied: boolean, entryAddresses: readonly string[], dns: Pick<HomelabConfig["dns"], "publicAddress">): string[] {
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
    targets.map((address) => ({
      key: `${host}-${address}`,
      name: host,
      type: "A" as const,
      content: address,
      proxied: app.proxied,
      ttl: app.proxied ? AUTOMATIC_TTL : dns.ttl,
      comment,
    })),
  );
}
