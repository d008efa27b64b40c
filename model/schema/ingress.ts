/** The ingress sections: MetalLB's address pools and Traefik in its placement. */
import { z } from "zod";
import { DEFAULTS } from "../defaults.ts";
import { httpUrlProblem } from "../formats.ts";
import { PLACEMENTS } from "../placement.ts";
import { addressEntry, chart, checked, dnsLabel, ipv4, quantity, section } from "./fields.ts";

export const metallb = section({
  enabled: z
    .boolean()
    .optional()
    .describe("Install MetalLB. Default: only when the Traefik placement needs a LoadBalancer IP (deployment)."),
  pools: z
    .record(
      dnsLabel,
      section({
        addresses: z
          .array(addressEntry)
          .min(1, { error: "a pool needs at least one address entry" })
          .describe("CIDRs, ranges (a-b) or single addresses."),
        autoAssign: z.boolean().default(true).describe("Let MetalLB assign from this pool to any LoadBalancer Service."),
      }).describe("One IPAddressPool, announced on the node network (L2)."),
    )
    .default({})
    .describe("Address pools keyed by name."),
  chart: chart(DEFAULTS.charts.metallb).describe("The MetalLB Helm chart."),
})
  .prefault({})
  .describe("MetalLB, which answers for LoadBalancer IPs on the node network (placement deployment).");

const resources = section({
  requests: section({
    cpu: quantity.optional().describe("CPU request, e.g. 100m. Default: none."),
    memory: quantity.optional().describe("Memory request, e.g. 128Mi. Default: none."),
  })
    .optional()
    .describe("What the scheduler reserves. Default: none, once traefik.resources is set."),
  limits: section({
    cpu: quantity.optional().describe("CPU limit, e.g. 500m. Default: none (no CPU throttling)."),
    memory: quantity.optional().describe("Memory limit, e.g. 256Mi. Default: none."),
  })
    .optional()
    .describe("The most the container may use. Default: none, once traefik.resources is set."),
});

export const traefik = section({
  placement: z
    .enum(PLACEMENTS, { error: "expected placement deployment, daemonset or controlplane" })
    .default("deployment")
    .describe(
      "deployment: replicas behind a MetalLB IP; daemonset: hostNetwork on every node; controlplane: hostNetwork on every control plane, whichever holds the VIP serves.",
    ),
  replicas: z.int().min(1).optional().describe(`Replicas (deployment placement only). Default ${DEFAULTS.traefik.deploymentReplicas}.`),
  pool: dnsLabel.optional().describe("MetalLB pool the LoadBalancer IP comes from. Default: the first pool."),
  loadBalancerIP: ipv4("the Traefik LoadBalancer address")
    .optional()
    .describe("Requested LoadBalancer IP. Default: the pool's first address."),
  redirectToHttps: z.boolean().default(true).describe("Redirect the web entry point (:80) to websecure (:443)."),
  accessLogs: z.boolean().default(true).describe("Traefik access logs."),
  logLevel: z.enum(["DEBUG", "INFO", "WARN", "ERROR"]).default("INFO").describe("Traefik log level."),
  trustCloudflare: z
    .boolean()
    .optional()
    .describe(
      "Trust X-Forwarded-* only from Cloudflare's ranges (looked up at deploy time). Default: dns.proxied; off with tunnel.enabled, where Traefik trusts cloudflared's sources in the cluster instead.",
    ),
  proxyProtocol: z.boolean().default(false).describe("Accept PROXY protocol from Cloudflare's ranges (Cloudflare Spectrum)."),
  acme: section({
    enabled: z
      .boolean()
      .default(false)
      .describe(
        "Traefik's own ACME resolver, for IngressRoutes you add yourself; the platform's routes always get cert-manager certificates. Needs exactly one Traefik pod: placement controlplane with one control plane.",
      ),
    email: z.email().optional().describe("ACME account e-mail of Traefik's resolver. Default: none (no expiry notices)."),
  })
    .prefault({})
    .describe("Traefik's built-in ACME (community edition cannot share its storage between replicas)."),
  resources: resources.default(DEFAULTS.traefik.resources).describe("Container requests and limits."),
  chart: chart(DEFAULTS.charts.traefik).describe("The Traefik Helm chart."),
  crdsSource: checked(httpUrlProblem)
    .default(DEFAULTS.traefik.crdsSource)
    .describe(
      "Where Traefik's CRD manifests are applied from: the chart's git repository; the tag follows traefik.chart.version, so a chart bump upgrades the CRDs too.",
    ),
  privateEntry: section({
    loadBalancerIP: ipv4("the private entry's LoadBalancer address")
      .optional()
      .describe(
        "Placement deployment: the MetalLB address of the private entry (a second LoadBalancer Service on Traefik's `lan` entry point), which serves the private apps and nothing else. Never forward it from the router: it is LAN-only by being unreachable from the internet. Default: the first address of traefik.pool other than traefik.loadBalancerIP.",
      ),
    sources: z
      .array(z.cidrv4({ error: "expected a source range as an IPv4 CIDR, e.g. 10.0.10.0/24" }))
      .min(1, { error: "list at least one source range, or leave sources out for the default" })
      .optional()
      .describe(
        "Who may reach private apps: every private route carries an ipAllowList middleware of these ranges, matched against the TCP peer (never X-Forwarded-For). Default: cluster.network.subnet plus cluster.firewall.adminSubnets (the LAN and the operator's VPN).",
      ),
  })
    .prefault({})
    .describe("The entry of private apps (apps with private: true): where LAN clients reach them, and from where."),
  gatewayApi: section({
    enabled: z
      .boolean()
      .optional()
      .describe(
        "Install the Gateway API CRDs, turn on Traefik's Gateway provider and cert-manager's Gateway support, and serve one Gateway. Default: when an app has kind httpRoute or grpcRoute.",
      ),
    listeners: z
      .enum(["perHost", "wildcard"], { error: "expected listeners perHost or wildcard" })
      .default("perHost")
      .describe(
        "perHost: one HTTPS listener and certificate per host of the Gateway's apps; wildcard: one `*.<dns.zone>` listener and wildcard certificate, plus per-host listeners for the hosts a wildcard certificate cannot cover (the apex, deeper subdomains).",
      ),
    version: z
      .string()
      .regex(/^v\d+\.\d+\.\d+$/, { error: "expected a Gateway API release like v1.5.1" })
      .default(DEFAULTS.gatewayApi.version)
      .describe("Gateway API release whose standard-channel CRDs are applied; Traefik 3.7 (chart 41.x) implements v1.5.1."),
    crdsSource: checked(httpUrlProblem)
      .default(DEFAULTS.gatewayApi.crdsSource)
      .describe("Where the release's standard-install.yaml is downloaded from: <crdsSource>/<version>/standard-install.yaml."),
  })
    .prefault({})
    .describe("Gateway API: the CRDs, Traefik's Gateway and its HTTPS listeners."),
})
  .prefault({})
  .describe("Traefik, the ingress controller, in one of three placements.");
