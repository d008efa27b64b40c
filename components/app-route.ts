/**
 * One app's way in: DNS records, Ingress or IngressRoute, middlewares, TLS, NetworkPolicy.
 */
import * as pulumi from "@pulumi/pulumi";
import type { AppSpec, HomelabConfig } from "../config/resolve.ts";
import type { IngressEntry } from "./traefik.ts";
import type { Issuers } from "./cert-manager.ts";
import type { CloudflareRanges } from "./cloudflare.ts";

export interface AppRouteArgs {
  readonly app: AppSpec;
  readonly entry: IngressEntry;
  readonly issuers: Issuers;
  readonly dns: HomelabConfig["dns"];
  readonly zoneId: pulumi.Output<string>;
  readonly cloudflareRanges: CloudflareRanges | undefined;
  /** htpasswd lines from the app's secret config key. */
  readonly basicAuthUsers?: pulumi.Output<string>;
}

export class AppRoute extends pulumi.ComponentResource {
  constructor(name: string, args: AppRouteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("homelab:routes:AppRoute", name, {}, opts);
    throw new Error(`TODO(issue 6) ${args.app.name}`);
  }
}
