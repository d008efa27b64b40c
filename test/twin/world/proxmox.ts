/**
 * The twin's Proxmox VE: per host the downloaded files and the VMs, and the
 * Talos node a started VM boots. Sources: bpg/terraform-provider-proxmox
 * (wrapped by @muhlba91/pulumi-proxmoxve 8.6.0) `docs/resources/virtual_environment_vm.md`:
 * the cloud-init drive (`initialization.interface`) defaults to `ide2`; the
 * CD-ROM's `interface` defaults to `ide3`; "q35 machine type only supports ide0
 * and ide2 of IDE interfaces" — older qemu-server releases refuse to start a q35
 * VM with a drive on ide1/ide3 ("Can't create IDE unit 1, bus supports only 1
 * units"; bpg issue 420), newer ones remap it (`remapsIde`).
 */
import type { ResourceModel, StepContext } from "../engine.ts";
import { StepError } from "../engine.ts";
import { mockResourceOutputs } from "../../../synth/mocks.ts";
import { bootNode } from "./talos.ts";
import type { TwinWorld } from "./time.ts";
import { TYPES } from "../../../contract/tokens.ts";

export interface ProxmoxHost {
  /** Volume id (`local:import/x.qcow2`) → the URL it was downloaded from. */
  files: Record<string, string>;
  /** VM name → the VM's devices (`ide2` → what sits there). */
  vms: Record<string, { vmId?: number; devices: Record<string, string> }>;
}

export interface ProxmoxWorld {
  hosts: Record<string, ProxmoxHost>;
  /** Whether this qemu-server maps ide1/ide3 onto a q35 machine's AHCI ports (newer PVE releases). */
  remapsIde: boolean;
}

export function proxmoxWorld(hosts: readonly string[], remapsIde = false): ProxmoxWorld {
  return { hosts: Object.fromEntries(hosts.map((h) => [h, { files: {}, vms: {} }])), remapsIde };
}

interface VmInputs {
  nodeName: string;
  name: string;
  vmId?: number;
  machine?: string;
  cdrom?: { fileId?: string; interface?: string };
  disks?: { interface: string; importFrom?: string; fileId?: string }[];
  initialization?: { interface?: string; ipConfigs?: { ipv4?: { address?: string } }[] };
}

function hostOf(world: TwinWorld, name: string): ProxmoxHost {
  const host = world.proxmox.hosts[name];
  if (!host)
    throw new StepError(
      `received an HTTP 500 response - Reason: hostname lookup '${name}' failed - failed to get address info for: ${name}: Name or service not known`,
    );
  return host;
}

/** The VM's devices by slot; two devices in one slot or an IDE unit q35 lacks fail like Proxmox does. */
function devicesOf(world: TwinWorld, vm: VmInputs): Record<string, string> {
  const devices: Record<string, string> = {};
  const put = (slot: string, what: string) => {
    if (devices[slot]) throw new StepError(`${vm.name}: ${what} and ${devices[slot]} both on ${slot}; give each its own slot`);
    devices[slot] = what;
  };
  for (const disk of vm.disks ?? []) put(disk.interface, "disk");
  if (vm.initialization) put(vm.initialization.interface ?? "ide2", "cloud-init drive");
  if (vm.cdrom) put(vm.cdrom.interface ?? "ide3", "cdrom");
  if (vm.machine === "q35" && !world.proxmox.remapsIde) {
    const bad = Object.keys(devices).find((slot) => /^ide[13]$/.test(slot));
    if (bad)
      throw new StepError(
        `error waiting for VM start: task failed: kvm: -drive file=…,if=none,id=drive-${bad},media=cdrom: -device ide-cd,bus=ide.${bad === "ide1" ? 0 : 1},unit=1,drive=drive-${bad},id=${bad}: Can't create IDE unit 1, bus supports only 1 units`,
      );
  }
  return devices;
}

const vmLegacy: ResourceModel<TwinWorld> = {
  create: (c) => {
    const vm = c.inputs as unknown as VmInputs;
    const host = hostOf(c.world, vm.nodeName);
    const image = vm.disks?.[0]?.importFrom ?? vm.disks?.[0]?.fileId;
    const url = image ? host.files[image] : undefined;
    if (image && !url) throw new StepError(`received an HTTP 500 response - Reason: volume '${image}' does not exist`);
    const devices = devicesOf(c.world, vm);
    host.vms[vm.name] = { ...(vm.vmId !== undefined ? { vmId: vm.vmId } : {}), devices };
    const ip = vm.initialization?.ipConfigs?.[0]?.ipv4?.address?.split("/")[0];
    const factory = url ? /\/image\/([0-9a-f]+)\/(v[^/]+)\//.exec(url) : null;
    if (ip && factory) bootNode(c.world, { ip, vm: vm.name, schematic: factory[1]!, release: factory[2]! });
    return { id: String(vm.vmId ?? vm.name) };
  },
  update: (c: StepContext<TwinWorld>) => {
    const vm = c.inputs as unknown as VmInputs;
    hostOf(c.world, vm.nodeName).vms[vm.name] = { ...(vm.vmId !== undefined ? { vmId: vm.vmId } : {}), devices: devicesOf(c.world, vm) };
    return {};
  },
  delete: (c) => {
    const vm = c.old!.inputs as unknown as VmInputs;
    delete c.world.proxmox.hosts[vm.nodeName]?.vms[vm.name];
    const ip = vm.initialization?.ipConfigs?.[0]?.ipv4?.address?.split("/")[0];
    if (ip && c.world.talos) delete c.world.talos.nodes[ip];
  },
};

const downloadFile: ResourceModel<TwinWorld> = {
  replaceKeys: ["nodeName", "datastoreId", "contentType", "fileName", "url"],
  create: (c) => {
    const host = hostOf(c.world, String(c.inputs.nodeName));
    const outputs = mockResourceOutputs(c.type, c.inputs);
    host.files[String(outputs.id)] = String(c.inputs.url);
    return outputs;
  },
  delete: (c) => {
    const id = `${String(c.old!.inputs.datastoreId)}:${String(c.old!.inputs.contentType)}/${String(c.old!.inputs.fileName)}`;
    delete c.world.proxmox.hosts[String(c.old!.inputs.nodeName)]?.files[id];
  },
};

export const proxmoxModels: Record<string, ResourceModel<TwinWorld>> = {
  [TYPES.vm]: vmLegacy,
  [TYPES.download]: downloadFile,
};
