/**
 * The private apps' host → entry address pairs (builders/lan-dns.ts), recorded as
 * a component so the policy pack knows these hosts have no public record on
 * purpose, and exported for whoever runs the LAN resolver.
 */
import * as pulumi from "@pulumi/pulumi";
import type { LanDnsEntry } from "../builders/lan-dns.ts";
import { COMPONENTS } from "../contract/tokens.ts";

export class LanDns extends pulumi.ComponentResource {
  readonly entries: readonly LanDnsEntry[];
  constructor(name: string, args: { readonly entries: readonly LanDnsEntry[] }, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENTS.lanDns, name, { entries: args.entries.map((e) => ({ host: e.host, addresses: [...e.addresses] })) }, opts);
    this.entries = args.entries;
    this.registerOutputs({ entries: this.entries });
  }
}
