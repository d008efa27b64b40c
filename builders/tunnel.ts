/**
 * The Cloudflare Tunnel entry: the tunnel's ingress rules, the cloudflared
 * workload that runs it in the cluster, the ClusterIP Service cloudflared
 * reaches Traefik through, and the sources Traefik trusts forwarded headers
 * from. Pure: plain config in, plain objects out; components/cloudflare-tunnel.ts
 * registers them.
 */
// Pulumi's own input type: kubernetes-models' Deployment differs from it in resourceFieldRef.divisor.
import type { apps } from "@pulumi/kubernetes/types/input.js";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IService } from "kubernetes-models/v1/Service";
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { AppSpec, HomelabConfig, TunnelSpec } from "../model/resolve.ts";
import { DEFAULTS } from "../model/defaults.ts";
import { PLACEMENT } from "../model/placement.ts";
import { TRAEFIK_NAMESPACE, TUNNEL_ENTRY_POINT, TUNNEL_ENTRY_PORT } from "./traefik-names.ts";
import { traefikPodLabels } from "./traefik-entry.ts";
import type { NetworkPolicyManifest } from "./network-policies.ts";

/** The ClusterIP Service in front of Traefik's pods that the tunnel's ingress rules name, in every placement. */
export const TUNNEL_ORIGIN_SERVICE = "traefik-tunnel-origin";
/** Traefik's TLS entry point's container port name, the same in the Deployment and the host-network DaemonSet. */
const SECURE_PORT_NAME = "websecure";
const CLOUDFLARED = "cloudflared";
export const TUNNEL_TOKEN_SECRET = "cloudflared-token";
/** The environment variable `cloudflared tunnel run` reads its token from. */
export const TUNNEL_TOKEN_KEY = "TUNNEL_TOKEN";
/** Cloudflare's answer for a request no rule matches; the API requires a final rule without a hostname. */
export const CATCH_ALL_SERVICE = "http_status:404";
/** A tunnelled host's proxied CNAME target: `<tunnel id>.cfargotunnel.com`. */
export const TUNNEL_CNAME_SUFFIX = "cfargotunnel.com";

export function tunnelCnameTarget(tunnelId: string): string {
  return `${tunnelId}.${TUNNEL_CNAME_SUFFIX}`;
}

/** `https://traefik-tunnel-origin.traefik.svc.cluster.local:443`: cloudflared speaks TLS to Traefik's websecure entry point. */
export function tunnelOriginUrl(): string {
  return `https://${TUNNEL_ORIGIN_SERVICE}.${TRAEFIK_NAMESPACE}.svc.cluster.local:443`;
}

/** Whether an app's hosts go through the tunnel: proxied, not private, in a stack whose entry is a tunnel. */
export function isTunnelled(app: Pick<AppSpec, "proxied" | "private">, tunnel: TunnelSpec | undefined): boolean {
  return Boolean(tunnel) && app.proxied && !app.private;
}

export interface TunnelIngressRule {
  readonly hostname?: string;
  readonly service: string;
  readonly originRequest?: {
    /** SNI and certificate name cloudflared expects, so Traefik serves the host's own certificate and cloudflared verifies it. */
    readonly originServerName: string;
    readonly http2Origin: true;
    /** Only for hosts whose certificate comes from Let's Encrypt staging, which no trust store accepts. */
    readonly noTlsVerify?: true;
  };
}

/**
 * One rule per tunnelled host, sorted, every one to Traefik's origin Service,
 * then the catch-all 404. TLS from cloudflared to Traefik is verified
 * against the host's own certificate (cert-manager's), except for
 * staging-issued ones.
 */
export function tunnelIngressRules(config: Pick<HomelabConfig, "apps" | "certManager" | "tunnel">): TunnelIngressRule[] {
  const staging = new Set(
    Object.entries(config.certManager.issuers)
      .filter(([, i]) => i.environment === "staging")
      .map(([name]) => name),
  );
  const byHost = new Map<string, boolean>();
  for (const app of config.apps.filter((a) => isTunnelled(a, config.tunnel))) {
    for (const host of app.hosts) byHost.set(host, staging.has(app.issuer));
  }
  const rules: TunnelIngressRule[] = [...byHost.keys()].sort().map((host) => ({
    hostname: host,
    service: tunnelOriginUrl(),
    originRequest: { originServerName: host, http2Origin: true, ...(byHost.get(host) ? { noTlsVerify: true as const } : {}) },
  }));
  return [...rules, { service: CATCH_ALL_SERVICE }];
}

/** Why the tunnel's trusted forwarders are what they are, for the summary and the CloudflareTunnel component's record. */
export function tunnelTrustReason(traefik: Pick<HomelabConfig["traefik"], "tunnelEntryPoint" | "placement">): string {
  return traefik.tunnelEntryPoint
    ? `the tunnel entry point (:${TUNNEL_ENTRY_PORT}) alone trusts them, and the NetworkPolicy ${TUNNEL_ENTRY_POLICY} admits cloudflared's pods alone to it (their addresses change with every rollout, so an address list cannot name them)`
    : !PLACEMENT[traefik.placement].hostNetwork
      ? "the cluster enforces no NetworkPolicy, so nothing keeps other pods off a trusted entry point: Traefik trusts no forwarder and apps see cloudflared as the client"
      : `Traefik runs on the host network (placement ${traefik.placement}), where no NetworkPolicy applies and cloudflared's connections cannot be told from other pods' or host processes': Traefik trusts no forwarder and apps see cloudflared as the client`;
}

/** The NetworkPolicy that keeps every pod but cloudflared off the tunnel entry point. */
export const TUNNEL_ENTRY_POLICY = "traefik-tunnel-entry";

/**
 * Selects Traefik's pods: cloudflared's pods (by namespace and labels) may
 * open the tunnel entry point; every client may open the other entry points
 * (web, websecure, the private entry, and the chart's traefik and metrics
 * ports for probes and scrapes). A NetworkPolicy selecting a pod denies what
 * it does not allow, so the tunnel port is closed to every other pod.
 */
export function tunnelEntryPolicyManifest(tunnel: Pick<TunnelSpec, "namespace">, openPorts: readonly number[]): NetworkPolicyManifest {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: {
      name: TUNNEL_ENTRY_POLICY,
      namespace: TRAEFIK_NAMESPACE,
      labels: { "app.kubernetes.io/component": TUNNEL_ENTRY_POLICY, "app.kubernetes.io/managed-by": "pulumi" },
    },
    spec: {
      podSelector: { matchLabels: traefikPodLabels() },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": tunnel.namespace } },
              podSelector: { matchLabels: cloudflaredSelector() },
            },
          ],
          ports: [{ port: TUNNEL_ENTRY_PORT, protocol: "TCP" }],
        },
        { ports: [...openPorts].sort((a, b) => a - b).map((port) => ({ port, protocol: "TCP" })) },
      ],
    },
  };
}

const cloudflaredLabels = () => ({ "app.kubernetes.io/name": CLOUDFLARED, "app.kubernetes.io/managed-by": "pulumi" });
const cloudflaredSelector = () => ({ "app.kubernetes.io/name": CLOUDFLARED });

/** The Service the tunnel's rules point at: Traefik's pods, port 443 → the tunnel entry point when it has one, else websecure. */
export function tunnelOriginServiceManifest(
  traefik: Pick<HomelabConfig["traefik"], "tunnelEntryPoint">,
): IService & { metadata: { name: string; namespace: string } } {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: TUNNEL_ORIGIN_SERVICE,
      namespace: TRAEFIK_NAMESPACE,
      labels: { "app.kubernetes.io/name": TUNNEL_ORIGIN_SERVICE, "app.kubernetes.io/managed-by": "pulumi" },
    },
    spec: {
      type: "ClusterIP",
      selector: traefikPodLabels(),
      ports: [{ name: "https", port: 443, targetPort: traefik.tunnelEntryPoint ? TUNNEL_ENTRY_POINT : SECURE_PORT_NAME, protocol: "TCP" }],
    },
  };
}

/** The token Secret without its data; the component adds the token as a Pulumi secret. */
export function tunnelTokenSecretManifest(
  tunnel: Pick<TunnelSpec, "namespace">,
): ISecret & { metadata: { name: string; namespace: string } } {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: TUNNEL_TOKEN_SECRET, namespace: tunnel.namespace, labels: cloudflaredLabels() },
    type: "Opaque",
  };
}

/**
 * cloudflared with the restricted Pod Security profile: non-root (the image's
 * 65532), read-only root, no capabilities, RuntimeDefault seccomp, no service
 * account token (it talks only to Cloudflare). Replicas are spread over nodes
 * and roll one at a time with a surge, so the tunnel keeps a connector while
 * a node drains or the image changes.
 */
export function cloudflaredDeploymentManifest(tunnel: TunnelSpec): apps.v1.Deployment & { metadata: { name: string; namespace: string } } {
  const port = DEFAULTS.tunnel.metricsPort;
  const probe = { httpGet: { path: "/ready", port: "metrics" } };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: CLOUDFLARED, namespace: tunnel.namespace, labels: cloudflaredLabels() },
    spec: {
      replicas: tunnel.replicas,
      selector: { matchLabels: cloudflaredSelector() },
      strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: cloudflaredLabels() },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: "RuntimeDefault" } },
          // Honor: tainted control planes are not counted as empty domains (as for Traefik's replicas).
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: "kubernetes.io/hostname",
              whenUnsatisfiable: "DoNotSchedule",
              nodeTaintsPolicy: "Honor",
              labelSelector: { matchLabels: cloudflaredSelector() },
            },
          ],
          containers: [
            {
              name: CLOUDFLARED,
              image: tunnel.image,
              // The token carries the tunnel's id and credentials; the ingress rules live in Cloudflare (configSrc cloudflare).
              args: ["tunnel", "--no-autoupdate", "--metrics", `0.0.0.0:${port}`, "run"],
              env: [{ name: TUNNEL_TOKEN_KEY, valueFrom: { secretKeyRef: { name: TUNNEL_TOKEN_SECRET, key: TUNNEL_TOKEN_KEY } } }],
              ports: [{ name: "metrics", containerPort: port, protocol: "TCP" }],
              // /ready answers 200 only while the connector holds a connection to Cloudflare's edge.
              readinessProbe: { ...probe, periodSeconds: 10, failureThreshold: 3 },
              livenessProbe: { ...probe, initialDelaySeconds: 10, periodSeconds: 10, failureThreshold: 6 },
              resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ["ALL"] },
              },
            },
          ],
        },
      },
    },
  };
}

/** At most one connector down at a time by eviction (drains, upgrades). */
export function cloudflaredPdbManifest(
  tunnel: Pick<TunnelSpec, "namespace">,
): IPodDisruptionBudget & { metadata: { name: string; namespace: string } } {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: CLOUDFLARED, namespace: tunnel.namespace, labels: cloudflaredLabels() },
    spec: { maxUnavailable: 1, selector: { matchLabels: cloudflaredSelector() } },
  };
}
