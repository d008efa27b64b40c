/**
 * Traefik in one of three placements. Hands routes and DNS an IngressEntry.
 */
import { COMPONENTS } from "../contract/tokens.ts";
import * as pulumi from "@pulumi/pulumi";
import { Namespace } from "@pulumi/kubernetes/core/v1/namespace.js";
import { Release } from "@pulumi/kubernetes/helm/v3/release.js";
import { ConfigGroup } from "@pulumi/kubernetes/yaml/v2/configGroup.js";
import type { ClusterSpec, HomelabConfig } from "../model/resolve.ts";
import type { CloudflareRanges } from "./cloudflare.ts";
import type { GatewayApi } from "./gateway-api.ts";
import { namespaceManifest } from "../builders/namespaces.ts";
import { chartRelease } from "../builders/helm.ts";
import { traefikCrdUrls, traefikValues } from "../builders/traefik-values.ts";
import { ingressEntryOf, traefikPodSecurity, type IngressEntrySpec } from "../builders/traefik-entry.ts";
import { TRAEFIK_NAMESPACE, TRAEFIK_RELEASE } from "../builders/traefik-names.ts";

/** What routes and DNS need to know about the ingress, handed over by value. */
export interface IngressEntry extends IngressEntrySpec {
  /** Routes depend on these (CRDs and the release). */
  readonly ready: readonly pulumi.Resource[];
}

/** What operators are told about the ingress: the stack output `ingress`. */
export interface IngressOutputs {
  readonly className: string;
  readonly placement: string;
  readonly addresses: readonly string[];
  /** Where private apps are served (LAN only) and who may reach them. */
  readonly private?: { readonly entryPoint: string; readonly addresses: readonly string[]; readonly sources: readonly string[] };
}

export function ingressOutputs(entry: IngressEntrySpec): IngressOutputs {
  const { className, placement, addresses } = entry;
  const lan = entry.private;
  return {
    className,
    placement,
    addresses,
    ...(lan ? { private: { entryPoint: lan.entryPoint, addresses: lan.addresses, sources: lan.sources } } : {}),
  };
}

export interface TraefikArgs {
  readonly traefik: HomelabConfig["traefik"];
  readonly cluster: ClusterSpec;
  readonly cloudflareRanges: CloudflareRanges | undefined;
  /** Tunnel entry: the sources of cloudflared's connections, the only forwarders Traefik trusts then (model/resolve.ts TunnelSpec.forwarders). */
  readonly tunnelForwarders?: readonly string[];
  /** MetalLB's pools, which the LoadBalancer Service's address comes from. */
  readonly addressPools?: readonly pulumi.Resource[];
  /** Gateway API, when traefik.gatewayApi is enabled: its CRDs and the chart's Gateway values. */
  readonly gatewayApi?: GatewayApi;
}

export class Traefik extends pulumi.ComponentResource {
  readonly entry: IngressEntry;
  constructor(name: string, args: TraefikArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENTS.traefik, name, {}, opts);
    const { traefik, cluster } = args;
    if (traefik.trustCloudflare && !args.cloudflareRanges) {
      throw new pulumi.ResourceError(
        "traefik.trustCloudflare needs Cloudflare's IP ranges; pass cloudflareRanges from the deploy-time lookup",
        this,
      );
    }

    const namespace = new Namespace(`${name}-namespace`, namespaceManifest(TRAEFIK_NAMESPACE, traefikPodSecurity(traefik.placement)), {
      parent: this,
    });
    // Applied by Pulumi (server-side) rather than from the chart's crds/ folder,
    // which Helm installs once and never upgrades.
    const crdFiles = traefikCrdUrls(traefik.crdsSource, traefik.chart.version);
    const crds = new ConfigGroup(`${name}-crds`, { files: crdFiles }, { parent: this });

    const ranges = args.cloudflareRanges;
    const gateway = args.gatewayApi?.traefikValues;
    // Through a tunnel only the tunnel entry point trusts forwarders (cloudflared), never web or websecure.
    const values = args.tunnelForwarders
      ? traefikValues(traefik, cluster, undefined, gateway, args.tunnelForwarders)
      : traefik.trustCloudflare && ranges
        ? pulumi.all([ranges.ipv4, ranges.ipv6]).apply(([v4, v6]) => traefikValues(traefik, cluster, [...v4, ...v6], gateway))
        : traefikValues(traefik, cluster, undefined, gateway);
    // Waits (no skipAwait): with a LoadBalancer Service Helm waits for its
    // address, which MetalLB hands out only once the pools exist.
    const release = new Release(
      `${name}-release`,
      {
        ...chartRelease(TRAEFIK_RELEASE, TRAEFIK_NAMESPACE, traefik.chart),
        skipCrds: true,
        values,
      },
      { parent: this, dependsOn: [namespace, crds, ...(args.gatewayApi ? [args.gatewayApi.crds] : []), ...(args.addressPools ?? [])] },
    );

    this.entry = {
      ...ingressEntryOf(traefik, cluster),
      ...(args.gatewayApi ? { gateway: args.gatewayApi.routing } : {}),
      ready: [crds, ...(args.gatewayApi ? [args.gatewayApi.crds] : []), release],
    };
    // Stack policies see outputs only, and a yaml/v2 ConfigGroup's outputs are what the provider's
    // Construct returns (`resources`, pulumi-kubernetes provider/pkg/provider/yaml/v2/configgroup.go),
    // not the files it applied: the CRD files are registered here, on the ConfigGroup's parent.
    this.registerOutputs({ className: this.entry.className, placement: this.entry.placement, addresses: this.entry.addresses, crdFiles });
  }
}
