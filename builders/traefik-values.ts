/**
 * Traefik (chart 41.x, Traefik v3.7) in one of three placements: the Helm
 * values, the CRD manifests that go with the chart version, and the ports a
 * NetworkPolicy leaves open (the ingress entry routes and DNS point at is
 * traefik-entry.ts). Pure: plain config in, plain objects out.
 *
 * Value shapes follow the chart's values.schema.json, which rejects unknown
 * keys; the chart's templates add checks the schema cannot express, and the
 * comments below name the one each value satisfies.
 */
import type { ClusterSpec, HomelabConfig } from "../model/resolve.ts";
import type { IToleration } from "kubernetes-models/v1/Toleration";
import type { ITopologySpreadConstraint } from "kubernetes-models/v1/TopologySpreadConstraint";
import { PINNED_CHARTS, traefikChartDefaults } from "../contract/charts.ts";
import { CONTROL_PLANE_LABEL } from "../contract/kubernetes.ts";
import { LOOPBACK_ADDRESS } from "../contract/charts.ts";
import type { TraefikGatewayValues } from "./gateway.ts";
import {
  ACME_RESOLVER,
  PRIVATE_ENTRY_POINT,
  PRIVATE_ENTRY_PORT,
  PRIVATE_SERVICE,
  SECURE_ENTRY_POINT,
  TRAEFIK_INGRESS_CLASS,
  TUNNEL_ENTRY_POINT,
  TUNNEL_ENTRY_PORT,
  WEB_ENTRY_POINT,
} from "./traefik-names.ts";
import { entryAddresses, privateEntryOf, traefikPodLabels } from "./traefik-entry.ts";
import { PLACEMENT } from "../model/placement.ts";

type TraefikConfig = HomelabConfig["traefik"];

/**
 * The `traefik.io` CRDs of the pinned chart's `crds/` folder. The chart no
 * longer ships a separate `traefik-crds` chart (deprecated in 38.0.2, removed
 * before 40.1.0; its last release, 1.18.0, lacks 41.x's Middleware fields),
 * and Helm installs `crds/` only on first install. So the program applies
 * these files itself, from the chart's git tag: a chart bump upgrades them too.
 */
export const TRAEFIK_CRD_FILES = traefikChartDefaults(PINNED_CHARTS.traefik.version).crdFiles;

/** URLs of the CRD manifests of a chart version at its release tag (`v<chart version>`). */
export function traefikCrdUrls(source: string, chartVersion: string): string[] {
  const tag = chartVersion.startsWith("v") ? chartVersion : `v${chartVersion}`;
  return traefikChartDefaults(chartVersion).crdFiles.map((file) => `${source.replace(/\/+$/, "")}/${tag}/traefik/crds/${file}`);
}

/**
 * The container ports of a pod-network Traefik that every client may open
 * while a NetworkPolicy guards the tunnel entry point: web, websecure, the
 * private entry's, and the chart's traefik (probes) and metrics ports.
 */
export function traefikOpenPorts(traefik: Pick<TraefikConfig, "privateEntry" | "chart">): number[] {
  const chart: Readonly<Record<string, number | undefined>> = traefikChartDefaults(traefik.chart.version).ports;
  const ports = ["web", "websecure", "traefik", "metrics"].map((name) => chart[name]).filter((p): p is number => p !== undefined);
  return [...ports, ...(traefik.privateEntry ? [PRIVATE_ENTRY_PORT] : [])].sort((a, b) => a - b);
}

interface TrustedSources {
  readonly trustedIPs: readonly string[];
  readonly insecure: false;
}

/**
 * An internal entry point on the host network. hostPort equal to port, as the
 * chart requires with hostNetwork: the API server warns that a hostIP without
 * a hostPort means nothing, and the scheduler then knows the port is taken.
 */
interface LoopbackPort {
  readonly port: number;
  readonly hostPort: number;
  readonly hostIP: typeof LOOPBACK_ADDRESS;
}

const loopbackPort = (port: number): LoopbackPort => ({ port, hostPort: port, hostIP: LOOPBACK_ADDRESS });

interface EntryPointValues {
  readonly port?: number;
  readonly exposedPort?: number;
  readonly hostPort?: number;
  /** Which of the chart's Services carry the port: `default` (the LoadBalancer), `lan` (the private entry's). */
  readonly expose?: { readonly default: boolean; readonly [PRIVATE_SERVICE]?: boolean };
  readonly protocol?: "TCP";
  readonly allowACMEByPass?: boolean;
  readonly http?: {
    readonly redirections: { readonly entryPoint: { readonly to: string; readonly scheme: "https"; readonly permanent: boolean } };
  };
  readonly forwardedHeaders?: TrustedSources;
  readonly proxyProtocol?: TrustedSources;
}

/** The keys of the chart's values this program sets (the chart's schema has them all). */
export interface TraefikValues {
  readonly deployment: {
    readonly kind: "Deployment" | "DaemonSet";
    readonly replicas?: number;
    readonly dnsPolicy?: "ClusterFirstWithHostNet";
  };
  readonly updateStrategy: {
    readonly type: "RollingUpdate";
    readonly rollingUpdate: { readonly maxUnavailable: number; readonly maxSurge: number };
  };
  readonly hostNetwork: boolean;
  readonly service:
    | { readonly enabled: false }
    | (LoadBalancerService & {
        readonly enabled: true;
        /** The private entry's Service (placement deployment with private apps). */
        readonly additionalServices?: { readonly [PRIVATE_SERVICE]: LoadBalancerService };
      });
  readonly podDisruptionBudget: { readonly enabled: boolean; readonly maxUnavailable?: number };
  readonly topologySpreadConstraints?: readonly ITopologySpreadConstraint[];
  readonly tolerations?: readonly IToleration[];
  readonly nodeSelector?: Record<string, string>;
  readonly ingressClass: { readonly enabled: true; readonly isDefaultClass: true; readonly name: string };
  readonly providers: {
    readonly kubernetesCRD: { readonly enabled: true; readonly allowCrossNamespace: boolean; readonly allowExternalNameServices: boolean };
    readonly kubernetesIngress: {
      readonly enabled: true;
      readonly allowExternalNameServices: boolean;
      readonly ingressEndpoint?: { readonly ip: string };
    };
    readonly kubernetesGateway?: TraefikGatewayValues["provider"];
  };
  readonly gateway?: TraefikGatewayValues["gateway"];
  readonly gatewayClass?: TraefikGatewayValues["gatewayClass"];
  readonly api: { readonly dashboard: false };
  readonly ingressRoute: { readonly dashboard: { readonly enabled: false } };
  readonly global: { readonly checkNewVersion: boolean; readonly sendAnonymousUsage: boolean };
  readonly log: { readonly level: string };
  readonly accessLog: { readonly enabled: boolean };
  readonly ports: {
    readonly web: EntryPointValues;
    readonly websecure: EntryPointValues;
    readonly [PRIVATE_ENTRY_POINT]?: EntryPointValues;
    readonly [TUNNEL_ENTRY_POINT]?: EntryPointValues;
    readonly traefik?: LoopbackPort;
    readonly metrics?: LoopbackPort;
  };
  readonly resources: TraefikConfig["resources"];
  readonly podSecurityContext: {
    readonly runAsNonRoot: boolean;
    readonly runAsUser: number;
    readonly runAsGroup: number;
    readonly seccompProfile: { readonly type: "RuntimeDefault" };
  };
  readonly securityContext: {
    readonly allowPrivilegeEscalation: false;
    readonly readOnlyRootFilesystem: true;
    readonly capabilities: { readonly drop: readonly ["ALL"]; readonly add?: readonly ["NET_BIND_SERVICE"] };
  };
  readonly certificatesResolvers?: Record<
    string,
    { readonly acme: { readonly email: string; readonly storage: string; readonly httpChallenge: { readonly entryPoint: string } } }
  >;
  readonly persistence?: { readonly enabled: true };
}

interface LoadBalancerService {
  readonly annotations: Record<string, string>;
  readonly spec: { readonly type: "LoadBalancer"; readonly externalTrafficPolicy: "Local" };
}

const CONTROL_PLANE_TOLERATION: IToleration = { key: CONTROL_PLANE_LABEL, operator: "Exists", effect: "NoSchedule" };

/**
 * Helm values for the Traefik chart in the configured placement.
 *
 * @param trustedIPs Cloudflare's ranges from the deploy-time lookup, or undefined when Traefik trusts no forwarder.
 * @param gateway the Gateway provider and Gateway (builders/gateway.ts) when traefik.gatewayApi is enabled.
 * @param tunnelForwarders tunnel entry: cloudflared's sources (builders/tunnel.ts), trusted on the tunnel entry point alone.
 */
export function traefikValues(
  traefik: TraefikConfig,
  cluster: ClusterSpec,
  trustedIPs: readonly string[] | undefined,
  gateway?: TraefikGatewayValues,
  tunnelForwarders?: readonly string[],
): TraefikValues {
  const hostNetwork = PLACEMENT[traefik.placement].hostNetwork;
  return {
    ...workload(traefik),
    hostNetwork,
    ...exposure(traefik, cluster),
    ingressClass: { enabled: true, isDefaultClass: true, name: TRAEFIK_INGRESS_CLASS },
    providers: {
      // Routes keep their Middlewares in the app's own namespace, so no route
      // needs another namespace's objects, and one tenant cannot borrow another's.
      kubernetesCRD: { enabled: true, allowCrossNamespace: false, allowExternalNameServices: traefik.allowExternalNameServices },
      kubernetesIngress: {
        enabled: true,
        allowExternalNameServices: traefik.allowExternalNameServices,
        // pulumi-kubernetes waits for every Ingress until `.status.loadBalancer.ingress` is set
        // (provider/pkg/await/ingress.go), and Traefik writes it only from a published Service or
        // from `ingressEndpoint` (traefik pkg/provider/kubernetes/ingress/kubernetes.go,
        // updateIngressStatus). Host-network placements have no Service for the chart to publish,
        // so they publish the address DNS points at: the VIP, or the first node's address.
        ...(hostNetwork ? { ingressEndpoint: { ip: entryAddresses(traefik, cluster)[0]! } } : {}),
      },
      ...(gateway ? { kubernetesGateway: gateway.provider } : {}),
    },
    ...(gateway ? { gateway: gateway.gateway, gatewayClass: gateway.gatewayClass } : {}),
    // Not exposed: no dashboard router exists, and the API is never served insecurely.
    api: { dashboard: false },
    ingressRoute: { dashboard: { enabled: false } },
    global: { checkNewVersion: false, sendAnonymousUsage: false },
    log: { level: traefik.logLevel },
    accessLog: { enabled: traefik.accessLogs },
    ports: ports(traefik, trustedIPs, tunnelForwarders),
    resources: traefik.resources,
    ...securityContexts(hostNetwork),
    ...(traefik.acme.enabled
      ? {
          certificatesResolvers: {
            [ACME_RESOLVER]: {
              acme: { email: traefik.acme.email, storage: "/data/acme.json", httpChallenge: { entryPoint: WEB_ENTRY_POINT } },
            },
          },
          // Certificates survive restarts, so Let's Encrypt's rate limits are not spent on every rollout.
          persistence: { enabled: true },
        }
      : {}),
  };
}

/** One Traefik per node it tolerates, on the host network. */
const HOST_NETWORK_DAEMONSET = {
  deployment: { kind: "DaemonSet", dnsPolicy: "ClusterFirstWithHostNet" },
  // A pod holding host ports cannot start beside its predecessor, so a rollout
  // replaces pods in place: no surge, one at a time (the chart refuses
  // maxUnavailable 0 with hostNetwork).
  updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
  podDisruptionBudget: { enabled: false },
  tolerations: [CONTROL_PLANE_TOLERATION],
} as const satisfies Pick<TraefikValues, "deployment" | "updateStrategy" | "podDisruptionBudget" | "tolerations">;

function workload(
  traefik: TraefikConfig,
): Pick<
  TraefikValues,
  "deployment" | "updateStrategy" | "podDisruptionBudget" | "topologySpreadConstraints" | "tolerations" | "nodeSelector"
> {
  switch (traefik.placement) {
    case "deployment":
      return {
        deployment: { kind: "Deployment", replicas: traefik.replicas },
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
        // Honor: tainted control planes are not counted as empty domains, which
        // would otherwise leave the second replica Pending on a one-worker cluster.
        topologySpreadConstraints: [
          {
            maxSkew: 1,
            topologyKey: "kubernetes.io/hostname",
            whenUnsatisfiable: "DoNotSchedule",
            nodeTaintsPolicy: "Honor",
            labelSelector: { matchLabels: traefikPodLabels() },
          },
        ],
      };
    case "daemonset":
      // DNS round-robins over every node's address, control planes included,
      // so every node must run Traefik.
      return HOST_NETWORK_DAEMONSET;
    case "controlplane":
      return {
        // One Traefik per control plane rather than a single replica: Talos moves
        // the VIP between control planes (on failure, reboot or upgrade), and a
        // lone replica on another control plane would leave the VIP answering
        // nothing on :80/:443. With one control plane this is exactly one pod.
        ...HOST_NETWORK_DAEMONSET,
        nodeSelector: { [CONTROL_PLANE_LABEL]: "" },
      };
  }
}

/**
 * Local keeps the client's address (Cloudflare's edge when proxied, the LAN
 * client on the private entry): Cluster would SNAT it to a node address that
 * forwardedHeaders.trustedIPs never trusts and every allow-list of the LAN
 * would admit. MetalLB then announces from a node that runs Traefik.
 */
const loadBalancer = (ip: string): LoadBalancerService => ({
  annotations: { "metallb.io/loadBalancerIPs": ip },
  spec: { type: "LoadBalancer", externalTrafficPolicy: "Local" },
});

function exposure(traefik: TraefikConfig, cluster: ClusterSpec): Pick<TraefikValues, "service"> {
  if (PLACEMENT[traefik.placement].hostNetwork) return { service: { enabled: false } };
  const [ip] = entryAddresses(traefik, cluster);
  const privateEntry = privateEntryOf(traefik, cluster);
  return {
    service: {
      enabled: true,
      ...loadBalancer(ip!),
      ...(privateEntry ? { additionalServices: { [PRIVATE_SERVICE]: loadBalancer(privateEntry.addresses[0]!) } } : {}),
    },
  };
}

function ports(
  traefik: TraefikConfig,
  trustedIPs: readonly string[] | undefined,
  tunnelForwarders: readonly string[] | undefined,
): TraefikValues["ports"] {
  const trusted: TrustedSources = { trustedIPs: [...(trustedIPs ?? [])].sort(), insecure: false };
  const proxyProtocol = traefik.proxyProtocol ? { proxyProtocol: trusted } : {};
  const redirect = traefik.redirectToHttps
    ? {
        http: { redirections: { entryPoint: { to: SECURE_ENTRY_POINT, scheme: "https" as const, permanent: true } } },
        // Let's Encrypt's HTTP-01 challenge must reach Traefik over plain HTTP.
        ...(traefik.acme.enabled ? { allowACMEByPass: true } : {}),
      }
    : {};
  const web: EntryPointValues = { ...redirect, forwardedHeaders: trusted, ...proxyProtocol };
  const websecure: EntryPointValues = { forwardedHeaders: trusted, ...proxyProtocol };
  if (!PLACEMENT[traefik.placement].hostNetwork) {
    const lan = Boolean(traefik.privateEntry);
    return {
      // The private entry's Service carries :80 too, so http:// private hosts redirect to their https:// on the same address.
      web: lan ? { ...web, expose: { default: true, [PRIVATE_SERVICE]: true } } : web,
      websecure,
      // LAN clients connect directly: no forwarder is trusted here.
      ...(lan
        ? {
            [PRIVATE_ENTRY_POINT]: {
              port: PRIVATE_ENTRY_PORT,
              exposedPort: 443,
              expose: { default: false, [PRIVATE_SERVICE]: true },
              protocol: "TCP" as const,
            },
          }
        : {}),
      ...(traefik.tunnelEntryPoint
        ? {
            [TUNNEL_ENTRY_POINT]: {
              port: TUNNEL_ENTRY_PORT,
              expose: { default: false },
              protocol: "TCP" as const,
              forwardedHeaders: { trustedIPs: [...(tunnelForwarders ?? [])].sort(), insecure: false },
            },
          }
        : {}),
    };
  }
  return {
    // The chart requires hostPort == port with hostNetwork, so Traefik itself listens on 80/443.
    web: { port: 80, hostPort: 80, ...web },
    websecure: { port: 443, hostPort: 443, ...websecure },
    traefik: loopbackPort(8080),
    // On the host network the metrics entry point would take :9100, where
    // node-exporter listens on the same nodes.
    metrics: loopbackPort(9101),
  };
}

/**
 * Deployment: the restricted profile (non-root 65532, all capabilities dropped);
 * the Service maps 80/443 to Traefik's unprivileged 8000/8443.
 *
 * Host network: Traefik binds :80/:443 on the node. A non-root process gets no
 * effective capabilities from `capabilities.add` (Kubernetes has no ambient
 * capabilities) and the host's unprivileged-port floor is 1024, so non-root
 * 65532 with NET_BIND_SERVICE fails with `bind: permission denied`. Root with
 * every capability dropped except NET_BIND_SERVICE, no privilege escalation
 * and a read-only root filesystem is the narrowest setup that binds with the
 * stock image (the namespace is `privileged` for hostNetwork anyway).
 */
function securityContexts(hostNetwork: boolean): Pick<TraefikValues, "podSecurityContext" | "securityContext"> {
  return {
    podSecurityContext: hostNetwork
      ? { runAsNonRoot: false, runAsUser: 0, runAsGroup: 0, seccompProfile: { type: "RuntimeDefault" } }
      : { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: hostNetwork ? { drop: ["ALL"], add: ["NET_BIND_SERVICE"] } : { drop: ["ALL"] },
    },
  };
}
