/**
 * The stack config, defined once. Types, defaults, descriptions (for the
 * generated docs/config.md) and the unknown-key rules all come from here and
 * the section schemas in schema/; the cross-field rules live in config/checks/
 * and run on the parsed value.
 */
import { z } from "zod";
import { app, type backend, namespace } from "./schema/apps.ts";
import { cluster, type etcdBackup } from "./schema/cluster.ts";
import { certManager, dns, tunnel } from "./schema/edge.ts";
import { dnsLabel, section } from "./schema/fields.ts";
import { metallb, traefik } from "./schema/ingress.ts";

/** The whole `homelab:` namespace of a stack's config. */
export const homelabSchema = section({
  cluster: cluster,
  metallb: metallb,
  traefik: traefik,
  certManager: certManager.describe("cert-manager and its Let's Encrypt ClusterIssuers."),
  dns: dns.describe("Cloudflare DNS."),
  apps: z
    .record(dnsLabel, app.describe("One app: its host names, the Service behind each path, TLS issuer, DNS and middlewares."))
    .default({})
    .describe("Apps keyed by name (the key is the app's identity)."),
  namespaces: z
    .record(dnsLabel, namespace.describe("One app namespace: its Pod Security level and default-deny policy."))
    .default({})
    .describe("App namespaces the stack creates and labels."),
  tunnel: tunnel.describe("Cloudflare Tunnel entry (cloudflared in the cluster)."),
});

export type HomelabInput = z.input<typeof homelabSchema>;
export type ParsedConfig = z.output<typeof homelabSchema>;
export type AppConfig = z.output<typeof app>;
export type BackendConfig = z.output<typeof backend>;
export type { NodeRole } from "./schema/cluster.ts";
export type EtcdBackupConfig = z.output<typeof etcdBackup>;
