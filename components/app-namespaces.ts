/**
 * The app namespaces the stack creates: Pod Security labels and optional default-deny.
 */
import * as pulumi from "@pulumi/pulumi";
import type { HomelabConfig } from "../config/resolve.ts";
import type { IngressEntry } from "./traefik.ts";

export interface AppNamespacesArgs {
  readonly namespaces: HomelabConfig["namespaces"];
  readonly entry: IngressEntry;
}

export class AppNamespaces extends pulumi.ComponentResource {
  /** Routes in these namespaces depend on them. */
  readonly ready: readonly pulumi.Resource[];
  constructor(name: string, args: AppNamespacesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("homelab:routes:AppNamespaces", name, {}, opts);
    throw new Error(`TODO(issue 6) ${args.namespaces.length}`);
  }
}
