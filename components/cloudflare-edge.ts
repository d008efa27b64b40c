/**
 * What Cloudflare's edge does with the zone's proxied hosts, recorded where
 * the policy pack can read it: the zone's SSL/TLS mode is a zone setting the
 * stack does not own (and must not flip for the zone's other sites), so it is
 * read at deploy time and checked, not set.
 */
import * as pulumi from "@pulumi/pulumi";
import { COMPONENTS } from "../contract/tokens.ts";

export interface ZoneEdgeArgs {
  readonly zone: string;
  /** off | flexible | full | strict, from the deploy-time zone setting lookup. */
  readonly sslMode: pulumi.Input<string>;
  /** portForward: Cloudflare connects to the origin address; tunnel: to cloudflared, over the tunnel. */
  readonly entry: "portForward" | "tunnel";
  /** Traefik redirects HTTP to HTTPS, which loops with Flexible SSL (Cloudflare then always asks over HTTP). */
  readonly redirectToHttps: boolean;
  readonly proxiedHosts: readonly string[];
}

export class ZoneEdge extends pulumi.ComponentResource {
  constructor(name: string, args: ZoneEdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    // Stack policies (cloudflare-zone-ssl-mode) read these from the component's outputs, which
    // are exactly what it registers: every fact, not only the looked-up mode.
    const facts = { ...args, proxiedHosts: [...args.proxiedHosts] };
    super(COMPONENTS.zoneEdge, name, facts, opts);
    this.registerOutputs(facts);
  }
}
