/**
 * The app namespaces: Pod Security labels and optional default-deny on the
 * ones the stack creates, and in every namespace holding a policed app the one
 * NetworkPolicy that lets Traefik in. NetworkPolicies only where the cluster
 * enforces them: elsewhere they would look like isolation and be none.
 */
import * as pulumi from "@pulumi/pulumi";
import { Namespace } from "@pulumi/kubernetes/core/v1/namespace.js";
import { NetworkPolicy } from "@pulumi/kubernetes/networking/v1/networkPolicy.js";
import type { HomelabConfig } from "../model/resolve.ts";
import type { IngressEntry } from "./traefik.ts";
import { namespaceManifest } from "../builders/namespaces.ts";
import { allowTraefikManifest, allowTraefikNamespaces, defaultDenyManifest } from "../builders/network-policies.ts";
import { withEnforcer } from "../builders/network-policies.ts";
import { COMPONENTS } from "../contract/tokens.ts";

export interface AppNamespacesArgs {
  readonly namespaces: HomelabConfig["namespaces"];
  /** Which namespaces need Traefik admitted. */
  readonly apps: HomelabConfig["apps"];
  /** Who Traefik's connections come from. */
  readonly entry: IngressEntry;
  /** What enforces NetworkPolicies on the cluster (model/network-policies.ts networkPolicyEnforcer); none are registered without it. */
  readonly networkPolicyEnforcer: string | undefined;
}

export class AppNamespaces extends pulumi.ComponentResource {
  /** Routes in these namespaces depend on them. */
  readonly ready: readonly pulumi.Resource[];
  constructor(name: string, args: AppNamespacesArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENTS.appNamespaces, name, {}, opts);
    const created = new Map(
      args.namespaces.map((ns) => [
        ns.name,
        new Namespace(`${name}-${ns.name}`, namespaceManifest(ns.name, ns.podSecurity), { parent: this }),
      ]),
    );
    // A namespace the stack does not create (an app's own, deployed elsewhere)
    // still gets its policy: the app's pods are there all the same.
    const enforcer = args.networkPolicyEnforcer;
    const policed = enforcer ? allowTraefikNamespaces(args.apps) : [];
    const allowTraefik = new Map(
      policed.map((ns) => {
        const namespace = created.get(ns);
        return [
          ns,
          new NetworkPolicy(`${name}-${ns}-allow-traefik`, withEnforcer(allowTraefikManifest(ns, args.entry), enforcer!), {
            parent: this,
            ...(namespace ? { dependsOn: [namespace] } : {}),
          }),
        ];
      }),
    );
    const ready: pulumi.Resource[] = [...created.values(), ...allowTraefik.values()];
    for (const ns of enforcer ? args.namespaces.filter((n) => n.defaultDeny) : []) {
      // Deny goes live after the allow, so Traefik is never locked out in between.
      const allow = allowTraefik.get(ns.name);
      ready.push(
        new NetworkPolicy(`${name}-${ns.name}-default-deny`, withEnforcer(defaultDenyManifest(ns.name), enforcer!), {
          parent: this,
          dependsOn: [created.get(ns.name)!, ...(allow ? [allow] : [])],
        }),
      );
    }
    this.ready = ready;
    this.registerOutputs({ namespaces: args.namespaces.map((ns) => ns.name), allowTraefik: [...allowTraefik.keys()] });
  }
}
