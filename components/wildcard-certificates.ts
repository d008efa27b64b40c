/**
 * The wildcard certificates of certManager.wildcardZones and Traefik's
 * default TLS store that serves them (builders/wildcard-certs.ts explains the
 * placement). Routes of covered apps depend on `ready`.
 */
import * as pulumi from "@pulumi/pulumi";
import { CustomResource } from "@pulumi/kubernetes/apiextensions/customResource.js";
import type { Issuers } from "./cert-manager.ts";
import type { IngressEntry } from "./traefik.ts";
import { defaultTlsStoreManifest, wildcardCertificateManifest } from "../builders/wildcard-certs.ts";
import { COMPONENTS } from "../contract/tokens.ts";

export interface WildcardCertificatesArgs {
  readonly zones: readonly string[];
  readonly issuer: string;
  readonly issuers: Issuers;
  /** Traefik's CRDs (TLSStore) and namespace. */
  readonly entry: IngressEntry;
}

export class WildcardCertificates extends pulumi.ComponentResource {
  readonly ready: readonly pulumi.Resource[];
  constructor(name: string, args: WildcardCertificatesArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENTS.wildcardCertificates, name, {}, opts);
    const child = { parent: this };
    const certificates = args.zones.map(
      (zone) =>
        new CustomResource(`${name}-${zone}`, wildcardCertificateManifest(zone, args.issuer), {
          ...child,
          dependsOn: [...args.issuers.ready, ...args.entry.ready],
        }),
    );
    const store = new CustomResource(`${name}-default-tls-store`, defaultTlsStoreManifest(args.zones), {
      ...child,
      dependsOn: [...args.entry.ready, ...certificates],
    });
    this.ready = [...certificates, store];
    this.registerOutputs({ zones: [...args.zones] });
  }
}
