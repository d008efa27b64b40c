/** The ways in beside the public entry, as summary.md shows them: private apps' LAN hosts and the Cloudflare Tunnel. */
import { COMPONENTS } from "../contract/tokens.ts";
import type { RecordedResource } from "./recorder.ts";
import { arr, obj, str } from "../contract/props.ts";

export interface LanRow {
  readonly host: string;
  readonly addresses: readonly string[];
}

/** Private apps' hosts, from the LanDns component's record. */
export function lanRows(resources: readonly RecordedResource[]): LanRow[] {
  return resources
    .filter((r) => r.type === COMPONENTS.lanDns)
    .flatMap((r) => arr(r.inputs.entries).map((e) => ({ host: str(obj(e).host), addresses: arr(obj(e).addresses).map(str) })));
}

/** The tunnel, from the CloudflareTunnel component and the tunnel resource. */
export function tunnelLine(resources: readonly RecordedResource[]): string | undefined {
  const component = resources.find((r) => r.type === COMPONENTS.cloudflareTunnel);
  if (!component) return undefined;
  const hosts = arr(component.inputs.ingressRules)
    .map((r) => str(obj(r).hostname))
    .filter(Boolean);
  const forwarders = arr(component.inputs.forwarders).map((f) => `\`${str(f)}\``);
  const trust = forwarders.length
    ? `Traefik trusts forwarded headers only from ${forwarders.join(", ")} (cloudflared's sources)`
    : "Traefik trusts no forwarded headers";
  return `Public entry: Cloudflare Tunnel \`${str(component.inputs.name)}\` (no public address, no port-forward) for ${hosts.length} host${hosts.length === 1 ? "" : "s"}; ${trust}: ${str(component.inputs.trustReason)}.`;
}
