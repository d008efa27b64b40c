/**
 * Traefik's resolved config: a union on the placement, each member carrying
 * what its placement needs (PLACEMENT in placement.ts) as the checks
 * established it, so no builder asks whether an address is there.
 */
import { DEFAULTS } from "./defaults.ts";
import {
  gatewayApiEnabled,
  narrowsTunnelTrust,
  privateEntryAddress,
  privateSources,
  traefikLoadBalancerIP,
  traefikPoolName,
  trustsCloudflare,
} from "./entry.ts";
import { established } from "./established.ts";
import { deploymentReplicas } from "./placement.ts";
import type { ChartRef } from "../contract/charts.ts";
import type { ParsedConfig } from "./schema.ts";

type ParsedTraefik = ParsedConfig["traefik"];

/** Traefik's own ACME resolver: its account e-mail is there whenever it is enabled. */
export type AcmeSpec = { readonly enabled: false; readonly email?: string } | { readonly enabled: true; readonly email: string };

/** Where and from where LAN clients reach the private apps (present when an app is private). */
export interface PrivateEntrySpec {
  /** The ranges every private route's ipAllowList admits. */
  readonly sources: readonly string[];
}

/** What Traefik carries in every placement. */
interface TraefikCommon
  extends Omit<
    ParsedTraefik,
    "placement" | "replicas" | "pool" | "loadBalancerIP" | "trustCloudflare" | "chart" | "gatewayApi" | "privateEntry" | "acme"
  > {
  readonly trustCloudflare: boolean;
  readonly chart: ChartRef;
  /** Some app routes to an ExternalName Service, which Traefik's providers refuse unless allowed. */
  readonly allowExternalNameServices: boolean;
  readonly gatewayApi: Omit<ParsedTraefik["gatewayApi"], "enabled"> & { readonly enabled: boolean };
  readonly acme: AcmeSpec;
  /**
   * Tunnel entry with the trust narrowed to cloudflared: Traefik in pods on a
   * cluster that enforces NetworkPolicies, where a NetworkPolicy can admit
   * cloudflared's pods alone to the entry point that trusts them.
   */
  readonly tunnelEntryPoint: boolean;
}

/** Placement deployment: replicas behind a LoadBalancer Service on a MetalLB address. */
export interface DeploymentTraefik extends TraefikCommon {
  readonly placement: "deployment";
  readonly replicas: number;
  /** The MetalLB pool the addresses come from. */
  readonly pool: string;
  /** The public entry's MetalLB address, which the Service requests. */
  readonly loadBalancerIP: string;
  /** The private entry: its own MetalLB address, which the router never forwards. */
  readonly privateEntry?: PrivateEntrySpec & { readonly loadBalancerIP: string };
}

/** Placement daemonset: Traefik on the host network of every node. */
export interface DaemonsetTraefik extends TraefikCommon {
  readonly placement: "daemonset";
  /** The private entry: the node addresses public apps share, behind the LAN-only allow-list. */
  readonly privateEntry?: PrivateEntrySpec;
}

/** Placement controlplane: Traefik on the host network of every control plane, whichever holds the VIP answering. */
export interface ControlplaneTraefik extends TraefikCommon {
  readonly placement: "controlplane";
  /** The control planes' Talos VIP (cluster.network.vip), where DNS points. */
  readonly vip: string;
  /** The private entry: the VIP public apps share, behind the LAN-only allow-list. */
  readonly privateEntry?: PrivateEntrySpec;
}

export type TraefikSpec = DeploymentTraefik | DaemonsetTraefik | ControlplaneTraefik;

export function resolveTraefik(p: ParsedConfig): TraefikSpec {
  const {
    placement,
    replicas,
    pool: _pool,
    loadBalancerIP: _lb,
    trustCloudflare: _trust,
    chart,
    gatewayApi,
    privateEntry: _private,
    acme,
    ...rest
  } = p.traefik;
  const common: TraefikCommon = {
    ...rest,
    trustCloudflare: trustsCloudflare(p),
    chart: { chart: DEFAULTS.charts.traefik.chart, ...chart },
    allowExternalNameServices: Object.values(p.apps).some((a) => a.kind === "external" && Boolean(a.external?.externalName)),
    gatewayApi: { ...gatewayApi, enabled: gatewayApiEnabled(p) },
    acme: acme.enabled ? { enabled: true, email: established(acme.email, "traefik.acme.email") } : { ...acme, enabled: false },
    tunnelEntryPoint: narrowsTunnelTrust(p),
  };
  const sources = Object.values(p.apps).some((a) => a.private) ? privateSources(p) : undefined;
  switch (placement) {
    case "deployment": {
      const loadBalancerIP = established(traefikLoadBalancerIP(p), "traefik.loadBalancerIP");
      return {
        ...common,
        placement,
        replicas: deploymentReplicas({ replicas }),
        pool: established(traefikPoolName(p), "traefik.pool"),
        loadBalancerIP,
        ...(sources
          ? {
              privateEntry: {
                loadBalancerIP: established(privateEntryAddress(p, loadBalancerIP), "traefik.privateEntry.loadBalancerIP"),
                sources,
              },
            }
          : {}),
      };
    }
    case "daemonset":
      return { ...common, placement, ...(sources ? { privateEntry: { sources } } : {}) };
    case "controlplane":
      return {
        ...common,
        placement,
        vip: established(p.cluster.network.vip, "cluster.network.vip"),
        ...(sources ? { privateEntry: { sources } } : {}),
      };
  }
}
