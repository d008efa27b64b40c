/**
 * What a stack asks of Proxmox: VM count and total vCPU, memory and disk,
 * from the resolved nodes (each node's own sizing over the defaults). An
 * existing cluster creates no VM.
 */
import type { ClusterSpec } from "../model/resolve.ts";

export interface Footprint {
  readonly vms: number;
  readonly vcpu: number;
  readonly memoryMb: number;
  readonly diskGb: number;
}

export function footprint(cluster: ClusterSpec): Footprint {
  const nodes = cluster.provider === "talos" ? cluster.nodes : [];
  return {
    vms: nodes.length,
    vcpu: nodes.reduce((n, x) => n + x.cores * x.sockets, 0),
    memoryMb: nodes.reduce((n, x) => n + x.memory, 0),
    diskGb: nodes.reduce((n, x) => n + x.diskSize, 0),
  };
}

/** "5 VMs: 14 vCPU, 28 GiB memory (28672 MB), 224 GB disk" */
export function footprintLine(f: Footprint): string {
  if (f.vms === 0) return "no VMs (an existing cluster)";
  const gib = f.memoryMb / 1024;
  return `${f.vms} VM${f.vms === 1 ? "" : "s"}: ${f.vcpu} vCPU, ${Number.isInteger(gib) ? gib : gib.toFixed(1)} GiB memory (${f.memoryMb} MB), ${f.diskGb} GB disk`;
}
