/**
 * One app's way in: DNS records, Ingress, IngressRoute, HTTPRoute or GRPCRoute, middlewares, TLS.
 * The manifests come from builders/routes.ts and the records from builders/dns.ts; this
 * component only registers them, in dependency order. The NetworkPolicy that
 * admits Traefik is the namespace's (AppNamespaces), shared by its apps.
 */
import * as pulumi from "@pulumi/pulumi";
import { CustomResource } from "@pulumi/kubernetes/apiextensions/customResource.js";
import { EndpointSlice } from "@pulumi/kubernetes/discovery/v1/endpointSlice.js";
import { Secret } from "@pulumi/kubernetes/core/v1/secret.js";
import { Service } from "@pulumi/kubernetes/core/v1/service.js";
import { Ingress } from "@pulumi/kubernetes/networking/v1/ingress.js";
import { DnsRecord } from "@pulumi/cloudflare/dnsRecord.js";
import type { AppSpec, HomelabConfig } from "../model/resolve.ts";
import type { IngressEntry } from "./traefik.ts";
import type { Issuers } from "./cert-manager.ts";
import type { CloudflareRanges } from "./cloudflare.ts";
import { routeManifests, type RouteManifests } from "../builders/routes.ts";
import { appDnsRecords, managedByComment } from "../builders/dns.ts";
import { COMPONENTS } from "../contract/tokens.ts";

export interface AppRouteArgs {
  readonly app: AppSpec;
  readonly entry: IngressEntry;
  readonly issuers: Issuers;
  readonly dns: HomelabConfig["dns"];
  readonly zoneId: pulumi.Output<string>;
  readonly cloudflareRanges: CloudflareRanges | undefined;
  /** Tunnel entry: `<tunnel id>.cfargotunnel.com`, which the app's proxied hosts are CNAMEs to. */
  readonly tunnelTarget?: pulumi.Output<string>;
  /** Tunnel entry: the records go live after the tunnel's ingress rules and connectors. */
  readonly tunnelReady?: readonly pulumi.Resource[];
  /** htpasswd lines from the app's secret config key. */
  readonly basicAuthUsers?: pulumi.Output<string>;
}

export class AppRoute extends pulumi.ComponentResource {
  constructor(name: string, args: AppRouteArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENTS.appRoute, name, {}, opts);
    const { app, entry, issuers } = args;
    if (!issuers.names.includes(app.issuer)) {
      throw new pulumi.ResourceError(
        `apps.${app.name}.issuer ${app.issuer} is not one of the ClusterIssuers (${issuers.names.join(", ")})`,
        this,
      );
    }
    const m = routeManifests(app, entry);
    const child = { parent: this };
    const crds = [...entry.ready];

    const basicAuthSecret = m.basicAuthSecret && this.basicAuthSecret(name, app, m.basicAuthSecret, args.basicAuthUsers);
    const middlewares = m.middlewares.map(({ kind, manifest, specWithCloudflareRanges }) => {
      const spec = specWithCloudflareRanges
        ? this.cloudflareRanges(app, args.cloudflareRanges).apply(specWithCloudflareRanges)
        : manifest.spec;
      const dependsOn = kind === "basic-auth" && basicAuthSecret ? [...crds, basicAuthSecret] : crds;
      return new CustomResource(`${name}-middleware-${kind}`, { ...manifest, spec }, { ...child, dependsOn });
    });

    const tcpMiddlewares = m.tcpMiddlewares.map(
      ({ kind, manifest }) => new CustomResource(`${name}-middlewaretcp-${kind}`, manifest, { ...child, dependsOn: crds }),
    );

    const backends: pulumi.Resource[] = [];
    if (m.serversTransport) {
      backends.push(new CustomResource(`${name}-serverstransport`, m.serversTransport, { ...child, dependsOn: crds }));
    }
    if (m.externalService) backends.push(new Service(`${name}-service`, m.externalService, child));
    if (m.endpointSlice) backends.push(new EndpointSlice(`${name}-endpointslice`, m.endpointSlice, child));

    // A route registered before its middlewares, backends, issuer or certificate
    // exists is served broken (Traefik drops routers with missing references).
    const routeDeps = [...crds, ...issuers.ready, ...middlewares, ...tcpMiddlewares, ...backends];
    // pulumi-kubernetes waits for each Ingress until `.status.loadBalancer.ingress` is set, which
    // Traefik writes from its published LoadBalancer Service or its ingressEndpoint (builders/traefik-values.ts),
    // so the records below go live only once the route is served.
    const routes: pulumi.Resource[] = m.ingresses.map(
      ({ slug, manifest }) => new Ingress(`${name}-ingress-${slug}`, manifest, { ...child, dependsOn: routeDeps }),
    );
    if (m.ingressRoute) {
      const certificate =
        m.certificate && new CustomResource(`${name}-certificate`, m.certificate, { ...child, dependsOn: [...issuers.ready] });
      routes.push(
        new CustomResource(`${name}-ingressroute`, m.ingressRoute, {
          ...child,
          dependsOn: [...routeDeps, ...(certificate ? [certificate] : [])],
        }),
      );
    }
    // The Gateway's listener certificates come from cert-manager's gateway-shim, so these routes wait for the issuers like an annotated Ingress.
    if (m.httpRoute) routes.push(new CustomResource(`${name}-httproute`, m.httpRoute, { ...child, dependsOn: routeDeps }));
    if (m.grpcRoute) routes.push(new CustomResource(`${name}-grpcroute`, m.grpcRoute, { ...child, dependsOn: routeDeps }));
    // Passthrough routes carry no certificate: the backend terminates TLS.
    if (m.ingressRouteTcp)
      routes.push(new CustomResource(`${name}-ingressroutetcp`, m.ingressRouteTcp, { ...child, dependsOn: routeDeps }));
    if (m.tlsRoute) routes.push(new CustomResource(`${name}-tlsroute`, m.tlsRoute, { ...child, dependsOn: routeDeps }));

    // Records go live last, so a proxied host never points at a route that does
    // not exist yet. They are Cloudflare resources: no Kubernetes provider.
    const comment = managedByComment(pulumi.getProject(), pulumi.getStack());
    // A private app's opted-in public record carries the private entry's address, where the app is served.
    const records = appDnsRecords(
      app,
      app.private ? (entry.private?.addresses ?? []) : entry.addresses,
      args.dns,
      comment,
      args.tunnelTarget,
    ).map(
      (r) =>
        new DnsRecord(
          `${name}-dns-${r.key}`,
          {
            zoneId: args.zoneId,
            name: r.name,
            type: r.type,
            content: r.content,
            proxied: r.proxied,
            ttl: r.ttl,
            comment: r.comment,
          },
          { ...child, dependsOn: [...routes, ...(args.tunnelReady ?? [])] },
        ),
    );

    this.registerOutputs({ hosts: [...app.hosts].sort(), records: records.map((r) => r.id) });
  }

  private basicAuthSecret(
    name: string,
    app: AppSpec,
    target: NonNullable<RouteManifests["basicAuthSecret"]>,
    users: pulumi.Output<string> | undefined,
  ): Secret {
    if (!users) {
      throw new pulumi.ResourceError(
        `apps.${app.name}.middlewares.basicAuth needs the htpasswd lines of homelab:${app.middlewares?.basicAuth?.usersSecret} (basicAuthUsers)`,
        this,
      );
    }
    return new Secret(`${name}-basic-auth`, { ...target.manifest, stringData: { [target.key]: pulumi.secret(users) } }, { parent: this });
  }

  private cloudflareRanges(app: AppSpec, ranges: CloudflareRanges | undefined): pulumi.Output<string[]> {
    if (!ranges) {
      throw new pulumi.ResourceError(
        `apps.${app.name}.middlewares.ipAllowList.cloudflare needs Cloudflare's ranges; pass cloudflareRanges to AppRoute`,
        this,
      );
    }
    return ranges.ipv4;
  }
}
