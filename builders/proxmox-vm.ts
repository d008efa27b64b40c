/**
 * The Proxmox side of a Talos node, as plain values: the VM's arguments and the
 * image download each hosting Proxmox node needs. No Pulumi resources here.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { VmLegacyArgs } from "@muhlba91/pulumi-proxmoxve/vmLegacy.js";
import type { TalosClusterSpec, TalosNode } from "../model/resolve.ts";
import { hasQemuGuestAgent } from "./talos-patches.ts";
import { RETIRING_TAG } from "../contract/talos.ts";

/** The Image Factory platform whose image reads Proxmox's cloud-init drive (the metal image ignores it). */
export const TALOS_PLATFORM = "nocloud";
export const TALOS_ARCHITECTURE = "amd64";

/** The Proxmox nodes that host at least one VM, sorted: one image download each. */
export function imageHosts(cluster: TalosClusterSpec): string[] {
  return [...new Set(cluster.nodes.map((n) => n.proxmoxNode))].sort();
}

/** Pulumi stack names and cluster names both use only letters, digits, `-`, `_` and `.`, all valid in a Proxmox volume name. */
export interface ImageOwner {
  readonly stack: string;
  readonly cluster: string;
}

export interface ImageDownload {
  readonly url: string;
  readonly fileName: string;
}

/**
 * The image goes into the datastore's `import` content (Proxmox VE 8.4 or newer),
 * which the VM's disk imports through the API, so the Proxmox provider needs no
 * SSH access to the host. Proxmox decompresses downloads of `iso` content only,
 * so the file must be an uncompressed image: the Image Factory's `.qcow2`
 * (it stores only used blocks, so it is far smaller than the uncompressed
 * `.raw`). The file name carries version and schematic so a new image is a new
 * file; `import` content accepts only `.qcow2`, `.raw`, `.vmdk` and `.ova` names.
 * It also carries the owning stack and cluster: a datastore shared by two stacks
 * would otherwise refuse the second download ("file already exists"), and
 * destroying one stack would delete the image the other's state still owns.
 * Renaming the file of a running cluster replaces only the download: the VMs
 * ignore their disk's image reference (VM_IGNORE_CHANGES).
 */
export function imageDownload(owner: ImageOwner, diskImageUrl: string, talosVersion: string, schematicId: string): ImageDownload {
  const match = /^(.*)\.raw(?:\.(?:xz|zst|gz))?$/.exec(diskImageUrl);
  if (!match) throw new Error(`unexpected Talos disk image URL ${diskImageUrl}: expected <…>.raw, .raw.xz, .raw.zst or .raw.gz`);
  return {
    url: `${match[1]}.qcow2`,
    fileName: `talos-${owner.stack}-${owner.cluster}-${talosVersion}-${schematicId.slice(0, 12)}-${TALOS_PLATFORM}-${TALOS_ARCHITECTURE}.qcow2`,
  };
}

/** The q35 IDE slots (ide0 and ide2 only) of the empty CD-ROM and the cloud-init drive. */
export const CDROM_SLOT = "ide0";
export const CLOUD_INIT_SLOT = "ide2";

/**
 * The VM of one Talos node. The system disk is imported from the downloaded
 * image with `importFrom`, a Proxmox API call (`fileId` would run
 * `qm disk import` over SSH on the host); Proxmox's cloud-init drive hands the
 * nocloud image the static address, gateway and resolvers before any machine
 * config exists, so the node is reachable at its final address in maintenance mode.
 */
export function talosVmArgs(cluster: TalosClusterSpec, node: TalosNode, imageVolumeId: pulumi.Input<string>): VmLegacyArgs {
  const net = cluster.network;
  const virtio = node.diskInterface.startsWith("virtio");
  return {
    nodeName: node.proxmoxNode,
    vmId: node.vmId,
    name: node.name,
    description: `Talos ${node.role} ${node.name} of cluster ${cluster.name}, managed by Pulumi`,
    tags: ["talos", cluster.name, node.role, ...(node.retire ? [RETIRING_TAG] : [])].sort(),
    onBoot: true,
    started: true,
    // Moving a node to another Proxmox host migrates the VM instead of rebuilding it.
    migrate: true,
    machine: "q35",
    bios: "seabios",
    scsiHardware: "virtio-scsi-single",
    operatingSystem: { type: "l26" },
    // Without the guest agent extension Proxmox would wait for an agent that never answers.
    // The program never reads the addresses the agent reports (every node's address is
    // static config), so the provider must not wait up to 15 minutes per VM for them.
    agent: { enabled: hasQemuGuestAgent(cluster), trim: true, waitForIp: { disabled: true } },
    // Left unset, the provider attaches the host's physical drive, and Proxmox refuses to
    // migrate a VM with a local CD-ROM. A q35 machine has IDE units only on ide0 and ide2
    // (bpg provider docs, virtual_environment_vm `cdrom`); the provider's default ide3 needs a
    // qemu-server that remaps it, and older Proxmox releases refuse to start the VM ("Can't
    // create IDE unit 1", bpg issue 420). ide2 holds the cloud-init drive (CLOUD_INIT_SLOT),
    // so the empty CD-ROM takes ide0.
    cdrom: { fileId: "none", interface: CDROM_SLOT },
    cpu: { cores: node.cores, sockets: node.sockets, type: node.cpuType },
    // Talos does not support memory hotplug or ballooning: a fixed size.
    memory: { dedicated: node.memory, floating: 0 },
    disks: [
      {
        interface: node.diskInterface,
        datastoreId: node.diskDatastore,
        importFrom: imageVolumeId,
        fileFormat: "raw",
        size: node.diskSize,
        iothread: true,
        discard: "on",
        // VirtIO block devices have no SSD emulation flag.
        ...(virtio ? {} : { ssd: true }),
      },
    ],
    networkDevices: [
      {
        bridge: node.bridge,
        model: "virtio",
        ...(node.vlan !== undefined ? { vlanId: node.vlan } : {}),
        ...(node.macAddress ? { macAddress: node.macAddress } : {}),
      },
    ],
    // A retiring node is halted by its reset, or dead: with the guest agent enabled, Proxmox
    // would shut it down through an agent that no longer answers, time out and leave the VM
    // locked, so its deletion stops it instead.
    ...(node.retire ? { stopOnDestroy: true } : {}),
    initialization: {
      // The provider's default slot, stated: the CD-ROM must not take it.
      interface: CLOUD_INIT_SLOT,
      datastoreId: node.diskDatastore,
      ipConfigs: [{ ipv4: { address: `${node.ip}/${net.prefixLength}`, gateway: net.gateway } }],
      dns: { servers: [...net.nameservers] },
    },
  };
}

/**
 * VM properties a Talos or image change must never touch: a new image (version
 * bump or changed schematic) changes the disk's image reference. Upgrades are a
 * Talos operation (`talosctl upgrade`) on the running node, not a new VM.
 * `importFrom` only seeds a new disk, so ignoring it keeps plans quiet; `fileId`
 * forces a rebuild, and VMs created before the switch to `importFrom` still
 * carry one in their state, so a change to it must stay ignored as well.
 * The CD-ROM is not ignored: it is set explicitly (see talosVmArgs) so a VM can migrate.
 */
export const VM_IGNORE_CHANGES = ["disks[0].importFrom", "disks[0].fileId"] as const;
