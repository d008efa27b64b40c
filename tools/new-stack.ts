/**
 * The stack file `npm run new-stack` writes: one Talos node on Proxmox that is
 * its own control plane and runs the workloads, Traefik on its host network,
 * one app (private, on the LAN only, unless a public address is given). Pure:
 * answers in, the commented `Pulumi.<stack>.yaml` text out.
 */
import { stringify } from "yaml";
import { DEFAULTS } from "../model/defaults.ts";
import { firstHost, networkOf } from "../contract/net.ts";
import { formatRelease, parseTalosRelease } from "../contract/talos-versions.ts";

export interface NewStackAnswers {
  readonly stack: string;
  readonly proxmoxEndpoint: string;
  readonly proxmoxNode: string;
  readonly nodeIp: string;
  /** The node subnet as a CIDR; the node's /24 when not given. */
  readonly subnet: string;
  readonly gateway: string;
  readonly vmId: number;
  readonly zone: string;
  readonly email: string;
  readonly app: string;
  readonly host: string;
  readonly service: string;
  readonly port: number;
  /** The WAN address the router forwards :80/:443 from; without it the app is private: on the LAN only, with no public DNS record (a public record would publish the node's LAN address). */
  readonly publicAddress?: string;
}

/** One question of the generator: its flag, what it asks, and its default from the answers before it. */
export interface Question {
  readonly flag: string;
  readonly key: keyof NewStackAnswers;
  readonly ask: string;
  readonly numeric?: true;
  readonly default?: (a: Partial<NewStackAnswers>) => string | undefined;
}

export const QUESTIONS: readonly Question[] = [
  { flag: "proxmox-endpoint", key: "proxmoxEndpoint", ask: "Proxmox VE API URL (e.g. https://pve.lan:8006/)" },
  { flag: "proxmox-node", key: "proxmoxNode", ask: "Proxmox node (host) that runs the VM, as in the Proxmox UI's tree" },
  { flag: "node-ip", key: "nodeIp", ask: "Static IPv4 address of the Talos VM (free, outside your DHCP range)" },
  { flag: "subnet", key: "subnet", ask: "Node subnet (CIDR)", default: (a) => (a.nodeIp ? networkOf(`${a.nodeIp}/24`) : undefined) },
  { flag: "gateway", key: "gateway", ask: "Default gateway", default: (a) => (a.subnet ? firstHost(a.subnet) : undefined) },
  { flag: "vm-id", key: "vmId", ask: "Proxmox VM id (unused on the cluster)", numeric: true, default: () => "1001" },
  { flag: "zone", key: "zone", ask: "Cloudflare DNS zone (e.g. example.com)" },
  { flag: "email", key: "email", ask: "E-mail for the Let's Encrypt account" },
  { flag: "app", key: "app", ask: "Name of your first app", default: () => "whoami" },
  { flag: "host", key: "host", ask: "Its host name", default: (a) => (a.app && a.zone ? `${a.app}.${a.zone}` : undefined) },
  { flag: "service", key: "service", ask: "Kubernetes Service it is served by (namespace default)", default: (a) => a.app },
  { flag: "port", key: "port", ask: "Service port", numeric: true, default: () => "80" },
  {
    flag: "public-address",
    key: "publicAddress",
    ask: "Public (WAN) IPv4 your router forwards :80/:443 from (empty: the app stays on your LAN, with no public DNS record)",
    default: () => "",
  },
];

/** A YAML scalar, quoted only when YAML needs it. */
const scalar = (v: string | number): string => stringify(v).trimEnd();

export function nodeNameOf(stack: string): string {
  return `${stack}-cp1`;
}

export function newStackFile(a: NewStackAnswers): string {
  const node = DEFAULTS.node;
  const proxied = a.publicAddress !== undefined && a.publicAddress !== "";
  const lines = [
    `# Stack ${a.stack}: one Talos VM on Proxmox VE that is its own control plane and`,
    "# runs the workloads; Traefik listens on its host network (:80/:443), so no MetalLB;",
    `# ${proxied ? `DNS for ${a.host} points at your public address through Cloudflare's proxy` : `${a.host} is LAN only: no public DNS record (your LAN resolver gets out/${a.stack}/lan-dns/)`};`,
    "# certificates come from Let's Encrypt through Cloudflare DNS-01.",
    `# It creates 1 VM: ${node.cores} vCPU, ${node.memory} MB memory, a ${node.diskSize} GB disk on ${node.diskDatastore}.`,
    "#",
    "# Written by `npm run new-stack`. Every key, its default and what it is for: docs/config.md.",
    "# Secrets never go in this file; set them for the stack (pulumi stack init first):",
    "#   pulumi config set --secret proxmoxve:apiToken 'user@pve!pulumi=<token secret>'",
    "#   pulumi config set --secret cloudflare:apiToken '<token with Zone:DNS:Edit, Zone:Zone:Read and Zone:Zone Settings:Read>'",
    `# Check it offline with \`npm run synth -- --stack ${a.stack}\` (out/${a.stack}/summary.md).`,
    "config:",
    "  # Proxmox VE API, read by the Proxmox provider. The program uses the API only (no SSH).",
    `  proxmoxve:endpoint: ${scalar(a.proxmoxEndpoint)}`,
    "  # A fresh Proxmox install serves a self-signed certificate; set false once it has a trusted one.",
    "  proxmoxve:insecure: true",
    "",
    "  homelab:cluster:",
    "    provider: talos",
    `    name: ${scalar(a.stack)}`,
    "    talos:",
    "      # The config contract of the machine secrets and configs: set once, at creation, and kept",
    "      # through upgrades (an upgrade changes only talos.version; see docs/upgrading.md).",
    `      configContract: ${newClusterContract()}`,
    "      # The Kubernetes release the cluster runs, pinned like the contract: change it to upgrade",
    "      # (talosctl upgrade-k8s runs; docs/upgrading.md).",
    `      kubernetesVersion: ${DEFAULTS.talos.kubernetesDefault}`,
    "    network:",
    `      # Must not overlap Talos' pod network ${DEFAULTS.talos.podSubnet}.`,
    `      subnet: ${scalar(a.subnet)}`,
    `      gateway: ${scalar(a.gateway)}`,
    "    # Keyed by host name: the key is the node's identity (renaming it replaces the VM). More nodes:",
    "    # copy this entry under a new name with its own ip, vmId and proxmoxNode (role worker, or three",
    "    # control planes in all for etcd quorum; then allowSchedulingOnControlPlanes may go).",
    "    nodes:",
    `      ${nodeNameOf(a.stack)}:`,
    "        role: controlplane",
    `        ip: ${scalar(a.nodeIp)}`,
    `        vmId: ${a.vmId}`,
    `        proxmoxNode: ${scalar(a.proxmoxNode)}`,
    "        # The VM's size; Talos needs at least 2048 MB and a 10 GB disk.",
    `        cores: ${node.cores}`,
    `        memory: ${node.memory}`,
    `        diskSize: ${node.diskSize}`,
    "    # The only node is a control plane: without this nothing could be scheduled.",
    "    allowSchedulingOnControlPlanes: true",
    "",
    "  # Traefik on the host network of every node (here: the one node), no LoadBalancer IP.",
    "  homelab:traefik:",
    "    placement: daemonset",
    "",
    "  homelab:certManager:",
    `    email: ${scalar(a.email)}`,
    ...(proxied
      ? []
      : [
          "    # One *.<zone> certificate for the private app: a certificate of its own would publish its name in",
          "    # Certificate Transparency logs, where scanners find private hosts.",
          `    wildcardZones: [${scalar(a.zone)}]`,
        ]),
    "",
    "  homelab:dns:",
    `    zone: ${scalar(a.zone)}`,
    ...(proxied
      ? [
          "    # Cloudflare cannot reach the node's private address: proxied records point at the WAN address.",
          "    proxied: true",
          `    publicAddress: ${scalar(a.publicAddress!)}`,
        ]
      : ["    # No public address: nothing is proxied (Cloudflare could not reach the node).", "    proxied: false"]),
    "",
    "  # Keyed by app name: the key is the app's identity. Add more apps beside it.",
    "  homelab:apps:",
    `    ${a.app}:`,
    `      hosts: [${scalar(a.host)}]`,
    ...(proxied
      ? []
      : [
          "      # LAN only: a public record would hold the node's private address; dns.publicAddress and proxied: true publish the app.",
          "      private: true",
        ]),
    "      backends:",
    `        - { service: ${scalar(a.service)}, port: ${a.port} }`,
  ];
  return `${lines.join("\n")}\n`;
}

/** A new cluster's config contract: the minor release of the Talos it installs. */
function newClusterContract(): string {
  const { major, minor } = parseTalosRelease(DEFAULTS.talos.version)!;
  return formatRelease({ major, minor });
}
