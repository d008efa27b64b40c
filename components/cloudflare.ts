/**
 * Cloudflare lookups shared by Traefik (trusted forwarders) and routes (allow-lists
 * and DNS): made once per stack, at deploy time, so no IP list is hard-coded to go stale.
 */
import * as pulumi from "@pulumi/pulumi";
import { getIpRangesOutput } from "@pulumi/cloudflare/getIpRanges.js";
import { getZoneOutput } from "@pulumi/cloudflare/getZone.js";
import type { HomelabConfig } from "../config/resolve.ts";

export interface CloudflareRanges {
  readonly ipv4: pulumi.Output<string[]>;
  readonly ipv6: pulumi.Output<string[]>;
}

/** Cloudflare's published edge ranges, looked up with the provider at deploy time. */
export function cloudflareRanges(): CloudflareRanges {
  const ranges = getIpRangesOutput();
  return {
    ipv4: ranges.ipv4Cidrs.apply((c) => [...c].sort()),
    ipv6: ranges.ipv6Cidrs.apply((c) => [...c].sort()),
  };
}

/** Whether anything in this config needs Cloudflare's ranges (skips the lookup otherwise). */
export function needsCloudflareRanges(config: HomelabConfig): boolean {
  const firewall = config.cluster.provider === "talos" ? config.cluster.firewall : undefined;
  return config.traefik.trustCloudflare
    || config.apps.some((a) => a.middlewares?.ipAllowList?.cloudflare)
    || Boolean(firewall?.ingressFromCloudflare && firewall.ingressNodes.length > 0);
}

/** The zone id: configured, or looked up by the zone's name. */
export function zoneId(dns: HomelabConfig["dns"]): pulumi.Output<string> {
  if (dns.zoneId) return pulumi.output(dns.zoneId);
  return getZoneOutput({ filter: { name: dns.zone } }).id;
}
