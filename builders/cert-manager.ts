/**
 * cert-manager: the chart's values and the Let's Encrypt ClusterIssuers that
 * answer ACME DNS-01 challenges through Cloudflare.
 */
import type { IClusterIssuer } from "@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer";
import type { HomelabConfig } from "../model/resolve.ts";
import { LETS_ENCRYPT_SERVERS } from "../model/defaults.ts";

type CertManagerConfig = HomelabConfig["certManager"];

export const CERT_MANAGER_NAMESPACE = "cert-manager";
export const CERT_MANAGER_RELEASE = "cert-manager";
/** The Secret (in cert-manager's namespace) that holds the Cloudflare API token for DNS-01. */
export const CLOUDFLARE_TOKEN_SECRET = { name: "cloudflare-api-token", key: "api-token" } as const;

export interface CertManagerValues {
  readonly crds: { readonly enabled: true; readonly keep: true };
  readonly dns01RecursiveNameservers: string;
  readonly dns01RecursiveNameserversOnly: boolean;
  readonly config?: {
    readonly apiVersion: "controller.config.cert-manager.io/v1alpha1";
    readonly kind: "ControllerConfiguration";
    readonly gatewayAPI: { readonly enabled: true };
  };
}

/**
 * Helm values for the cert-manager chart. The chart's own security contexts
 * already meet Pod Security `restricted` (non-root, seccomp RuntimeDefault,
 * all capabilities dropped, read-only root filesystem), so none is overridden.
 */
export function certManagerValues(cm: CertManagerConfig, gatewayApi = false): CertManagerValues {
  return {
    // keep: uninstalling the release must not delete the CRDs, and with them every Certificate.
    crds: { enabled: true, keep: true },
    // The DNS-01 self-check asks public resolvers: a homelab's own DNS often
    // answers its zone differently inside the LAN (split horizon) and never sees
    // the challenge record, so the check would wait forever.
    dns01RecursiveNameservers: cm.recursiveNameservers.join(","),
    dns01RecursiveNameserversOnly: cm.recursiveNameserversOnly,
    // The gateway-shim issues the Gateway's listener certificates. It is off by
    // default and, once on, needs the Gateway API CRDs before the controller starts.
    ...(gatewayApi
      ? {
          config: {
            apiVersion: "controller.config.cert-manager.io/v1alpha1",
            kind: "ControllerConfiguration",
            gatewayAPI: { enabled: true },
          },
        }
      : {}),
  };
}

/** The DNS zones an issuer's DNS-01 solver answers for: its own list, else the stack's zone. */
export function solverZones(issuer: Pick<CertManagerConfig["issuers"][string], "dnsZones">, zone: string): readonly string[] {
  return issuer.dnsZones ?? [zone];
}

/** One ClusterIssuer per configured issuer, sorted by name. */
export function clusterIssuerManifests(cm: CertManagerConfig, zone: string): (IClusterIssuer & { metadata: { name: string } })[] {
  return Object.entries(cm.issuers)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, issuer]) => ({
      apiVersion: "cert-manager.io/v1",
      kind: "ClusterIssuer",
      metadata: { name },
      spec: {
        acme: {
          server: LETS_ENCRYPT_SERVERS[issuer.environment],
          email: cm.email,
          privateKeySecretRef: { name: `${name}-account-key` },
          solvers: [
            {
              selector: { dnsZones: [...solverZones(issuer, zone)] },
              dns01: { cloudflare: { apiTokenSecretRef: { name: CLOUDFLARE_TOKEN_SECRET.name, key: CLOUDFLARE_TOKEN_SECRET.key } } },
            },
          ],
        },
      },
    }));
}
