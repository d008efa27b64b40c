/** The sections that face Cloudflare and Let's Encrypt: cert-manager's issuers, the DNS zone and the tunnel entry. */
import { z } from "zod";
import { hostAddressProblem, isPublicIpv4 } from "../../contract/net.ts";
import { DEFAULTS } from "../defaults.ts";
import { chart, dnsLabel, hostname, ipv4, section } from "./fields.ts";

const issuer = section({
  environment: z
    .enum(["staging", "production"], { error: "expected environment staging or production" })
    .describe("Let's Encrypt environment."),
  dnsZones: z.array(hostname).optional().describe("Zones this issuer's DNS-01 solver answers for. Default: dns.zone."),
});

export const certManager = section({
  email: z
    .email({ error: "expected the ACME account e-mail, e.g. admin@example.com" })
    .describe("ACME account e-mail (Let's Encrypt expiry notices)."),
  issuers: z
    .record(dnsLabel, issuer.describe("One Let's Encrypt ClusterIssuer with a Cloudflare DNS-01 solver."))
    .default(structuredClone(DEFAULTS.certManager.issuers) as Record<string, { environment: "staging" | "production" }>)
    .describe("ClusterIssuers keyed by name."),
  defaultIssuer: z.string().default(DEFAULTS.certManager.defaultIssuer).describe("Issuer for apps that name none."),
  recursiveNameservers: z
    .array(z.string().regex(/^[\d.]+:\d+$/, { error: "expected host:port, e.g. 1.1.1.1:53" }))
    .default([...DEFAULTS.certManager.recursiveNameservers])
    .describe("Public resolvers for DNS-01 self-checks."),
  recursiveNameserversOnly: z.boolean().default(true).describe("Self-check only through recursiveNameservers (split-horizon homelab DNS)."),
  wildcardZones: z
    .array(hostname)
    .default([])
    .describe(
      "Zones (dns.zone or a subdomain of it) that get one `*.<zone>` certificate through DNS-01 from certManager.defaultIssuer, served from Traefik's default TLS store to every app host directly below the zone, so host names are not published to certificate-transparency logs one certificate at a time.",
    ),
  chart: chart(DEFAULTS.charts.certManager).describe("The cert-manager Helm chart."),
});

export const dns = section({
  zone: hostname.describe("Cloudflare zone, e.g. example.com."),
  zoneId: z
    .string()
    .regex(/^[a-f0-9]{32}$/, { error: "expected a 32-character Cloudflare zone id" })
    .optional()
    .describe("Zone id. Default: looked up by dns.zone's name."),
  proxied: z.boolean().default(DEFAULTS.dns.proxied).describe("Proxy records through Cloudflare by default."),
  publicAddress: ipv4("your public (WAN) address")
    .superRefine((ip, ctx) => {
      if (isPublicIpv4(ip) || hostAddressProblem(ip)) return;
      ctx.addIssue({
        code: "custom",
        message: `${ip} is a private address; Cloudflare's edge and visitors cannot reach it. Use your router's public (WAN) IPv4`,
      });
    })
    .optional()
    .describe(
      "Public IPv4 that forwards :80/:443 to the ingress entry. Proxied records point here (Cloudflare cannot reach private addresses); required when a proxied app's entry address is private. Default: none.",
    ),
  ttl: z.int().min(60).max(86400).default(DEFAULTS.dns.ttl).describe("TTL of unproxied records (proxied records are automatic)."),
  advancedCertificate: z
    .boolean()
    .default(false)
    .describe(
      "The zone has an Advanced Certificate (Advanced Certificate Manager or Total TLS) covering names more than one label below it. Universal SSL covers only the apex and first-level names, so without it a proxied a.b.<zone> is refused.",
    ),
});

export const tunnel = section({
  enabled: z
    .boolean()
    .default(false)
    .describe(
      "Entry through a Cloudflare Tunnel instead of a port-forward: the stack creates the tunnel and its ingress rules, runs cloudflared in the cluster (it dials out to Cloudflare) and points every proxied host at the tunnel with a proxied CNAME. Needs no public address or port-forward (dns.publicAddress must be unset) and works with every Traefik placement.",
    ),
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, { error: "expected a tunnel name: letters, digits, '.', '_' and '-'" })
    .optional()
    .describe("Tunnel name in the Cloudflare account. Default: cluster.name."),
  accountId: z
    .string()
    .regex(/^[a-f0-9]{32}$/, { error: "expected a 32-character Cloudflare account id" })
    .optional()
    .describe(
      "Cloudflare account that owns the tunnel. Default: the account of dns.zone (looked up). The API token needs Account:Cloudflare Tunnel:Edit.",
    ),
  replicas: z
    .int()
    .min(2, { error: "one cloudflared is a single point of failure and its PodDisruptionBudget would block node drains; use at least 2" })
    .default(DEFAULTS.tunnel.replicas)
    .describe("cloudflared replicas, spread over nodes."),
  image: z
    .string()
    .regex(/^\S+$/, { error: "expected an image reference like cloudflare/cloudflared:2026.5.0" })
    .refine((image) => image.includes("@sha256:") || image.split("/").pop()!.includes(":"), {
      error: "pin the cloudflared image to a release tag or digest (e.g. cloudflare/cloudflared:2026.5.0)",
    })
    .refine((image) => !image.endsWith(":latest"), {
      error: "latest changes cloudflared under the stack; pin a release tag, e.g. cloudflare/cloudflared:2026.5.0",
    })
    .default(DEFAULTS.tunnel.image)
    .describe("cloudflared image, pinned."),
  namespace: dnsLabel.default(DEFAULTS.tunnel.namespace).describe("Namespace cloudflared runs in (Pod Security restricted)."),
}).prefault({});
