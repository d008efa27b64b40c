/**
 * MetalLB: Helm release, then address pools and their L2 advertisement.
 */
import * as pulumi from "@pulumi/pulumi";
import type { HomelabConfig } from "../config/resolve.ts";

export interface MetalLBArgs {
  readonly metallb: HomelabConfig["metallb"];
}

export class MetalLB extends pulumi.ComponentResource {
  /** The pools and advertisement: a LoadBalancer Service gets its address only once these exist. */
  readonly ready: readonly pulumi.Resource[];
  constructor(name: string, args: MetalLBArgs, opts?: pulumi.ComponentResourceOptions) {
    super("homelab:platform:MetalLB", name, {}, opts);
    throw new Error(`TODO(issue 5) ${args.metallb.pools.length}`);
  }
}
