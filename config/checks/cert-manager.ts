import type { ParsedConfig } from "../../model/schema.ts";
import { own } from "../../model/own.ts";
import type { Add } from "./issue.ts";
import { inZone } from "./dns-zone.ts";

/** The default issuer exists, and each issuer's DNS-01 zones lie in dns.zone. */
export function checkCertManager(c: ParsedConfig, add: Add): void {
  const cm = c.certManager;
  if (!own(cm.issuers, cm.defaultIssuer)) {
    add(
      ["certManager", "defaultIssuer"],
      `issuer ${cm.defaultIssuer} is not defined; use one of: ${Object.keys(cm.issuers).join(", ") || "(none)"} or add certManager.issuers.${cm.defaultIssuer}`,
    );
  }
  for (const [name, issuer] of Object.entries(cm.issuers)) {
    issuer.dnsZones?.forEach((zone, i) => {
      if (!inZone(zone, c.dns.zone))
        add(
          ["certManager", "issuers", name, "dnsZones", i],
          `${zone} is not dns.zone ${c.dns.zone} or a subdomain of it; the Cloudflare token can only answer DNS-01 for the configured zone`,
        );
    });
  }
}
