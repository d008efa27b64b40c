/**
 * Small cluster configs for the cluster tests, parsed through the real config
 * layer so defaults and resolution are the ones the program sees.
 */
import { parseHomelabConfig } from "../../config/validate.ts";
import type { ClusterSpec, ExistingClusterSpec, TalosClusterSpec } from "../../model/resolve.ts";

export const VIP = "10.0.10.10";

/** The newest Kubernetes minor the test's Talos release runs (siderolabs/talos compatibility tables), a patch of it. */
function kubernetesOf(talos: unknown): string {
  const version = (talos as { version?: string } | undefined)?.version ?? "v1.13.9";
  const minor = /^v1\.(\d+)\./.exec(version)?.[1];
  return { "11": "1.34.6", "12": "1.35.4", "13": "1.36.3", "14": "1.37.2" }[minor ?? "13"] ?? "1.36.3";
}

/** The contract a cluster created at the test's Talos release would have pinned: its minor. */
function contractOf(talos: unknown): string {
  const version = (talos as { version?: string } | undefined)?.version ?? "v1.13.9";
  return version.split(".").slice(0, 2).join(".");
}

/** Three control planes and two workers on two Proxmox hosts, listed out of name order on purpose. */
export function talosRaw(cluster: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cluster: {
      provider: "talos",
      name: "lab",
      network: { subnet: "10.0.10.0/24", gateway: "10.0.10.1", nameservers: ["10.0.10.1", "1.1.1.1"], vip: VIP },
      nodes: {
        worker2: {
          role: "worker",
          ip: "10.0.10.22",
          vmId: 1022,
          proxmoxNode: "pve2",
          diskInterface: "scsi0",
          vlan: 20,
          macAddress: "bc:24:11:00:00:22",
        },
        cp2: { role: "controlplane", ip: "10.0.10.12", vmId: 1012, proxmoxNode: "pve2" },
        cp1: { role: "controlplane", ip: "10.0.10.11", vmId: 1011, proxmoxNode: "pve1" },
        cp3: { role: "controlplane", ip: "10.0.10.13", vmId: 1013, proxmoxNode: "pve1" },
        worker1: { role: "worker", ip: "10.0.10.21", vmId: 1021, proxmoxNode: "pve1", cores: 4, memory: 8192, diskSize: 64 },
      },
      ...cluster,
      // Every Talos stack pins its contract and Kubernetes; a test overriding `talos` keeps it unless it says otherwise.
      talos: {
        configContract: contractOf(cluster.talos),
        kubernetesVersion: kubernetesOf(cluster.talos),
        ...(cluster.talos as Record<string, unknown> | undefined),
      },
    },
    traefik: { placement: "daemonset" },
    certManager: { email: "admin@example.com" },
    dns: { zone: "example.com" },
  };
}

export function parsedCluster(raw: Record<string, unknown>, secretKeys: Iterable<string> = []): ClusterSpec {
  const result = parseHomelabConfig(raw, new Set(secretKeys));
  if (!result.ok) throw new Error(`expected a valid config, got:\n${result.errors.join("\n")}`);
  return result.config.cluster;
}

export function talosCluster(cluster: Record<string, unknown> = {}): TalosClusterSpec {
  const spec = parsedCluster(talosRaw(cluster));
  if (spec.provider !== "talos") throw new Error("expected a Talos cluster");
  return spec;
}

export function existingRaw(cluster: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    cluster: {
      provider: "existing",
      name: "k3s",
      nodes: { "k3s-server": { role: "controlplane", ip: "192.168.1.20" }, "k3s-agent": { role: "worker", ip: "192.168.1.21" } },
      ...cluster,
    },
    traefik: { placement: "daemonset" },
    certManager: { email: "admin@example.com" },
    dns: { zone: "example.com" },
  };
}

export function existingCluster(): ExistingClusterSpec {
  const spec = parsedCluster(existingRaw(), ["kubeconfig"]);
  if (spec.provider !== "existing") throw new Error("expected an existing cluster");
  return spec;
}
