/**
 * Gateway API: the release's standard-channel CRDs, applied by Pulumi like
 * Traefik's (a version bump upgrades them), and the Gateway values Traefik's
 * chart renders its GatewayClass and Gateway from.
 */
import * as pulumi from "@pulumi/pulumi";
import { ConfigGroup } from "@pulumi/kubernetes/yaml/v2/configGroup.js";
import type { HomelabConfig } from "../model/resolve.ts";
import {
  gatewayApiCrdUrl,
  gatewayPortListeners,
  traefikGatewayValues,
  type GatewayRouting,
  type TraefikGatewayValues,
} from "../builders/gateway.ts";
import { COMPONENTS } from "../contract/tokens.ts";

export interface GatewayApiArgs {
  readonly config: Pick<HomelabConfig, "traefik" | "apps" | "dns" | "certManager" | "cluster">;
}

export class GatewayApi extends pulumi.ComponentResource {
  /** Traefik's release and cert-manager's controller depend on these. */
  readonly crds: pulumi.Resource;
  readonly traefikValues: TraefikGatewayValues;
  /** The Gateway's listeners, which private and passthrough routes name. */
  readonly routing: GatewayRouting;
  constructor(name: string, args: GatewayApiArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENTS.gatewayApi, name, {}, opts);
    const { config } = args;
    this.crds = new ConfigGroup(`${name}-crds`, { files: [gatewayApiCrdUrl(config.traefik.gatewayApi)] }, { parent: this });
    this.traefikValues = traefikGatewayValues(config);
    this.routing = {
      zone: config.dns.zone,
      listeners: gatewayPortListeners(config.traefik.gatewayApi, config.dns.zone, config.traefik.placement, config.apps),
    };
    this.registerOutputs({
      version: config.traefik.gatewayApi.version,
      listeners: Object.entries(this.traefikValues.gateway.listeners)
        .filter(([, l]) => l)
        .map(([name]) => name),
    });
  }
}
