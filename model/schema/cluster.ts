/** The cluster section: Talos VMs on Proxmox (nodes, network, Talos versions, etcd backup, host firewall) or an existing cluster. */
import { z } from "zod";
import { CPU_TYPES_WITHOUT_X86_64_V2 } from "../../contract/talos.ts";
import { DEFAULTS, TESTED_KUBERNETES, TESTED_TALOS } from "../defaults.ts";
import { BRIDGE_NAME, PROXMOX_LIMITS, PROXMOX_NODE, cronScheduleProblem, httpUrlProblem, kubernetesReleaseProblem } from "../formats.ts";
import { checked, dnsLabel, ipv4, section, storageId } from "./fields.ts";

export const nodeRole = z.enum(["controlplane", "worker"], { error: "expected role controlplane or worker" });
export type NodeRole = z.output<typeof nodeRole>;

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
      "First step of removing the node (docs/operations.md): `pulumi up` with it set unprotects the VM and takes the node out of the health check, the talosconfig and the rolling upgrade; then delete the node from the config. reset: removing it gracefully resets the running node (cordon, drain, leave etcd, wipe); forget: the node is dead, removing it resets nothing. One control plane at a time. Default: the node stays in the cluster.",
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

export const etcdBackup = section({
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
      "Days a snapshot is kept. talos-backup never deletes; the stack output etcdBackupLifecycle is the bucket lifecycle rule that does (docs/operations.md).",
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
      "Talos' host firewall: block every inbound connection to the nodes (NetworkDefaultActionConfig ingress: block) except the Talos API (50000) and Kubernetes API (6443) from adminSubnets, what the nodes need between themselves (kubelet 10250, trustd 50001, etcd 2379-2380, flannel VXLAN udp 4789, MetalLB memberlist 7946), and, for a host-network Traefik, :80/:443 from Cloudflare's ranges (looked up at deploy time) when apps are proxied plus ingressSources. Off by default: switched on by an upgrade, a wrong guess of where the operator connects from would cut the running cluster off its own Talos API, and recovering takes the Proxmox console (docs/networking.md, host firewall); turn it on once adminSubnets names that path.",
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

export const cluster = z
  .discriminatedUnion("provider", [talosCluster, existingCluster], {
    error: "expected provider talos (Talos VMs on Proxmox) or existing (a running cluster from a kubeconfig)",
  })
  .describe("The Kubernetes cluster.");
