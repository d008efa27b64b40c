/**
 * cert-manager: Helm release, the Cloudflare token Secret, Let's Encrypt ClusterIssuers.
 */
import * as pulumi from "@pulumi/pulumi";
import { Namespace } from "@pulumi/kubernetes/core/v1/namespace.js";
import { Secret } from "@pulumi/kubernetes/core/v1/secret.js";
import { Release } from "@pulumi/kubernetes/helm/v3/release.js";
import { CustomResource } from "@pulumi/kubernetes/apiextensions/customResource.js";
import type { HomelabConfig } from "../model/resolve.ts";
import { namespaceManifest } from "../builders/namespaces.ts";
import { chartRelease } from "../builders/helm.ts";
import {
  CERT_MANAGER_NAMESPACE,
  CERT_MANAGER_RELEASE,
  CLOUDFLARE_TOKEN_SECRET,
  certManagerValues,
  clusterIssuerManifests,
} from "../builders/cert-manager.ts";
import { COMPONENTS } from "../contract/tokens.ts";

/** The ClusterIssuers routes may name. */
export interface Issuers {
  readonly names: readonly string[];
  readonly defaultIssuer: string;
  /** Certificates and annotated Ingresses depend on these. */
  readonly ready: readonly pulumi.Resource[];
}

export interface CertManagerArgs {
  readonly certManager: HomelabConfig["certManager"];
  /** The Cloudflare zone, the default DNS-01 solver scope. */
  readonly zone: string;
  readonly cloudflareApiToken: pulumi.Output<string>;
  /** The Gateway API CRDs, when Gateway support is on: the controller watches Gateways from its start. */
  readonly gatewayApiCrds?: pulumi.Resource;
}

export class CertManager extends pulumi.ComponentResource {
  readonly issuers: Issuers;
  constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENTS.certManager, name, {}, opts);
    const cm = args.certManager;

    const namespace = new Namespace(`${name}-namespace`, namespaceManifest(CERT_MANAGER_NAMESPACE, "restricted"), { parent: this });
    // Waits for the webhook (and the chart's startupapicheck hook): a
    // ClusterIssuer sent before the webhook answers is refused.
    const release = new Release(
      `${name}-release`,
      {
        ...chartRelease(CERT_MANAGER_RELEASE, CERT_MANAGER_NAMESPACE, cm.chart),
        values: certManagerValues(cm, Boolean(args.gatewayApiCrds)),
      },
      { parent: this, dependsOn: [namespace, ...(args.gatewayApiCrds ? [args.gatewayApiCrds] : [])] },
    );

    // The token stays a Pulumi secret; the issuers only name the Secret, never its value.
    const token = new Secret(
      `${name}-cloudflare-token`,
      {
        metadata: { name: CLOUDFLARE_TOKEN_SECRET.name, namespace: CERT_MANAGER_NAMESPACE },
        type: "Opaque",
        stringData: { [CLOUDFLARE_TOKEN_SECRET.key]: pulumi.secret(args.cloudflareApiToken) },
      },
      { parent: this, dependsOn: [namespace] },
    );

    const manifests = clusterIssuerManifests(cm, args.zone);
    const issuers = manifests.map(
      (manifest) => new CustomResource(`${name}-issuer-${manifest.metadata.name}`, manifest, { parent: this, dependsOn: [release, token] }),
    );

    this.issuers = {
      names: manifests.map((m) => m.metadata.name),
      defaultIssuer: cm.defaultIssuer,
      ready: issuers,
    };
    this.registerOutputs({ issuers: this.issuers.names, defaultIssuer: cm.defaultIssuer });
  }
}
