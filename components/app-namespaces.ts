/**
 * The app namespaces the stack creates: Pod Security labels and optional default-deny.
 */
import * as pulumi from "@pulumi/pulumi";
import { Namespace } from "@pulumi/kubernetes/core/v1/namespace.js";
import { NetworkPolicy } from "@pulumi/kubernetes/networking/v1/networkPolicy.js";
import type { HomelabConfig } from "../config/resolve.ts";
import { namespaceManifest } from "../lib/namespaces.ts";
import { defaultDenyManifest } from "../lib/routes.ts";

export interface AppNamespacesArgs {
  readonly namespaces: HomelabConfig["namespaces"];
}

export class AppNamespaces extends pulumi.ComponentResource {
  /** Routes in these namespaces depend on them. */
  readonly ready: readonly pulumi.Resource[];
  constructor(name: string, args: AppNamespacesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("homelab:routes:AppNamespaces", name, {}, opts);
    const ready: pulumi.Resource[] = [];
    for (const ns of args.namespaces) {
      const namespace = new Namespace(`${name}-${ns.name}`, namespaceManifest(ns.name, ns.podSecurity), { parent: this });
      ready.push(namespace);
      if (ns.defaultDeny) {
        ready.push(new NetworkPolicy(`${name}-${ns.name}-default-deny`, defaultDenyManifest(ns.name), { parent: this, dependsOn: [namespace] }));
      }
    }
    this.ready = ready;
    this.registerOutputs({ namespaces: args.namespaces.map((ns) => ns.name) });
  }
}
