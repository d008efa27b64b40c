/**
 * cert-manager: Helm release, the Cloudflare token Secret, Let's Encrypt ClusterIssuers.
 */
import * as pulumi from "@pulumi/pulumi";
import type { HomelabConfig } from "../config/resolve.ts";

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
}

export class CertManager extends pulumi.ComponentResource {
  readonly issuers: Issuers;
  constructor(name: string, args: CertManagerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("homelab:platform:CertManager", name, {}, opts);
    throw new Error(`TODO(issue 5) ${args.zone}`);
  }
}
