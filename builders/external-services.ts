/** Kind external (and Gateway API routes to outside services): the Service, EndpointSlice and ServersTransport standing in for it. */
import type { IService } from "kubernetes-models/v1/Service";
import type { IEndpointSlice } from "kubernetes-models/discovery.k8s.io/v1/EndpointSlice";
import type { IServersTransport } from "@kubernetes-models/traefik/traefik.io/v1alpha1/ServersTransport";
import type { AppSpec } from "../model/resolve.ts";
import { uniqueAddresses } from "../contract/net.ts";
import { appLabels, byString } from "./route-naming.ts";
import { ANNOTATION } from "./ingress.ts";
import { isGatewayRoute } from "../model/apps.ts";

function serversTransportName(app: Pick<AppSpec, "name">): string {
  return `${app.name}-transport`;
}

/** The single Service an external app routes to (config/checks/app-routes.ts makes every backend name it). */
function externalServiceName(app: Pick<AppSpec, "backends">): string {
  return app.backends[0]!.service;
}

/**
 * The in-cluster stand-in for a service outside the cluster: a Service without
 * selector (endpoints listed by this stack) for addresses, or an ExternalName
 * Service for a DNS name. Traefik reads its backend options from annotations on
 * the Service, which here is ours to annotate (unlike an in-cluster app's).
 */
export function externalServiceManifest(app: AppSpec): IService {
  const ext = app.external!;
  const annotations: Record<string, string> = {};
  const gateway = isGatewayRoute(app);
  if (ext.scheme !== "http" && !gateway) annotations[ANNOTATION.serversScheme] = ext.scheme;
  if (ext.insecureSkipVerify) annotations[ANNOTATION.serversTransport] = `${app.namespace}-${serversTransportName(app)}@kubernetescrd`;
  if (app.sticky) {
    annotations[ANNOTATION.sticky] = "true";
    annotations[`${ANNOTATION.sticky}.httponly`] = String(app.sticky.httpOnly);
    annotations[`${ANNOTATION.sticky}.name`] = app.sticky.cookie;
    annotations[`${ANNOTATION.sticky}.samesite`] = app.sticky.sameSite;
    annotations[`${ANNOTATION.sticky}.secure`] = String(app.sticky.secure);
  }
  // Traefik's Gateway provider reads how to talk to a backend from the port's appProtocol, not from annotations.
  const port = {
    name: ext.scheme,
    port: ext.port,
    protocol: "TCP" as const,
    ...(gateway && ext.scheme !== "http" ? { appProtocol: APP_PROTOCOL[ext.scheme] } : {}),
  };
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name: externalServiceName(app),
      namespace: app.namespace,
      labels: appLabels(app),
      ...(Object.keys(annotations).length
        ? { annotations: Object.fromEntries(Object.entries(annotations).sort(([a], [b]) => byString(a, b))) }
        : {}),
    },
    spec: ext.externalName
      ? { type: "ExternalName", externalName: ext.externalName, ports: [port] }
      : { type: "ClusterIP", ports: [{ ...port, targetPort: ext.port }] },
  };
}

/** The Service port appProtocol of a non-HTTP/1 external backend (what Gateway API implementations read). */
const APP_PROTOCOL = { h2c: "kubernetes.io/h2c", https: "https" } as const;

/**
 * The EndpointSlice of a selector-less Service: v1 Endpoints are deprecated
 * from Kubernetes 1.33, and Traefik v3 reads EndpointSlices anyway. The
 * `kubernetes.io/service-name` label is what pairs it with the Service; the
 * managed-by label keeps the EndpointSlice controllers' hands off it. The port
 * name matches the Service port's, which is how a slice's port is found.
 */
export function endpointSliceManifest(app: AppSpec): IEndpointSlice | undefined {
  const ext = app.external!;
  if (!ext.addresses?.length) return undefined;
  const service = externalServiceName(app);
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: service,
      namespace: app.namespace,
      labels: { ...appLabels(app), "kubernetes.io/service-name": service, "endpointslice.kubernetes.io/managed-by": "pulumi" },
    },
    addressType: "IPv4",
    endpoints: uniqueAddresses(ext.addresses).map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
    ports: [{ name: ext.scheme, port: ext.port, protocol: "TCP" }],
  };
}

/** Self-signed https backends (a NAS, the Proxmox UI) need Traefik to skip verification for this one service. */
export function serversTransportManifest(app: AppSpec): IServersTransport | undefined {
  if (!app.external?.insecureSkipVerify) return undefined;
  return {
    apiVersion: "traefik.io/v1alpha1",
    kind: "ServersTransport",
    metadata: { name: serversTransportName(app), namespace: app.namespace, labels: appLabels(app) },
    spec: { insecureSkipVerify: true },
  };
}
