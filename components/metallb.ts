/**
 * MetalLB: Helm release, then address pools and their L2 advertisement.
 */
import * as pulumi from "@pulumi/pulumi";
import { Namespace } from "@pulumi/kubernetes/core/v1/namespace.js";
import { Release } from "@pulumi/kubernetes/helm/v3/release.js";
import { CustomResource } from "@pulumi/kubernetes/apiextensions/customResource.js";
import type { HomelabConfig } from "../model/resolve.ts";
import { namespaceManifest } from "../builders/namespaces.ts";
import { chartRelease } from "../builders/helm.ts";
import { METALLB_NAMESPACE, METALLB_RELEASE, ipAddressPoolManifest, l2AdvertisementManifest, metallbValues } from "../builders/metallb.ts";
import { COMPONENTS } from "../contract/tokens.ts";

export interface MetalLBArgs {
  readonly metallb: HomelabConfig["metallb"];
}

export class MetalLB extends pulumi.ComponentResource {
  /** The pools and advertisement: a LoadBalancer Service gets its address only once these exist. */
  readonly ready: readonly pulumi.Resource[];
  constructor(name: string, args: MetalLBArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENTS.metallb, name, {}, opts);
    const { chart, pools } = args.metallb;

    // The speaker answers ARP from the host network with NET_RAW: only `privileged` admits it.
    const namespace = new Namespace(`${name}-namespace`, namespaceManifest(METALLB_NAMESPACE, "privileged"), { parent: this });
    // The release is ready when the controller answers its readiness ping, before its validating
    // webhook serves (that comes after the certificate rotation): the pools below are created at
    // once and admitted because the chart's webhook is set to failurePolicy Ignore (builders/metallb.ts),
    // not because anything waited for it (test/twin models both).
    const release = new Release(
      `${name}-release`,
      {
        ...chartRelease(METALLB_RELEASE, METALLB_NAMESPACE, chart),
        values: metallbValues(),
      },
      { parent: this, dependsOn: [namespace] },
    );

    const afterRelease = { parent: this, dependsOn: [release] };
    const poolResources = pools.map((pool) => new CustomResource(`${name}-pool-${pool.name}`, ipAddressPoolManifest(pool), afterRelease));
    const advertisement = pools.length > 0 ? [new CustomResource(`${name}-l2`, l2AdvertisementManifest(pools), afterRelease)] : [];

    this.ready = [...poolResources, ...advertisement];
    this.registerOutputs({ pools: pools.map((p) => p.name) });
  }
}
