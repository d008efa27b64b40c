/** Rules of Traefik's placement: replicas, MetalLB pool and address, VIP, nodes, ACME and PROXY protocol. */
import type { ParsedConfig } from "../../model/schema.ts";
import { PLACEMENT, needsLoadBalancer, traefikPodCount, type PlacementMeaning } from "../../model/placement.ts";
import { own } from "../../model/own.ts";
import { addressRange, rangeContains } from "../../contract/net.ts";
import type { Add } from "./issue.ts";
import { traefikPoolName, trustsCloudflare } from "../../model/entry.ts";

export function checkTraefik(c: ParsedConfig, add: Add): void {
  const t = c.traefik;
  const placement = PLACEMENT[t.placement];
  if (t.replicas !== undefined) {
    if (placement.replicas && t.replicas < 2) {
      add(
        ["traefik", "replicas"],
        `${t.replicas} replica cannot roll without downtime and its PodDisruptionBudget would block node drains; use at least 2, or placement controlplane for a single replica`,
      );
    } else if (!placement.replicas) {
      add(["traefik", "replicas"], replicasRefused(placement.hostNodes, t.replicas));
    }
  }
  if (needsLoadBalancer(t.placement)) {
    if (c.metallb.enabled === false) {
      add(
        ["metallb", "enabled"],
        `placement ${t.placement} needs MetalLB for its LoadBalancer IP; remove metallb.enabled: false or choose placement daemonset/controlplane`,
      );
    }
    const poolName = traefikPoolName(c);
    if (t.pool && !own(c.metallb.pools, t.pool)) {
      add(
        ["traefik", "pool"],
        `pool ${t.pool} is not defined; define metallb.pools.${t.pool} or use one of: ${Object.keys(c.metallb.pools).join(", ") || "(no pools)"}`,
      );
    } else if (!poolName) {
      add(
        ["metallb", "pools"],
        `placement ${t.placement} needs a MetalLB address pool for Traefik's LoadBalancer IP; add one, e.g. metallb.pools.default.addresses: [10.0.10.240/28]`,
      );
    } else if (t.loadBalancerIP) {
      const pool = own(c.metallb.pools, poolName)!;
      if (!pool.addresses.some((e) => rangeContains(addressRange(e), t.loadBalancerIP!))) {
        add(
          ["traefik", "loadBalancerIP"],
          `${t.loadBalancerIP} is not in metallb.pools.${poolName} (${pool.addresses.join(", ")}); MetalLB would never assign it; pick an address from the pool`,
        );
      }
    }
  } else {
    if (t.loadBalancerIP)
      add(
        ["traefik", "loadBalancerIP"],
        `placement ${t.placement} uses host networking and no LoadBalancer Service; remove loadBalancerIP or use placement deployment`,
      );
    if (t.pool) add(["traefik", "pool"], `placement ${t.placement} takes no MetalLB pool; remove traefik.pool or use placement deployment`);
  }
  if (placement.entry === "vip" && !c.cluster.network.vip) {
    add(
      ["cluster", "network", "vip"],
      `placement ${t.placement} sends traffic to the Talos VIP; set cluster.network.vip to a free address in the node subnet`,
    );
  }
  if (placement.entry === "nodeAddresses" && Object.keys(c.cluster.nodes).length === 0) {
    add(["cluster", "nodes"], `placement ${t.placement} points DNS at every node's address; list the cluster's nodes (name, role, ip)`);
  }
  if (t.acme.enabled) {
    const pods = traefikPodCount(c);
    if (pods !== 1) {
      add(
        ["traefik", "acme", "enabled"],
        `Traefik's ACME storage cannot be shared between ${acmeSharers(placement.hostNodes, pods)}; leave acme disabled (cert-manager issues certificates) or run exactly one Traefik pod (placement controlplane with one control plane listed)`,
      );
    }
    if (!t.acme.email) add(["traefik", "acme", "email"], "Traefik's ACME resolver needs an account e-mail; set traefik.acme.email");
  }
  if (t.proxyProtocol && !trustsCloudflare(c)) {
    add(
      ["traefik", "proxyProtocol"],
      "PROXY protocol is trusted only from Cloudflare's ranges; enable traefik.trustCloudflare (or dns.proxied) or turn proxyProtocol off",
    );
  }
}

/** Why a placement that runs one Traefik per node it selects takes no traefik.replicas. */
function replicasRefused(hostNodes: PlacementMeaning["hostNodes"], replicas: number): string {
  return hostNodes === "controlPlanes"
    ? `placement controlplane runs one Traefik on each control plane, so whichever holds the VIP answers; remove replicas (got ${replicas}) or use placement deployment`
    : `placement daemonset runs one Traefik per node; remove replicas (got ${replicas})`;
}

/** The Traefik pods that would share ACME storage (model/placement.ts traefikPodCount). */
function acmeSharers(hostNodes: PlacementMeaning["hostNodes"], pods: number | undefined): string {
  switch (hostNodes) {
    case "none":
      return `${pods} replicas`;
    case "controlPlanes":
      return `the Traefik pods of ${pods || "an unlisted number of"} control planes`;
    case "every":
      return "DaemonSet pods";
  }
}
