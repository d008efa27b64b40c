/**
 * The Cloudflare Tunnel entry: the tunnel, its ingress rules (kept in
 * Cloudflare), cloudflared in the cluster with the tunnel's token, and the
 * Service it reaches Traefik through. Specs come from builders/tunnel.ts; this
 * component registers them in dependency order.
 */
import * as pulumi from "@pulumi/pulumi";
import { Namespace } from "@pulumi/kubernetes/core/v1/namespace.js";
import { Secret } from "@pulumi/kubernetes/core/v1/secret.js";
import { Service } from "@pulumi/kubernetes/core/v1/service.js";
import { Deployment } from "@pulumi/kubernetes/apps/v1/deployment.js";
import { PodDisruptionBudget } from "@pulumi/kubernetes/policy/v1/podDisruptionBudget.js";
import { NetworkPolicy } from "@pulumi/kubernetes/networking/v1/networkPolicy.js";
import { ZeroTrustTunnelCloudflared } from "@pulumi/cloudflare/zeroTrustTunnelCloudflared.js";
import { ZeroTrustTunnelCloudflaredConfig } from "@pulumi/cloudflare/zeroTrustTunnelCloudflaredConfig.js";
import { getZeroTrustTunnelCloudflaredTokenOutput } from "@pulumi/cloudflare/getZeroTrustTunnelCloudflaredToken.js";
import type { HomelabConfig, TunnelSpec } from "../model/resolve.ts";
import { withEnforcer } from "../builders/network-policies.ts";
import { traefikOpenPorts } from "../builders/traefik-values.ts";
import type { IngressEntry } from "./traefik.ts";
import { zoneAccountId } from "./cloudflare.ts";
import { namespaceManifest } from "../builders/namespaces.ts";
import {
  TUNNEL_TOKEN_KEY,
  cloudflaredDeploymentManifest,
  cloudflaredPdbManifest,
  tunnelCnameTarget,
  tunnelEntryPolicyManifest,
  tunnelOriginServiceManifest,
  tunnelTokenSecretManifest,
  tunnelTrustReason,
  type TunnelIngressRule,
} from "../builders/tunnel.ts";
import { COMPONENTS } from "../contract/tokens.ts";

export interface CloudflareTunnelArgs {
  readonly tunnel: TunnelSpec;
  /** The zone, whose account owns the tunnel unless tunnel.accountId names another. */
  readonly dns: HomelabConfig["dns"];
  readonly ingressRules: readonly TunnelIngressRule[];
  /** Traefik's release: the origin Service lives in its namespace. */
  readonly entry: IngressEntry;
  /**
   * Whether Traefik has a tunnel entry point of its own (HomelabConfig.traefik.tunnelEntryPoint), its
   * placement, and what sets the container ports every client may still open (builders/traefik-values.ts traefikOpenPorts).
   */
  readonly traefik: Pick<HomelabConfig["traefik"], "tunnelEntryPoint" | "placement" | "privateEntry" | "chart">;
  /** What enforces NetworkPolicies on this cluster, if anything: a tunnel entry point exists only where something does. */
  readonly networkPolicyEnforcer: string | undefined;
}

export class CloudflareTunnel extends pulumi.ComponentResource {
  /** `<tunnel id>.cfargotunnel.com`, what tunnelled hosts' proxied CNAMEs point at. */
  readonly cnameTarget: pulumi.Output<string>;
  /** DNS records go live after these: the ingress rules and a connector to serve them. */
  readonly ready: readonly pulumi.Resource[];
  constructor(name: string, args: CloudflareTunnelArgs, opts?: pulumi.ComponentResourceOptions) {
    // Stack policies (traefik-forwarded-headers-cloudflare-only, the tunnel rules) read these from the
    // component's outputs, which are exactly what it registers below.
    const facts = {
      name: args.tunnel.name,
      ingressRules: args.ingressRules,
      forwarders: args.tunnel.forwarders,
      trustReason: tunnelTrustReason(args.traefik),
    };
    super(COMPONENTS.cloudflareTunnel, name, facts, opts);
    const { tunnel } = args;
    const accountId = tunnel.accountId ?? zoneAccountId(args.dns);
    // A component's provider applies to its children of that provider's package only: these stay Cloudflare's.
    const cloudflare = { parent: this };
    // Tunnel names are unique in an account: a replacement (another account, say) must delete the old tunnel first.
    const created = new ZeroTrustTunnelCloudflared(
      `${name}`,
      { accountId, name: tunnel.name, configSrc: "cloudflare" },
      { ...cloudflare, deleteBeforeReplace: true },
    );
    const config = new ZeroTrustTunnelCloudflaredConfig(
      `${name}-config`,
      {
        accountId,
        tunnelId: created.id,
        config: {
          ingresses: args.ingressRules.map((r) => ({ ...r, ...(r.originRequest ? { originRequest: { ...r.originRequest } } : {}) })),
        },
      },
      cloudflare,
    );
    // The token is the tunnel's credential: a Pulumi secret, and in the cluster a Kubernetes Secret, nowhere else.
    const token = pulumi.secret(getZeroTrustTunnelCloudflaredTokenOutput({ accountId, tunnelId: created.id }).token);

    const child = { parent: this };
    const namespace = new Namespace(`${name}-namespace`, namespaceManifest(tunnel.namespace, "restricted"), child);
    const secret = new Secret(
      `${name}-token`,
      { ...tunnelTokenSecretManifest(tunnel), stringData: { [TUNNEL_TOKEN_KEY]: token } },
      { ...child, dependsOn: [namespace] },
    );
    // The entry point that trusts cloudflared's forwarded headers is closed to every other pod before the origin Service leads to it.
    const enforcer = args.traefik.tunnelEntryPoint ? args.networkPolicyEnforcer : undefined;
    const entryPolicy = enforcer
      ? [
          new NetworkPolicy(
            `${name}-entry-policy`,
            withEnforcer(tunnelEntryPolicyManifest(tunnel, traefikOpenPorts(args.traefik)), enforcer),
            { ...child, dependsOn: [...args.entry.ready] },
          ),
        ]
      : [];
    const origin = new Service(`${name}-origin`, tunnelOriginServiceManifest(args.traefik), {
      ...child,
      dependsOn: [...args.entry.ready, ...entryPolicy],
    });
    const deployment = new Deployment(`${name}-cloudflared`, cloudflaredDeploymentManifest(tunnel), {
      ...child,
      dependsOn: [namespace, secret, origin, config],
    });
    new PodDisruptionBudget(`${name}-cloudflared`, cloudflaredPdbManifest(tunnel), { ...child, dependsOn: [namespace] });

    this.cnameTarget = created.id.apply(tunnelCnameTarget);
    this.ready = [config, deployment];
    this.registerOutputs({ ...facts, tunnelId: created.id, cnameTarget: this.cnameTarget });
  }
}
