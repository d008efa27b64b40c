/**
 * Traefik in one of three placements. Hands routes and DNS an IngressEntry.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSpec, HomelabConfig } from "../config/resolve.ts";
import type { Placement } from "../config/schema.ts";
import type { CloudflareRanges } from "./cloudflare.ts";

/** What routes and DNS need to know about the ingress, handed over by value. */
export interface IngressEntry {
  /** The IngressClass the Traefik chart creates; every Ingress names it. */
  readonly className: string;
  readonly placement: Placement;
  /** Where DNS points: the LoadBalancer IP (deployment), every node IP (daemonset) or the VIP (controlplane). */
  readonly addresses: readonly string[];
  readonly namespace: string;
  /** Labels of the Traefik pods, for NetworkPolicy peers. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** hostNetwork placements reach app pods from node addresses, not pod IPs. */
  readonly hostNetwork: boolean;
  /** Node addresses (CIDR /32s) Traefik connects from when it uses the host network. */
  readonly nodeSources: readonly string[];
  /** Traefik trusts X-Forwarded-* from Cloudflare only. */
  readonly trustsCloudflare: boolean;
  /** The entry point TLS routes attach to. */
  readonly secureEntryPoint: string;
  /** Routes depend on these (CRDs and the release). */
  readonly ready: readonly pulumi.Resource[];
}

export interface TraefikArgs {
  readonly traefik: HomelabConfig["traefik"];
  readonly cluster: ClusterSpec;
  readonly cloudflareRanges: CloudflareRanges | undefined;
  /** MetalLB's pools, which the LoadBalancer Service's address comes from. */
  readonly addressPools?: readonly pulumi.Resource[];
}

export class Traefik extends pulumi.ComponentResource {
  readonly entry: IngressEntry;
  constructor(name: string, args: TraefikArgs, opts?: pulumi.ComponentResourceOptions) {
    super("homelab:platform:Traefik", name, {}, opts);
    throw new Error(`TODO(issue 5) ${args.traefik.placement}`);
  }
}
