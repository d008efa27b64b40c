/**
 * The twin's Cloudflare account: zones with their SSL/TLS mode and DNS
 * records, and Cloudflare Tunnels with their configurations. Conflicts answer
 * with Cloudflare's API errors (api.cloudflare.com, DNS records: 81053 "An A,
 * AAAA, or CNAME record with that host already exists", 81058 "An identical
 * record already exists").
 */
import { createHash } from "node:crypto";
import type { InvokeModel, ResourceModel } from "../engine.ts";
import { StepError } from "../engine.ts";
import { MOCK_TUNNEL_ID, mockInvokeResult, mockResourceOutputs } from "../../../synth/mocks.ts";
import type { TwinWorld } from "./time.ts";
import { TYPES, INVOKES } from "../../../contract/tokens.ts";

export interface DnsRecordState {
  readonly zoneId: string;
  readonly name: string;
  readonly type: string;
  readonly content: string;
  readonly proxied: boolean;
}

export interface CloudflareWorld {
  /** The SSL/TLS mode of every zone (`strict`, `full`, `flexible`, `off`). */
  sslMode: string;
  records: Record<string, DnsRecordState>;
  tunnels: Record<string, { name: string; accountId: string; config?: unknown }>;
  serial: number;
}

export function cloudflareWorld(sslMode = "strict"): CloudflareWorld {
  return { sslMode, records: {}, tunnels: {}, serial: 0 };
}

const ADDRESS = new Set(["A", "AAAA", "CNAME"]);

function checkRecord(world: TwinWorld, id: string | undefined, r: DnsRecordState): void {
  for (const [otherId, other] of Object.entries(world.cloudflare.records)) {
    if (otherId === id || other.zoneId !== r.zoneId || other.name !== r.name) continue;
    if (other.type === r.type && other.content === r.content)
      throw new StepError("failed to make http request: An identical record already exists. (81058)");
    if ((r.type === "CNAME" || other.type === "CNAME") && ADDRESS.has(r.type) && ADDRESS.has(other.type)) {
      throw new StepError("failed to make http request: An A, AAAA, or CNAME record with that host already exists. (81053)");
    }
  }
  if (!r.content) throw new StepError("failed to make http request: DNS record content is required. (9005)");
}

const dnsRecord: ResourceModel<TwinWorld> = {
  replaceKeys: ["zoneId"],
  create: (c) => {
    const r = c.inputs as unknown as DnsRecordState;
    checkRecord(c.world, undefined, r);
    c.world.cloudflare.serial += 1;
    const id = createHash("md5").update(`record-${c.world.cloudflare.serial}`).digest("hex");
    c.world.cloudflare.records[id] = { zoneId: r.zoneId, name: r.name, type: r.type, content: r.content, proxied: r.proxied };
    return { id };
  },
  update: (c) => {
    const r = c.inputs as unknown as DnsRecordState;
    checkRecord(c.world, c.old!.id, r);
    c.world.cloudflare.records[c.old!.id] = { zoneId: r.zoneId, name: r.name, type: r.type, content: r.content, proxied: r.proxied };
    return {};
  },
  delete: (c) => {
    delete c.world.cloudflare.records[c.old!.id];
  },
};

const tunnel: ResourceModel<TwinWorld> = {
  replaceKeys: ["accountId", "name", "configSrc"],
  create: (c) => {
    const name = String(c.inputs.name);
    const accountId = String(c.inputs.accountId);
    if (Object.values(c.world.cloudflare.tunnels).some((t) => t.name === name && t.accountId === accountId)) {
      throw new StepError("failed to make http request: You already have a tunnel with that name. (1013)");
    }
    const id =
      Object.keys(c.world.cloudflare.tunnels).length === 0
        ? MOCK_TUNNEL_ID
        : createHash("md5")
            .update(name)
            .digest("hex")
            .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, "$1-$2-$3-$4-$5");
    c.world.cloudflare.tunnels[id] = { name, accountId };
    return { ...mockResourceOutputs(c.type, c.inputs), id };
  },
  delete: (c) => {
    delete c.world.cloudflare.tunnels[c.old!.id];
  },
};

const tunnelConfig: ResourceModel<TwinWorld> = {
  replaceKeys: ["accountId", "tunnelId"],
  create: (c) => {
    const t = c.world.cloudflare.tunnels[String(c.inputs.tunnelId)];
    if (!t) throw new StepError(`failed to make http request: Tunnel not found. (1003)`);
    t.config = c.inputs.config;
    return { id: String(c.inputs.tunnelId) };
  },
  update: (c) => {
    const t = c.world.cloudflare.tunnels[String(c.inputs.tunnelId)];
    if (t) t.config = c.inputs.config;
    return {};
  },
};

export const cloudflareModels: Record<string, ResourceModel<TwinWorld>> = {
  [TYPES.dnsRecord]: dnsRecord,
  [TYPES.tunnel]: tunnel,
  [TYPES.tunnelConfig]: tunnelConfig,
};

export const cloudflareInvokes: Record<string, InvokeModel<TwinWorld>> = {
  [INVOKES.cloudflareIpRanges]: (args) => mockInvokeResult(INVOKES.cloudflareIpRanges, args),
  [INVOKES.cloudflareZone]: (args) => mockInvokeResult(INVOKES.cloudflareZone, args),
  [INVOKES.cloudflareZoneSetting]: (args, { world }) => ({
    ...mockInvokeResult(INVOKES.cloudflareZoneSetting, args),
    ...(args.settingId === "ssl" ? { value: world.cloudflare.sslMode } : {}),
  }),
  [INVOKES.cloudflareTunnelToken]: (args, { world }) => {
    if (!world.cloudflare.tunnels[String(args.tunnelId)]) throw new StepError("failed to make http request: Tunnel not found. (1003)");
    return mockInvokeResult(INVOKES.cloudflareTunnelToken, args);
  },
};
