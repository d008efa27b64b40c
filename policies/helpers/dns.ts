/**
 * Where traffic enters the cluster, as the plan places Traefik.
 */
import type { PolicyResource } from "@pulumi/policy";
import { requestedLoadBalancerIps, valuesOf } from "../common.ts";
import { clusterVip } from "./talos.ts";
import { isHostNetwork, selectsControlPlane, traefikNodeAddresses, traefikReleases } from "./traefik.ts";
import { obj } from "@homelab/contract/props";

/** The private entry's LoadBalancer address (placement deployment with private apps: the chart's additional Service `lan`). */
export function privateEntryIps(values: Record<string, unknown>): string[] {
  return requestedLoadBalancerIps(obj(obj(obj(obj(values.service).additionalServices).lan).annotations));
}

/** Where traffic enters the cluster: the LoadBalancer addresses (public and private entry), the nodes Traefik runs on, or the control-plane VIP. */
export function entryAddresses(resources: readonly PolicyResource[]): string[] | undefined {
  const [traefik] = traefikReleases(resources);
  if (!traefik) return undefined;
  const values = valuesOf(traefik);
  if (!isHostNetwork(values)) {
    const ips = [...requestedLoadBalancerIps(obj(obj(values.service).annotations)), ...privateEntryIps(values)];
    return ips.length ? ips : undefined;
  }
  const nodes = traefikNodeAddresses(resources, values);
  const vip = selectsControlPlane(values) ? clusterVip(resources) : undefined;
  const addresses = [...nodes, ...(vip ? [vip] : [])];
  return addresses.length ? addresses : undefined;
}
