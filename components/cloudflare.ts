/**
 * Cloudflare lookups shared by Traefik (trusted forwarders) and routes (allow-lists
 * and DNS): made once per stack, at deploy time, so no IP list is hard-coded to go stale.
 */
import * as pulumi from "@pulumi/pulumi";
import { getIpRangesOutput } from "@pulumi/cloudflare/getIpRanges.js";
import { getZoneOutput } from "@pulumi/cloudflare/getZone.js";
import { getZoneSettingOutput } from "@pulumi/cloudflare/getZoneSetting.js";
import type { HomelabConfig } from "../model/resolve.ts";
import type { CloudflareIpRangesProps } from "../contract/cloudflare.ts";
import { COMPONENTS } from "../contract/tokens.ts";

export interface CloudflareRanges {
  readonly ipv4: pulumi.Output<string[]>;
  readonly ipv6: pulumi.Output<string[]>;
}

/**
 * Cloudflare's published edge ranges, looked up with the provider at deploy
 * time. A component rather than a bare invoke because the policy pack sees
 * resources only: its inputs and outputs carry the lists looked up, which the
 * forwarded-headers rule holds Traefik's trusted IPs against.
 */
export class CloudflareIpRanges extends pulumi.ComponentResource implements CloudflareRanges {
  readonly ipv4: pulumi.Output<string[]>;
  readonly ipv6: pulumi.Output<string[]>;
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    const ranges = getIpRangesOutput();
    const ipv4 = ranges.ipv4Cidrs.apply((c) => [...c].sort());
    const ipv6 = ranges.ipv6Cidrs.apply((c) => [...c].sort());
    const props: pulumi.Inputs = { ipv4Cidrs: ipv4, ipv6Cidrs: ipv6 } satisfies Record<
      keyof CloudflareIpRangesProps,
      pulumi.Input<string[]>
    >;
    super(COMPONENTS.cloudflareIpRanges, name, props, opts);
    this.ipv4 = ipv4;
    this.ipv6 = ipv6;
    this.registerOutputs(props);
  }
}

/** Whether anything in this config needs Cloudflare's ranges (skips the lookup otherwise). */
export function needsCloudflareRanges(config: HomelabConfig): boolean {
  const firewall = config.cluster.provider === "talos" ? config.cluster.firewall : undefined;
  return (
    config.traefik.trustCloudflare ||
    config.apps.some((a) => a.middlewares?.ipAllowList?.cloudflare) ||
    Boolean(firewall?.ingressFromCloudflare && firewall.ingressNodes.length > 0)
  );
}

/** The zone id: configured, or looked up by the zone's name. */
export function zoneId(dns: HomelabConfig["dns"]): pulumi.Output<string> {
  if (dns.zoneId) return pulumi.output(dns.zoneId);
  return getZoneOutput({ filter: { name: dns.zone } }).id;
}

/** The account that owns the zone, which owns the tunnel unless tunnel.accountId names another. */
export function zoneAccountId(dns: HomelabConfig["dns"]): pulumi.Output<string> {
  return (dns.zoneId ? getZoneOutput({ zoneId: dns.zoneId }) : getZoneOutput({ filter: { name: dns.zone } })).account.id;
}

/** The zone's SSL/TLS encryption mode (off, flexible, full, strict), read at deploy time. */
export function zoneSslMode(zoneId: pulumi.Input<string>): pulumi.Output<string> {
  return getZoneSettingOutput({ zoneId, settingId: "ssl" }).value;
}
