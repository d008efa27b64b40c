/**
 * The stack config, defined once. Types, defaults, descriptions (for the
 * generated docs/config.md) and the unknown-key rules all come from here; the
 * cross-field rules live in checks.ts and run on the parsed value.
 */
import { z } from "zod";
import { CPU_TYPES_WITHOUT_X86_64_V2, DEFAULTS, TESTED_KUBERNETES, TESTED_TALOS } from "./defaults.ts";
import { addressEntryProblem, hostAddressProblem, isPublicIpv4 } from "../builders/net.ts";
import { EXACT_CHART_VERSION, isHttpsRepository } from "../builders/helm.ts";
import {
  cronScheduleProblem,
  httpUrlProblem,
  kubernetesReleaseProblem,
  re2Problem,
  BRIDGE_NAME,
  HTTP_TOKEN,
  PORT_NAME,
  PORT_NAME_ERROR,
  PROXMOX_LIMITS,
  PROXMOX_NODE,
  PROXMOX_STORAGE_ID,
  QUANTITY,
  QUANTITY_ERROR,
  routePathProblem,
} from "./formats.ts";

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

/** A string refined by a `…Problem` function: its answer is the error. */
const checked = (problem: (value: string) => string | undefined) =>
  z.string().superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: "custom", message });
  });
const routePath = checked(routePathProblem);
// Every address the config names is one a host, a VIP or a resolver can have (builders/net.ts hostAddressProblem).
const ipv4 = (what: string) =>
  z.ipv4({ error: `expected ${what} as an IPv4 address, e.g. 10.0.10.11` }).superRefine((ip, ctx) => {
    const problem = hostAddressProblem(ip);
    if (problem) ctx.addIssue({ code: "custom", message: `${ip} ${problem}; use ${what}` });
  });
const hostname = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
  error: "expected a lower-case fully qualified host name, e.g. grafana.example.com",
});
const dnsLabel = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, {
  error: "expected a DNS label: lower-case letters, digits and '-', at most 63 characters",
});
const quantity = z.string().regex(QUANTITY, { error: QUANTITY_ERROR });
const storageId = z.string().regex(PROXMOX_STORAGE_ID, { error: "expected a Proxmox storage id, e.g. local-lvm" });
const addressEntry = z.string().superRefine((entry, ctx) => {
  const problem = addressEntryProblem(entry);
  if (problem)
    ctx.addIssue({ code: "custom", message: `${problem}; use a CIDR (10.0.10.240/28), a range (10.0.10.240-10.0.10.250) or one address` });
});
const chart = (defaults: { readonly version: string; readonly repository: string }) =>
  section({
    version: z
      .string()
      .regex(EXACT_CHART_VERSION, {
        error: "expected an exact chart version, e.g. 41.3.0: a range or latest changes the chart under the stack",
      })
      .default(defaults.version)
      .describe("Chart version, pinned."),
    repository: z
      .url()
      .refine(isHttpsRepository, { error: "expected the chart repository's https:// URL" })
      .default(defaults.repository)
      .describe("Helm repository URL (https)."),
  }).prefault({});

// ── cluster ─────────────────────────────────────────────────────────────────

const nodeRole = z.enum(["controlplane", "worker"], { error: "expected role controlplane or worker" });

const nodeSizing = {
  cores: z
    .int()
    .min(1)
    .max(PROXMOX_LIMITS.cores, { error: `the Proxmox provider accepts at most ${PROXMOX_LIMITS.cores} cores` })
    .optional()
    .describe(`vCPU cores. Default ${DEFAULTS.node.cores}.`),
  sockets: z
    .int()
    .min(1)
    .max(PROXMOX_LIMITS.sockets, { error: `the Proxmox provider accepts at most ${PROXMOX_LIMITS.sockets} sockets` })
    .optional()
    .describe(`CPU sockets. Default ${DEFAULTS.node.sockets}.`),
  cpuType: z
    .string()
    .refine((t) => !CPU_TYPES_WITHOUT_X86_64_V2.includes(t), {
      error: "this CPU type lacks x86-64-v2, so Talos halts at boot; use host or x86-64-v2-AES",
    })
    .optional()
    .describe(`Proxmox CPU type; Talos needs x86-64-v2 or better. Default ${DEFAULTS.node.cpuType}.`),
  memory: z
    .int()
    .min(2048, { error: "Talos needs at least 2048 MB of memory" })
    .max(PROXMOX_LIMITS.memoryMb, { error: `the Proxmox provider accepts at most ${PROXMOX_LIMITS.memoryMb} MB` })
    .optional()
    .describe(`Memory in MB. Default ${DEFAULTS.node.memory}.`),
  diskDatastore: storageId.optional().describe(`Proxmox datastore of the system disk. Default ${DEFAULTS.node.diskDatastore}.`),
  diskSize: z
    .int()
    .min(10, { error: "Talos needs a system disk of at least 10 GB" })
    .optional()
    .describe(`System disk size in GB. Default ${DEFAULTS.node.diskSize}.`),
  diskInterface: z
    .string()
    .regex(/^(virtio|scsi|sata|ide)\d+$/, { error: "expected a disk interface like virtio0 or scsi0" })
    .optional()
    .describe(`Disk interface. Default ${DEFAULTS.node.diskInterface}.`),
  bridge: z
    .string()
    .regex(BRIDGE_NAME, { error: "expected a Linux bridge name like vmbr0 (at most 15 characters)" })
    .optional()
    .describe(`Proxmox network bridge. Default ${DEFAULTS.node.bridge}.`),
  vlan: z.int().min(1).max(4094).optional().describe("VLAN tag of the VM's network device. Default: untagged."),
};

const talosNode = section({
  role: nodeRole.describe("controlplane or worker."),
  ip: ipv4("the node's static address").describe("Static IPv4 address, inside cluster.network.subnet."),
  vmId: z.int().min(100, { error: "Proxmox VM ids start at 100" }).max(999_999_999).describe("Proxmox VM id, unique."),
  proxmoxNode: z
    .string()
    .min(1, { error: "name the Proxmox node that hosts this VM" })
    .regex(PROXMOX_NODE, { error: "expected a Proxmox node name (its host name, e.g. pve1)" })
    .describe("Proxmox node (host) that runs the VM."),
  macAddress: z
    .mac({ error: "expected a MAC address like BC:24:11:00:00:01" })
    .optional()
    .describe("Fixed MAC address. Default: Proxmox assigns one."),
  installDisk: z.string().optional().describe(`Disk Talos installs to. Default cluster.talos.installDisk.`),
  retire: z
    .enum(["reset", "forget"], { error: "expected retire reset (a running node: drain, leave etcd, wipe) or forget (a dead node)" })
    .optional()
    .describe(
      "First step of removing the node (README, Operations): `pulumi up` with it set unprotects the VM and takes the node out of the health check, the talosconfig and the rolling upgrade; then delete the node from the config. reset: removing it gracefully resets the running node (cordon, drain, leave etcd, wipe); forget: the node is dead, removing it resets nothing. One control plane at a time. Default: the node stays in the cluster.",
    ),
  ...nodeSizing,
});

const existingNode = section({
  role: nodeRole.describe("controlplane or worker."),
  ip: ipv4("the node's address").describe("Node IPv4 address (DNS targets for hostNetwork placements)."),
});

const network = section({
  subnet: z
    .cidrv4({ error: "expected the node subnet as an IPv4 CIDR, e.g. 10.0.10.0/24" })
    .describe(`Node subnet (CIDR). Must not overlap the pod network, Talos' default ${DEFAULTS.talos.podSubnet}.`),
  gateway: ipv4("the default gateway").optional().describe("Default gateway. Default: the subnet's first host."),
  nameservers: z
    .array(ipv4("a nameserver"))
    .min(1)
    .default([...DEFAULTS.nameservers])
    .describe("DNS resolvers for the nodes."),
  interface: z.string().min(1).default(DEFAULTS.talos.interface).describe("Network interface Talos configures (and puts the VIP on)."),
  vip: ipv4("the shared VIP")
    .optional()
    .describe(
      "Talos shared VIP on the control planes; the Kubernetes API endpoint. Required for the controlplane Traefik placement. Default: none; the API endpoint is then a control plane's own address.",
    ),
});

const s3Bucket = z
  .string()
  .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: "expected an S3 bucket name: 3-63 lower-case letters, digits, '.' and '-'" });
const secretKeyName = (what: string, fallback: string) =>
  z.string().min(1).default(fallback).describe(`Secret config key (homelab:<key>) holding the ${what}.`);

const etcdBackup = section({
  schedule: checked(cronScheduleProblem)
    .default(DEFAULTS.backup.schedule)
    .describe("Cron schedule of the snapshots (the cluster's time zone, UTC on Talos)."),
  agePublicKey: z
    .string()
    .regex(/^age1[02-9ac-hj-np-z]{58}$/, {
      error: "expected an age X25519 public key (age1…, from age-keygen); keep the private key off the cluster",
    })
    .describe("age public key the snapshots are encrypted to. Only its private key (kept offline) decrypts them."),
  retentionDays: z
    .int()
    .min(1)
    .default(DEFAULTS.backup.retentionDays)
    .describe(
      "Days a snapshot is kept. talos-backup never deletes; the stack output etcdBackupLifecycle is the bucket lifecycle rule that does (README, Operations).",
    ),
  s3: section({
    endpoint: checked(httpUrlProblem).optional().describe("S3-compatible API endpoint (MinIO, Garage, R2, …). Default: AWS S3 in region."),
    bucket: s3Bucket.describe("Bucket the snapshots go to."),
    region: z.string().min(1).default(DEFAULTS.backup.region).describe("Region."),
    prefix: z
      .string()
      // biome-ignore lint/complexity/noUselessEscapeInRegex: the regex's source is the pattern docs/config.schema.json publishes; unescaping it would change that file.
      .regex(/^[A-Za-z0-9!_.*'()\/-]+$/, { error: "expected an S3 key prefix of letters, digits and !_.*'()/-" })
      .optional()
      .describe("Key prefix of the snapshots. Default: the cluster name."),
    pathStyle: z
      .boolean()
      .optional()
      .describe("Path-style bucket URLs (most self-hosted S3 servers need them). Default: true with an endpoint, false for AWS."),
    accessKeyIdSecret: secretKeyName("access key id", DEFAULTS.backup.accessKeyIdSecret),
    secretAccessKeySecret: secretKeyName("secret access key", DEFAULTS.backup.secretAccessKeySecret),
  }).describe("Where the snapshots go; the credentials are secret config values."),
});

const firewall = section({
  enabled: z
    .boolean()
    .default(false)
    .describe(
      "Talos' host firewall: block every inbound connection to the nodes (NetworkDefaultActionConfig ingress: block) except the Talos API (50000) and Kubernetes API (6443) from adminSubnets, what the nodes need between themselves (kubelet 10250, trustd 50001, etcd 2379-2380, flannel VXLAN udp 4789, MetalLB memberlist 7946), and, for a host-network Traefik, :80/:443 from Cloudflare's ranges (looked up at deploy time) when apps are proxied plus ingressSources. Off by default: switched on by an upgrade, a wrong guess of where the operator connects from would cut the running cluster off its own Talos API, and recovering takes the Proxmox console (README, Host firewall); turn it on once adminSubnets names that path.",
    ),
  adminSubnets: z
    .array(z.cidrv4({ error: "expected a subnet as an IPv4 CIDR, e.g. 10.0.10.0/24" }))
    .optional()
    .describe(
      "Where the operator reaches the Talos API (50000) and the Kubernetes API (6443) from: the machine that runs pulumi up and talosctl applies every node's config through that node's port 50000, so its address must be inside one of these. Default: cluster.network.subnet.",
    ),
  ingressSources: z
    .array(z.cidrv4({ error: "expected a source range as an IPv4 CIDR, e.g. 0.0.0.0/0" }))
    .optional()
    .describe(
      "Host-network placements (daemonset, controlplane): who besides Cloudflare (for proxied apps) and the cluster's pods may open :80/:443 on the nodes. Default: 0.0.0.0/0 while any public app is unproxied (its clients connect directly), else traefik.privateEntry.sources while an app is private, else none. The deployment placement's MetalLB address is forwarded to Traefik's pods, which the host firewall does not filter.",
    ),
}).prefault({});

const talosCluster = section({
  provider: z.literal("talos").describe("Talos Linux VMs on Proxmox VE, provisioned by this stack."),
  name: dnsLabel.default("homelab").describe("Cluster name."),
  talos: section({
    version: z
      .string()
      .regex(/^v\d+\.\d+\.\d+$/, { error: "expected an exact Talos release like v1.13.9 (latest or v1.13 would move under the stack)" })
      .default(DEFAULTS.talos.version)
      .describe(
        `Installed Talos release: the image, the installer and the rolling upgrade (one node at a time, control planes first) run on a change. One minor release per upgrade. Machine configs follow configContract, not this. Default ${DEFAULTS.talos.version}; tested: ${TESTED_TALOS.join(", ")}.`,
      ),
    configContract: z
      .string({
        error: (issue) =>
          issue.input === undefined
            ? `is required for Talos stacks: set it once, when the cluster is created, to the minor release of cluster.talos.version (e.g. ${DEFAULTS.talos.configContract}), and never change it with a Talos upgrade; a stack deployed before this key existed: the release its machine secrets were created with, then cluster.talos.version (e.g. ${DEFAULTS.talos.version})`
            : undefined,
      })
      .regex(/^v\d+\.\d+(\.\d+)?$/, {
        error: `expected a Talos config contract like ${DEFAULTS.talos.configContract} (or, for a stack deployed before this key existed, the release its machine secrets were created with, e.g. ${DEFAULTS.talos.version})`,
      })
      .describe(
        `Talos config version contract of the machine secrets and every generated machine config, fixed at cluster creation (upstream advises never to change it). Required: a default would follow version and regenerate every node's config on an upgrade. New stacks: the minor of version (${DEFAULTS.talos.configContract}); stacks deployed before this key existed: the release their secrets were created with (the program passed version then, e.g. ${DEFAULTS.talos.version}), since the protected secrets refuse any other value. Patch shapes follow its minor. At most ${DEFAULTS.talos.configContract}, the provider's Talos machinery.`,
      ),
    allowConfigContractChange: z
      .boolean()
      .default(false)
      .describe(
        "Opt-in for deliberately raising configContract: without it the machine secrets (protected) refuse any contract change at preview. Lowering is never possible.",
      ),
    kubernetesVersion: z
      .string({
        error: (issue) =>
          issue.input === undefined
            ? `is required for Talos stacks: set it to the Kubernetes release the cluster runs (kubectl version; a new cluster on Talos ${DEFAULTS.talos.version}: ${DEFAULTS.talos.kubernetesDefault}); unset, the provider's own default would decide it and move it with a provider bump`
            : undefined,
      })
      .regex(/^\d+\.\d+\.\d+$/, {
        error: `expected an exact Kubernetes release like ${DEFAULTS.talos.kubernetesDefault} (no v, no minor alone: the stack pins what runs)`,
      })
      .superRefine((value, ctx) => {
        // The format has its own message above; this names releases no supported Talos runs (1.63.3).
        const problem = /^\d+\.\d+\.\d+$/.test(value) ? kubernetesReleaseProblem(value) : undefined;
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .describe(
        `Kubernetes release the cluster runs, pinned like configContract: generated machine configs carry it, and a change runs talosctl upgrade-k8s (pre-pulled images, node by node, deprecated-API check) before any config apply, so Kubernetes never moves by a config apply or a provider bump. One minor per change, within what cluster.talos.version runs. A new cluster on Talos ${DEFAULTS.talos.version}: ${DEFAULTS.talos.kubernetesDefault}. Tested: ${TESTED_KUBERNETES.join(", ")}.`,
      ),
    extensions: z
      .array(z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, { error: "expected an extension like siderolabs/qemu-guest-agent" }))
      .default([...DEFAULTS.talos.extensions])
      .describe("Image Factory system extensions."),
    installDisk: z.string().default(DEFAULTS.talos.installDisk).describe("Disk Talos installs to."),
    imageDatastore: storageId
      .default(DEFAULTS.talos.imageDatastore)
      .describe("Proxmox datastore the Talos image is downloaded to; needs the Import content type (Proxmox VE 8.4+)."),
    // An absent section parses as empty, so the errors name the required keys, configContract and kubernetesVersion.
  })
    .prefault({} as { configContract: string; kubernetesVersion: string })
    .describe("Talos version, config contract and image."),
  network: network.describe("Node network."),
  nodeDefaults: section(nodeSizing).prefault({}).describe("Sizing applied to every node unless the node overrides it."),
  nodes: z
    .record(
      dnsLabel,
      talosNode.describe("One Talos VM: its role, static address, Proxmox VM id and host, and sizing over cluster.nodeDefaults."),
    )
    .describe("Nodes keyed by host name (the key is the node's identity)."),
  allowSchedulingOnControlPlanes: z
    .boolean()
    .default(false)
    .describe("Run workloads on control planes (needed when there are no workers)."),
  bootstrapNode: dnsLabel
    .optional()
    .describe(
      "The control plane etcd was bootstrapped on and the kubeconfig is fetched from. Default: the first control plane by name. Set it before retiring that node, or before adding a control plane whose name sorts first; etcd is never bootstrapped again. Without cluster.network.vip its address is also the Kubernetes endpoint, so changing it reconfigures every node.",
    ),
  proxmox: section({
    hosts: z
      .array(z.string().min(1))
      .min(1, { error: "list at least one Proxmox host, or leave hosts out" })
      .optional()
      .describe(
        "The Proxmox nodes (hosts) VMs may run on; every node's proxmoxNode must be one of them, so a typo or a move to an unknown host is refused before anything deploys. Default: not checked.",
      ),
  })
    .prefault({})
    .describe("The Proxmox cluster."),
  backup: etcdBackup
    .optional()
    .describe("Scheduled, encrypted etcd snapshots to S3-compatible storage (Sidero's talos-backup). Default: none."),
  firewall: firewall.describe("Talos host firewall (ingress)."),
});

const existingCluster = section({
  provider: z.literal("existing").describe("A running cluster (e.g. k3s), reached through a kubeconfig secret."),
  name: dnsLabel.default("homelab").describe("Cluster name."),
  kubeconfigSecret: z.string().default("kubeconfig").describe("Secret config key (homelab:<key>) holding the kubeconfig."),
  network: section({
    subnet: z
      .cidrv4({ error: "expected the node subnet as an IPv4 CIDR" })
      .optional()
      .describe("Node subnet (CIDR), for address checks. Default: none (node addresses are not checked against a subnet)."),
    vip: ipv4("the control-plane VIP").optional().describe("Control-plane VIP, for the controlplane placement. Default: none."),
    podSubnet: z
      .cidrv4({ error: "expected the pod network as an IPv4 CIDR, e.g. 10.42.0.0/16" })
      .optional()
      .describe(
        "The CNI's pod network (CIDR), e.g. 10.42.0.0/16 on k3s. Required for placement daemonset or controlplane when an app gets a NetworkPolicy: a host-network Traefik reaches pods on other nodes from the CNI's tunnel address, which lies in this range. Default: none.",
      ),
  })
    .prefault({})
    .describe("The running cluster's network, for address checks and host-network placements."),
  nodes: z
    .record(dnsLabel, existingNode.describe("One node of the running cluster: its role and address."))
    .default({})
    .describe("Nodes, for hostNetwork placements (DNS targets, network policies)."),
  enforcesNetworkPolicies: z
    .boolean()
    .default(true)
    .describe(
      "Whether the cluster's CNI enforces NetworkPolicies. Default true: k3s, this provider's usual cluster, enforces them with its embedded controller (unless started with --disable-network-policy), as do Calico, Cilium and most managed services; set false for a CNI that does not (plain Flannel, e.g. kubeadm with kube-flannel). When false the stack registers no NetworkPolicy, which would protect nothing, and refuses namespaces' defaultDeny. The program cannot check this claim; it is written on every NetworkPolicy it registers.",
    ),
});

const cluster = z
  .discriminatedUnion("provider", [talosCluster, existingCluster], {
    error: "expected provider talos (Talos VMs on Proxmox) or existing (a running cluster from a kubeconfig)",
  })
  .describe("The Kubernetes cluster.");

// ── platform services ───────────────────────────────────────────────────────

const metallb = section({
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

const traefik = section({
  placement: z
    .enum(["deployment", "daemonset", "controlplane"], { error: "expected placement deployment, daemonset or controlplane" })
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

const issuer = section({
  environment: z
    .enum(["staging", "production"], { error: "expected environment staging or production" })
    .describe("Let's Encrypt environment."),
  dnsZones: z.array(hostname).optional().describe("Zones this issuer's DNS-01 solver answers for. Default: dns.zone."),
});

const certManager = section({
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

const dns = section({
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

const tunnel = section({
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

// ── apps ────────────────────────────────────────────────────────────────────

const backend = section({
  path: routePath.default("/").describe("Path prefix (or exact path)."),
  pathType: z.enum(["Prefix", "Exact"]).default("Prefix").describe("Prefix: the path and everything below it; Exact: the path alone."),
  // Services are DNS-1035 labels (apimachinery ValidateServiceName), which an Ingress backend must name too: a leading digit is refused.
  service: z
    .string()
    .regex(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, {
      error: "expected a Service name: a lower-case letter, then letters, digits and '-', at most 63 characters",
    })
    .describe("Kubernetes Service name in the app's namespace."),
  port: z
    .union(
      [
        z.int({ error: PORT_NAME_ERROR }).min(1, { error: PORT_NAME_ERROR }).max(65535, { error: PORT_NAME_ERROR }),
        z.string().regex(PORT_NAME, { error: PORT_NAME_ERROR }),
      ],
      { error: PORT_NAME_ERROR },
    )
    .describe("Service port number or name (kinds httpRoute and grpcRoute: a number, since Gateway API backendRefs name ports by number)."),
  protocol: z
    .enum(["http", "h2c", "https"], { error: "expected protocol http, h2c or https" })
    .optional()
    .describe(
      "What the Service port speaks, as its appProtocol declares it to Gateway API routes (kubernetes.io/h2c, https). Kind grpcRoute needs h2c or https: gRPC runs over HTTP/2. Default http.",
    ),
});

const middlewares = section({
  stripPrefix: z.array(routePath).optional().describe("Prefixes removed before the request reaches the app. Default: none."),
  cors: section({
    origins: z
      .array(z.string().regex(/^(\*|https?:\/\/[^\s,/]+)$/, { error: "expected an origin like https://app.example.com, or *" }))
      .min(1)
      .describe("Origins allowed to call the app from a browser, e.g. https://app.example.com."),
    methods: z
      .array(z.string().regex(HTTP_TOKEN, { error: "expected an HTTP method like GET" }))
      .default(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
      .describe("Allowed request methods."),
    headers: z
      .array(z.string().regex(HTTP_TOKEN, { error: "expected a header name like Content-Type, or *" }))
      .default(["*"])
      .describe("Allowed request headers."),
    maxAge: z.int().min(0).default(600).describe("Seconds a browser may cache the preflight answer."),
    credentials: z.boolean().default(false).describe("Allow cookies and credentials on cross-origin requests."),
  })
    .optional()
    .describe("CORS response headers. Default: none."),
  rateLimit: section({
    average: z.int().min(1).describe("Requests per second, averaged."),
    burst: z.int().min(1).describe("Requests allowed at once above the average."),
  })
    .optional()
    .describe("Requests per second, average and burst. Default: no limit."),
  securityHeaders: z.boolean().optional().describe("HSTS, frame-deny, nosniff, strict referrer policy. Default: off."),
  ipAllowList: section({
    cloudflare: z.boolean().default(false).describe("Allow Cloudflare's ranges (looked up at deploy time)."),
    ranges: z.array(z.cidrv4()).default([]).describe("Further allowed CIDRs."),
  })
    .optional()
    .describe("Only these client ranges may reach the app. Default: every client."),
  basicAuth: section({
    usersSecret: z.string().min(1).describe("Secret config key (homelab:<key>) holding htpasswd lines."),
  })
    .optional()
    .describe("HTTP basic auth. Default: none."),
  redirect: section({
    regex: z
      .string()
      .min(1)
      .pipe(checked(re2Problem))
      .describe("Regular expression matched against the request URL, in Go's RE2 syntax (Traefik's): no lookaround or backreferences."),
    replacement: z.string().min(1).describe("Where to redirect; ${1} … are the regex's groups."),
    permanent: z.boolean().default(false).describe("301/308 instead of 302/307."),
  })
    .optional()
    .describe("Regex redirect. Default: none."),
});

const app = section({
  kind: z
    .enum(["ingress", "ingressRoute", "external", "httpRoute", "grpcRoute", "tlsPassthrough", "tlsRoute"], {
      error: "expected kind ingress, ingressRoute, external, httpRoute, grpcRoute, tlsPassthrough or tlsRoute",
    })
    .default("ingress")
    .describe(
      "ingress (Kubernetes Ingress), ingressRoute (Traefik CRD), external (a service outside the cluster, through an Ingress), httpRoute (Gateway API HTTPRoute), grpcRoute (Gateway API GRPCRoute; backend paths `/`, `/<package.Service>` or `/<package.Service>/<Method>`), tlsPassthrough (Traefik IngressRouteTCP with TLS passthrough: routed by SNI to a backend that terminates TLS itself; one backend, path /) or tlsRoute (the same through the Gateway: a Gateway API TLSRoute on a TLS Passthrough listener). httpRoute, grpcRoute and tlsRoute attach to the Gateway of traefik.gatewayApi; httpRoute and grpcRoute take an external block too. Passthrough apps get no certificate, are never proxied (Cloudflare would end their TLS at its edge) and take no middleware but ipAllowList.",
    ),
  namespace: dnsLabel.default("default").describe("Namespace of the app's Service."),
  hosts: z.array(hostname).min(1, { error: "an app needs at least one host" }).describe("Host names, inside dns.zone."),
  backends: z
    .array(backend.describe("One path of the app and the Service:port it goes to."))
    .min(1, { error: "an app needs at least one backend" })
    .describe("Path → Service:port; the most specific path wins."),
  external: section({
    addresses: z
      .array(ipv4("the external service's address"))
      .optional()
      .describe("IPv4 addresses of the service. Default: none; give these or externalName."),
    externalName: hostname.optional().describe("DNS name of the service. Default: none; give this or addresses."),
    port: z.int().min(1).max(65535).describe("Port the service listens on."),
    scheme: z
      .enum(["http", "https", "h2c"])
      .default("http")
      .describe("How Traefik talks to the service; h2c is cleartext HTTP/2 (a gRPC server)."),
    insecureSkipVerify: z
      .boolean()
      .default(false)
      .describe("https only: accept the service's self-signed certificate (the Proxmox UI, most NAS UIs); applies to this service alone."),
  })
    .optional()
    .describe("For kind external: where the service lives (addresses or externalName). Default: none; required for kind external."),
  issuer: dnsLabel.optional().describe("ClusterIssuer. Default certManager.defaultIssuer."),
  proxied: z.boolean().optional().describe("Proxy through Cloudflare. Default dns.proxied."),
  middlewares: middlewares.optional().describe("Traefik middlewares on the app's routes. Default: none."),
  sticky: section({
    cookie: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .describe("Cookie name."),
    secure: z.boolean().default(true).describe("Send the cookie over HTTPS only."),
    httpOnly: z.boolean().default(true).describe("Hide the cookie from scripts."),
    sameSite: z.enum(["none", "lax", "strict"]).default("lax").describe("The cookie's SameSite attribute."),
  })
    .optional()
    .describe("Cookie-based session affinity (WebSocket / Socket.io apps). Default: none (any pod may answer)."),
  private: z
    .boolean()
    .default(false)
    .describe(
      "LAN only: no public DNS record, never proxied or tunnelled, and closed to the internet at Traefik: placement deployment serves it on the private entry alone (traefik.privateEntry: a second MetalLB address the router does not forward); the host-network placements, whose node addresses public apps share, on the shared entry behind an ipAllowList of traefik.privateEntry.sources. Every placement adds that allow-list. The stack output lanDns and the synth files lan-dns/* give the host → private entry address lines for a LAN resolver (hosts file, dnsmasq, Pi-hole, AdGuard Home).",
    ),
  publicCertificate: z
    .boolean()
    .default(false)
    .describe(
      "Private apps only: accept a certificate of their own, which publishes the host names in Certificate Transparency logs (where scanners find them). Without it a private app's hosts must be covered by a wildcard certificate (certManager.wildcardZones, or traefik.gatewayApi.listeners: wildcard for Gateway API routes), or need none (passthrough).",
    ),
  publicRecord: z
    .boolean()
    .default(false)
    .describe(
      "Private apps only: keep a public DNS-only A record with the entry's private address (resolvers with DNS-rebinding protection drop it, and it names the LAN address to anyone).",
    ),
  networkPolicy: z
    .boolean()
    .default(true)
    .describe(
      "Allow Traefik to reach the app's pods with a NetworkPolicy. The policy (allow-traefik) is per namespace and shared by the namespace's apps: it admits Traefik to every pod there while any in-cluster app of the namespace keeps this true, so opting out takes effect only when all of them opt out. On a cluster that enforces no NetworkPolicy (a Talos cluster.talos.configContract before v1.13, or cluster.enforcesNetworkPolicies: false) no policy is registered.",
    ),
});

const namespace = section({
  podSecurity: z.enum(["restricted", "baseline"]).default("restricted").describe("Pod Security enforce level."),
  defaultDeny: z
    .boolean()
    .default(false)
    .describe(
      "Deny all ingress not allowed by a policy. Needs a cluster that enforces NetworkPolicies: Talos with cluster.talos.configContract v1.13 or newer (the stack then turns on kube-network-policies), or provider existing with cluster.enforcesNetworkPolicies.",
    ),
});

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
export type Placement = z.output<typeof traefik>["placement"];
export type NodeRole = z.output<typeof nodeRole>;
export type EtcdBackupConfig = z.output<typeof etcdBackup>;
