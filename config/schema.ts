/**
 * The stack config, defined once. Types, defaults, descriptions (for the
 * generated docs/config.md) and the unknown-key rules all come from here; the
 * cross-field rules live in checks.ts and run on the parsed value.
 */
import { z } from "zod";
import { CPU_TYPES_WITHOUT_X86_64_V2, DEFAULTS } from "./defaults.ts";
import { addressEntryProblem } from "../lib/net.ts";
import { EXACT_CHART_VERSION, isHttpsRepository } from "../lib/helm.ts";

// zod compiles an object's parser to generated code on its first parse, which
// pays off only for parsers that run many times; a run parses one config once,
// and skipping the compile takes ~13 ms off start-up (bench/results.md).
z.config({ jitless: true });

/** How a section's unknown-key error begins; the accepted keys follow, comma-separated (validate.ts reads them back for its "did you mean"). */
export const ACCEPTED_KEYS = "unknown key; this section accepts: ";

/** A strict object whose unknown-key error lists the keys it does accept. */
function section<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `${ACCEPTED_KEYS}${known.join(", ")}` : undefined),
  });
}

const ipv4 = (what: string) => z.ipv4({ error: `expected ${what} as an IPv4 address, e.g. 10.0.10.11` });
const hostname = z
  .string()
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
    error: "expected a lower-case fully qualified host name, e.g. grafana.example.com",
  });
const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, {
    error: "expected a DNS label: lower-case letters, digits and '-', at most 63 characters",
  });
const addressEntry = z.string().superRefine((entry, ctx) => {
  const problem = addressEntryProblem(entry);
  if (problem) ctx.addIssue({ code: "custom", message: `${problem}; use a CIDR (10.0.10.240/28), a range (10.0.10.240-10.0.10.250) or one address` });
});
const chart = (defaults: { readonly version: string; readonly repository: string }) =>
  section({
    version: z.string().regex(EXACT_CHART_VERSION, { error: "expected an exact chart version, e.g. 41.3.0: a range or latest changes the chart under the stack" }).default(defaults.version).describe("Chart version, pinned."),
    repository: z.url().refine(isHttpsRepository, { error: "expected the chart repository's https:// URL" }).default(defaults.repository).describe("Helm repository URL (https)."),
  }).prefault({});

// ── cluster ─────────────────────────────────────────────────────────────────

const nodeRole = z.enum(["controlplane", "worker"], { error: "expected role controlplane or worker" });

const nodeSizing = {
  cores: z.int().min(1).optional().describe(`vCPU cores. Default ${DEFAULTS.node.cores}.`),
  sockets: z.int().min(1).optional().describe(`CPU sockets. Default ${DEFAULTS.node.sockets}.`),
  cpuType: z
    .string()
    .refine((t) => !CPU_TYPES_WITHOUT_X86_64_V2.includes(t), { error: "this CPU type lacks x86-64-v2, so Talos halts at boot; use host or x86-64-v2-AES" })
    .optional()
    .describe(`Proxmox CPU type; Talos needs x86-64-v2 or better. Default ${DEFAULTS.node.cpuType}.`),
  memory: z.int().min(2048, { error: "Talos needs at least 2048 MB of memory" }).optional().describe(`Memory in MB. Default ${DEFAULTS.node.memory}.`),
  diskDatastore: z.string().optional().describe(`Proxmox datastore of the system disk. Default ${DEFAULTS.node.diskDatastore}.`),
  diskSize: z.int().min(10, { error: "Talos needs a system disk of at least 10 GB" }).optional().describe(`System disk size in GB. Default ${DEFAULTS.node.diskSize}.`),
  diskInterface: z.string().regex(/^(virtio|scsi|sata|ide)\d+$/, { error: "expected a disk interface like virtio0 or scsi0" }).optional().describe(`Disk interface. Default ${DEFAULTS.node.diskInterface}.`),
  bridge: z.string().optional().describe(`Proxmox network bridge. Default ${DEFAULTS.node.bridge}.`),
  vlan: z.int().min(1).max(4094).optional().describe("VLAN tag of the VM's network device. Default: untagged."),
};

const talosNode = section({
  role: nodeRole.describe("controlplane or worker."),
  ip: ipv4("the node's static address").describe("Static IPv4 address, inside cluster.network.subnet."),
  vmId: z.int().min(100, { error: "Proxmox VM ids start at 100" }).max(999_999_999).describe("Proxmox VM id, unique."),
  proxmoxNode: z.string().min(1, { error: "name the Proxmox node that hosts this VM" }).describe("Proxmox node (host) that runs the VM."),
  macAddress: z.mac({ error: "expected a MAC address like BC:24:11:00:00:01" }).optional().describe("Fixed MAC address. Default: Proxmox assigns one."),
  installDisk: z.string().optional().describe(`Disk Talos installs to. Default cluster.talos.installDisk.`),
  ...nodeSizing,
});

const existingNode = section({
  role: nodeRole.describe("controlplane or worker."),
  ip: ipv4("the node's address").describe("Node IPv4 address (DNS targets for hostNetwork placements)."),
});

const network = section({
  subnet: z.cidrv4({ error: "expected the node subnet as an IPv4 CIDR, e.g. 10.0.10.0/24" }).describe(`Node subnet (CIDR). Must not overlap the pod network, Talos' default ${DEFAULTS.talos.podSubnet}.`),
  gateway: ipv4("the default gateway").optional().describe("Default gateway. Default: the subnet's first host."),
  nameservers: z.array(ipv4("a nameserver")).min(1).default([...DEFAULTS.nameservers]).describe("DNS resolvers for the nodes."),
  interface: z.string().min(1).default(DEFAULTS.talos.interface).describe("Network interface Talos configures (and puts the VIP on)."),
  vip: ipv4("the shared VIP").optional().describe("Talos shared VIP on the control planes; the Kubernetes API endpoint. Required for the controlplane Traefik placement."),
});

const talosCluster = section({
  provider: z.literal("talos").describe("Talos Linux VMs on Proxmox VE, provisioned by this stack."),
  name: dnsLabel.default("homelab").describe("Cluster name."),
  talos: section({
    version: z.string().regex(/^v\d+\.\d+\.\d+$/, { error: "expected a Talos version like v1.13.9" }).default(DEFAULTS.talos.version).describe("Talos version of the image and machine config."),
    kubernetesVersion: z.string().regex(/^v?\d+\.\d+\.\d+$/, { error: "expected a Kubernetes version like 1.34.1" }).optional().describe("Kubernetes version. Default: the Talos release's default."),
    extensions: z.array(z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, { error: "expected an extension like siderolabs/qemu-guest-agent" })).default([...DEFAULTS.talos.extensions]).describe("Image Factory system extensions."),
    installDisk: z.string().default(DEFAULTS.talos.installDisk).describe("Disk Talos installs to."),
    imageDatastore: z.string().default(DEFAULTS.talos.imageDatastore).describe("Proxmox datastore the Talos image is downloaded to; needs the Import content type (Proxmox VE 8.4+)."),
  }).prefault({}).describe("Talos version and image."),
  network: network.describe("Node network."),
  nodeDefaults: section(nodeSizing).prefault({}).describe("Sizing applied to every node unless the node overrides it."),
  nodes: z.record(dnsLabel, talosNode).describe("Nodes keyed by host name (the key is the node's identity)."),
  allowSchedulingOnControlPlanes: z.boolean().default(false).describe("Run workloads on control planes (needed when there are no workers)."),
});

const existingCluster = section({
  provider: z.literal("existing").describe("A running cluster (e.g. k3s), reached through a kubeconfig secret."),
  name: dnsLabel.default("homelab").describe("Cluster name."),
  kubeconfigSecret: z.string().default("kubeconfig").describe("Secret config key (homelab:<key>) holding the kubeconfig."),
  network: section({
    subnet: z.cidrv4({ error: "expected the node subnet as an IPv4 CIDR" }).optional().describe("Node subnet (CIDR), for address checks."),
    vip: ipv4("the control-plane VIP").optional().describe("Control-plane VIP, for the controlplane placement."),
    podSubnet: z.cidrv4({ error: "expected the pod network as an IPv4 CIDR, e.g. 10.42.0.0/16" }).optional().describe("The CNI's pod network (CIDR), e.g. 10.42.0.0/16 on k3s. Required for placement daemonset or controlplane when an app gets a NetworkPolicy: a host-network Traefik reaches pods on other nodes from the CNI's tunnel address, which lies in this range."),
  }).prefault({}),
  nodes: z.record(dnsLabel, existingNode).default({}).describe("Nodes, for hostNetwork placements (DNS targets, network policies)."),
});

const cluster = z
  .discriminatedUnion("provider", [talosCluster, existingCluster], {
    error: "expected provider talos (Talos VMs on Proxmox) or existing (a running cluster from a kubeconfig)",
  })
  .describe("The Kubernetes cluster.");

// ── platform services ───────────────────────────────────────────────────────

const metallb = section({
  enabled: z.boolean().optional().describe("Install MetalLB. Default: only when the Traefik placement needs a LoadBalancer IP (deployment)."),
  pools: z
    .record(dnsLabel, section({
      addresses: z.array(addressEntry).min(1, { error: "a pool needs at least one address entry" }).describe("CIDRs, ranges (a-b) or single addresses."),
      autoAssign: z.boolean().default(true).describe("Let MetalLB assign from this pool to any LoadBalancer Service."),
    }))
    .default({})
    .describe("Address pools keyed by name."),
  chart: chart(DEFAULTS.charts.metallb),
}).prefault({});

const resources = section({
  requests: section({ cpu: z.string().optional(), memory: z.string().optional() }).optional(),
  limits: section({ cpu: z.string().optional(), memory: z.string().optional() }).optional(),
});

const traefik = section({
  placement: z
    .enum(["deployment", "daemonset", "controlplane"], { error: "expected placement deployment, daemonset or controlplane" })
    .default("deployment")
    .describe("deployment: replicas behind a MetalLB IP; daemonset: hostNetwork on every node; controlplane: hostNetwork on every control plane, whichever holds the VIP serves."),
  replicas: z.int().min(1).optional().describe(`Replicas (deployment placement only). Default ${DEFAULTS.traefik.deploymentReplicas}.`),
  pool: dnsLabel.optional().describe("MetalLB pool the LoadBalancer IP comes from. Default: the first pool."),
  loadBalancerIP: ipv4("the Traefik LoadBalancer address").optional().describe("Requested LoadBalancer IP. Default: the pool's first address."),
  redirectToHttps: z.boolean().default(true).describe("Redirect the web entry point (:80) to websecure (:443)."),
  accessLogs: z.boolean().default(true).describe("Traefik access logs."),
  logLevel: z.enum(["DEBUG", "INFO", "WARN", "ERROR"]).default("INFO").describe("Traefik log level."),
  trustCloudflare: z.boolean().optional().describe("Trust X-Forwarded-* only from Cloudflare's ranges (looked up at deploy time). Default: dns.proxied."),
  proxyProtocol: z.boolean().default(false).describe("Accept PROXY protocol from Cloudflare's ranges (Cloudflare Spectrum)."),
  acme: section({
    enabled: z.boolean().default(false).describe("Traefik's own ACME resolver, for IngressRoutes you add yourself; the platform's routes always get cert-manager certificates. Needs exactly one Traefik pod: placement controlplane with one control plane."),
    email: z.email().optional(),
  }).prefault({}).describe("Traefik's built-in ACME (community edition cannot share its storage between replicas)."),
  resources: resources.default(DEFAULTS.traefik.resources).describe("Container requests and limits."),
  chart: chart(DEFAULTS.charts.traefik),
  crdsSource: z.url().default(DEFAULTS.traefik.crdsSource).describe("Where Traefik's CRD manifests are applied from: the chart's git repository; the tag follows traefik.chart.version, so a chart bump upgrades the CRDs too."),
  gatewayApi: section({
    enabled: z.boolean().optional().describe("Install the Gateway API CRDs, turn on Traefik's Gateway provider and cert-manager's Gateway support, and serve one Gateway. Default: when an app has kind httpRoute or grpcRoute."),
    listeners: z.enum(["perHost", "wildcard"], { error: "expected listeners perHost or wildcard" }).default("perHost").describe("perHost: one HTTPS listener and certificate per host of the Gateway's apps; wildcard: one `*.<dns.zone>` listener and wildcard certificate, plus per-host listeners for the hosts a wildcard certificate cannot cover (the apex, deeper subdomains)."),
    version: z.string().regex(/^v\d+\.\d+\.\d+$/, { error: "expected a Gateway API release like v1.5.1" }).default(DEFAULTS.gatewayApi.version).describe("Gateway API release whose standard-channel CRDs are applied; Traefik 3.7 (chart 41.x) implements v1.5.1."),
    crdsSource: z.url().default(DEFAULTS.gatewayApi.crdsSource).describe("Where the release's standard-install.yaml is downloaded from: <crdsSource>/<version>/standard-install.yaml."),
  }).prefault({}).describe("Gateway API: the CRDs, Traefik's Gateway and its HTTPS listeners."),
}).prefault({});

const issuer = section({
  environment: z.enum(["staging", "production"], { error: "expected environment staging or production" }).describe("Let's Encrypt environment."),
  dnsZones: z.array(hostname).optional().describe("Zones this issuer's DNS-01 solver answers for. Default: dns.zone."),
});

const certManager = section({
  email: z.email({ error: "expected the ACME account e-mail, e.g. admin@example.com" }).describe("ACME account e-mail (Let's Encrypt expiry notices)."),
  issuers: z
    .record(dnsLabel, issuer)
    .default(structuredClone(DEFAULTS.certManager.issuers) as Record<string, { environment: "staging" | "production" }>)
    .describe("ClusterIssuers keyed by name."),
  defaultIssuer: z.string().default(DEFAULTS.certManager.defaultIssuer).describe("Issuer for apps that name none."),
  recursiveNameservers: z.array(z.string().regex(/^[\d.]+:\d+$/, { error: "expected host:port, e.g. 1.1.1.1:53" })).default([...DEFAULTS.certManager.recursiveNameservers]).describe("Public resolvers for DNS-01 self-checks."),
  recursiveNameserversOnly: z.boolean().default(true).describe("Self-check only through recursiveNameservers (split-horizon homelab DNS)."),
  chart: chart(DEFAULTS.charts.certManager),
});

const dns = section({
  zone: hostname.describe("Cloudflare zone, e.g. example.com."),
  zoneId: z.string().regex(/^[a-f0-9]{32}$/, { error: "expected a 32-character Cloudflare zone id" }).optional().describe("Zone id; looked up by name when absent."),
  proxied: z.boolean().default(DEFAULTS.dns.proxied).describe("Proxy records through Cloudflare by default."),
  publicAddress: ipv4("your public (WAN) address").optional().describe("Public IPv4 that forwards :80/:443 to the ingress entry. Proxied records point here (Cloudflare cannot reach private addresses); required when a proxied app's entry address is private."),
  ttl: z.int().min(60).max(86400).default(DEFAULTS.dns.ttl).describe("TTL of unproxied records (proxied records are automatic)."),
});

// ── apps ────────────────────────────────────────────────────────────────────

const backend = section({
  path: z.string().regex(/^\//, { error: "paths begin with '/'" }).default("/").describe("Path prefix (or exact path)."),
  pathType: z.enum(["Prefix", "Exact"]).default("Prefix"),
  service: dnsLabel.describe("Kubernetes Service name in the app's namespace."),
  port: z.union([z.int().min(1).max(65535), dnsLabel]).describe("Service port number or name (kinds httpRoute and grpcRoute: a number, since Gateway API backendRefs name ports by number)."),
  protocol: z.enum(["http", "h2c", "https"], { error: "expected protocol http, h2c or https" }).optional().describe("What the Service port speaks, as its appProtocol declares it to Gateway API routes (kubernetes.io/h2c, https). Kind grpcRoute needs h2c or https: gRPC runs over HTTP/2. Default http."),
});

const middlewares = section({
  stripPrefix: z.array(z.string().regex(/^\//)).optional().describe("Prefixes removed before the request reaches the app."),
  cors: section({
    origins: z.array(z.string()).min(1),
    methods: z.array(z.string()).default(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]),
    headers: z.array(z.string()).default(["*"]),
    maxAge: z.int().min(0).default(600),
    credentials: z.boolean().default(false),
  }).optional().describe("CORS response headers."),
  rateLimit: section({ average: z.int().min(1), burst: z.int().min(1) }).optional().describe("Requests per second, average and burst."),
  securityHeaders: z.boolean().optional().describe("HSTS, frame-deny, nosniff, strict referrer policy."),
  ipAllowList: section({
    cloudflare: z.boolean().default(false).describe("Allow Cloudflare's ranges (looked up at deploy time)."),
    ranges: z.array(z.cidrv4()).default([]).describe("Further allowed CIDRs."),
  }).optional().describe("Only these client ranges may reach the app."),
  basicAuth: section({
    usersSecret: z.string().min(1).describe("Secret config key (homelab:<key>) holding htpasswd lines."),
  }).optional().describe("HTTP basic auth."),
  redirect: section({
    regex: z.string().min(1),
    replacement: z.string().min(1),
    permanent: z.boolean().default(false),
  }).optional().describe("Regex redirect."),
});

const app = section({
  kind: z.enum(["ingress", "ingressRoute", "external", "httpRoute", "grpcRoute"], { error: "expected kind ingress, ingressRoute, external, httpRoute or grpcRoute" }).default("ingress").describe("ingress (Kubernetes Ingress), ingressRoute (Traefik CRD), external (a service outside the cluster, through an Ingress), httpRoute (Gateway API HTTPRoute) or grpcRoute (Gateway API GRPCRoute; backend paths `/`, `/<package.Service>` or `/<package.Service>/<Method>`). httpRoute and grpcRoute attach to the Gateway of traefik.gatewayApi and take an external block too."),
  namespace: dnsLabel.default("default").describe("Namespace of the app's Service."),
  hosts: z.array(hostname).min(1, { error: "an app needs at least one host" }).describe("Host names, inside dns.zone."),
  backends: z.array(backend).min(1, { error: "an app needs at least one backend" }).describe("Path → Service:port; the most specific path wins."),
  external: section({
    addresses: z.array(ipv4("the external service's address")).optional(),
    externalName: hostname.optional(),
    port: z.int().min(1).max(65535),
    scheme: z.enum(["http", "https", "h2c"]).default("http").describe("How Traefik talks to the service; h2c is cleartext HTTP/2 (a gRPC server)."),
    insecureSkipVerify: z.boolean().default(false).describe("https only: accept the service's self-signed certificate (the Proxmox UI, most NAS UIs); applies to this service alone."),
  }).optional().describe("For kind external: where the service lives (addresses or externalName)."),
  issuer: dnsLabel.optional().describe("ClusterIssuer. Default certManager.defaultIssuer."),
  proxied: z.boolean().optional().describe("Proxy through Cloudflare. Default dns.proxied."),
  middlewares: middlewares.optional(),
  sticky: section({
    cookie: z.string().regex(/^[A-Za-z0-9_-]+$/).describe("Cookie name."),
    secure: z.boolean().default(true),
    httpOnly: z.boolean().default(true),
    sameSite: z.enum(["none", "lax", "strict"]).default("lax"),
  }).optional().describe("Cookie-based session affinity (WebSocket / Socket.io apps)."),
  networkPolicy: z.boolean().default(true).describe("Allow Traefik to reach the app's pods with a NetworkPolicy. The policy (allow-traefik) is per namespace and shared by the namespace's apps: it admits Traefik to every pod there while any in-cluster app of the namespace keeps this true, so opting out takes effect only when all of them opt out."),
});

const namespace = section({
  podSecurity: z.enum(["restricted", "baseline"]).default("restricted").describe("Pod Security enforce level."),
  defaultDeny: z.boolean().default(false).describe("Deny all ingress not allowed by a policy."),
});

/** The whole `homelab:` namespace of a stack's config. */
export const homelabSchema = section({
  cluster: cluster,
  metallb: metallb,
  traefik: traefik,
  certManager: certManager.describe("cert-manager and its Let's Encrypt ClusterIssuers."),
  dns: dns.describe("Cloudflare DNS."),
  apps: z.record(dnsLabel, app).default({}).describe("Apps keyed by name (the key is the app's identity)."),
  namespaces: z.record(dnsLabel, namespace).default({}).describe("App namespaces the stack creates and labels."),
});

export type HomelabInput = z.input<typeof homelabSchema>;
export type ParsedConfig = z.output<typeof homelabSchema>;
export type AppConfig = z.output<typeof app>;
export type BackendConfig = z.output<typeof backend>;
export type Placement = z.output<typeof traefik>["placement"];
export type NodeRole = z.output<typeof nodeRole>;
