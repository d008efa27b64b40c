/**
 * Wildcard certificates: one `*.<zone>` Certificate per configured zone,
 * issued through DNS-01, served from Traefik's default TLS store.
 *
 * Why the default TLS store and not a copy per app namespace: an Ingress's
 * TLS can only name a Secret of its own namespace, so per-namespace
 * wildcards would mean one Certificate (and one ACME order) per namespace and
 * zone, each a fresh CT-log entry. Traefik's default store is global: a route
 * whose TLS names no Secret is served whatever certificate in the store
 * matches its SNI. So the Certificates live in Traefik's namespace, the
 * `default` TLSStore lists them, and covered apps' routes carry TLS without a
 * secretName (and no cert-manager annotation, which would issue per host).
 */
import type { ICertificate } from "@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate";
import type { ITLSStore } from "@kubernetes-models/traefik/traefik.io/v1alpha1/TLSStore";
import { TRAEFIK_NAMESPACE } from "./traefik-names.ts";

/** Traefik reads only the TLSStore named `default`. */
export const DEFAULT_TLS_STORE = "default";

/** `wildcard-example-com`, the Certificate's and its Secret's name. */
export function wildcardSecretName(zone: string): string {
  return `wildcard-${zone.replaceAll(".", "-")}`;
}

const labels = { "app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/component": "wildcard-certificate" };

export function wildcardCertificateManifest(
  zone: string,
  issuer: string,
): ICertificate & { metadata: { name: string; namespace: string } } {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name: wildcardSecretName(zone), namespace: TRAEFIK_NAMESPACE, labels },
    spec: {
      secretName: wildcardSecretName(zone),
      // The apex too: `*.<zone>` does not match the zone's own name.
      dnsNames: [`*.${zone}`, zone],
      issuerRef: { group: "cert-manager.io", kind: "ClusterIssuer", name: issuer },
    },
  };
}

/** The default TLS store with every wildcard; the first zone's is also the certificate for unmatched SNI. */
export function defaultTlsStoreManifest(zones: readonly string[]): ITLSStore & { metadata: { name: string; namespace: string } } {
  return {
    apiVersion: "traefik.io/v1alpha1",
    kind: "TLSStore",
    metadata: { name: DEFAULT_TLS_STORE, namespace: TRAEFIK_NAMESPACE, labels },
    spec: {
      certificates: zones.map((zone) => ({ secretName: wildcardSecretName(zone) })),
      defaultCertificate: { secretName: wildcardSecretName(zones[0]!) },
    },
  };
}
