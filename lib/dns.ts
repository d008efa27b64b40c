/**
 * Cloudflare DNS records per app host, pointing at the IngressEntry: the
 * MetalLB address (deployment), every node (daemonset, round-robin) or the
 * control-plane VIP (controlplane). Plain values in, record specs out.
 */
import type { AppSpec, HomelabConfig } from "../config/resolve.ts";
import { ipToInt } from "./net.ts";

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

export const AUTOMATIC_TTL = 1;

/** Tells whoever edits the zone in Cloudflare's dashboard which stack would undo the edit. */
export function managedByComment(project: string, stack: string): string {
  return `managed by pulumi ${project}/${stack}`;
}

/** The entry addresses, each once, in address order. */
export function dnsTargets(addresses: readonly string[]): string[] {
  return [...new Set(addresses)].sort((a, b) => ipToInt(a) - ipToInt(b));
}

/**
 * One A record per host and entry address. Several A records on one name are
 * how the daemonset placement spreads clients over the nodes; a proxied name
 * lets Cloudflare pick among them.
 */
export function dnsRecords(
  app: Pick<AppSpec, "hosts" | "proxied">,
  entryAddresses: readonly string[],
  dns: Pick<HomelabConfig["dns"], "ttl">,
  comment: string,
): DnsRecordSpec[] {
  const targets = dnsTargets(entryAddresses);
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
