import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import {
  EXCLUDE_FROM_LB_LABEL,
  bootstrapNode,
  clusterEndpoint,
  controlPlaneVipPatch,
  patchesYaml,
  rolePatches,
  talosEndpoints,
  talosNodePatches,
  talosSchematic,
  type TalosPatch,
} from "../../builders/talos-patches.ts";
import { imageDownload, imageHosts, talosVmArgs } from "../../builders/proxmox-vm.ts";
import { kubeconfigServer } from "../../builders/kubeconfig.ts";
import { parseHomelabConfig } from "../../config/validate.ts";
import type { TalosClusterSpec, TalosNode } from "../../model/resolve.ts";
import { VIP, existingRaw, parsedCluster, talosCluster, talosRaw } from "../helpers/cluster.ts";

const INSTALLER = "factory.talos.dev/nocloud-installer/abc123:v1.13.9";
const VERSIONS = ["v1.11.6", "v1.12.11", "v1.13.9"] as const;

function node(cluster: TalosClusterSpec, name: string): TalosNode {
  const found = cluster.nodes.find((n) => n.name === name);
  if (!found) throw new Error(`no node ${name}`);
  return found;
}

/** Where each Talos version keeps the VIP: the interface's `vip` up to 1.11, a Layer2VIPConfig document after. */
function vipsIn(patches: readonly TalosPatch[]): string[] {
  const vips: string[] = [];
  for (const p of patches) {
    if (p.kind === "Layer2VIPConfig") vips.push(String(p.name));
    const interfaces = (p.machine as { network?: { interfaces?: { vip?: { ip: string } }[] } } | undefined)?.network?.interfaces ?? [];
    for (const i of interfaces) if (i.vip) vips.push(i.vip.ip);
  }
  return vips;
}

describe("Talos node patches", () => {
  it("GIVEN Talos v1.11 WHEN a control plane is patched THEN one v1alpha1 document carries hostname, address, route, nameservers and the VIP on the interface", () => {
    const cluster = talosCluster({ talos: { version: "v1.11.6" } });
    assert.deepEqual(talosNodePatches(cluster, node(cluster, "cp1"), INSTALLER), [
      {
        machine: {
          network: {
            hostname: "cp1",
            interfaces: [
              {
                interface: "eth0",
                addresses: ["10.0.10.11/24"],
                routes: [{ network: "0.0.0.0/0", gateway: "10.0.10.1" }],
                vip: { ip: VIP },
              },
            ],
            nameservers: ["10.0.10.1", "1.1.1.1"],
          },
          install: { disk: "/dev/vda", image: INSTALLER },
        },
        cluster: { controlPlane: { endpoint: `https://${VIP}:6443` } },
      },
    ]);
  });

  it("GIVEN Talos v1.11 WHEN a worker is patched THEN its interface has no VIP", () => {
    const cluster = talosCluster({ talos: { version: "v1.11.6" } });
    const [doc] = talosNodePatches(cluster, node(cluster, "worker1"), INSTALLER);
    const iface = (doc as { machine: { network: { interfaces: Record<string, unknown>[] } } }).machine.network.interfaces[0];
    assert.deepEqual(iface, { interface: "eth0", addresses: ["10.0.10.21/24"], routes: [{ network: "0.0.0.0/0", gateway: "10.0.10.1" }] });
  });

  for (const version of ["v1.12.11", "v1.13.9"]) {
    it(`GIVEN Talos ${version} WHEN a control plane is patched THEN network settings are separate documents, ending with a Layer2VIPConfig`, () => {
      const cluster = talosCluster({ talos: { version } });
      const installer = `factory.talos.dev/nocloud-installer/abc123:${version}`;
      assert.deepEqual(talosNodePatches(cluster, node(cluster, "cp2"), installer), [
        { machine: { install: { disk: "/dev/vda", image: installer } }, cluster: { controlPlane: { endpoint: `https://${VIP}:6443` } } },
        { apiVersion: "v1alpha1", kind: "HostnameConfig", auto: "off", hostname: "cp2" },
        {
          apiVersion: "v1alpha1",
          kind: "LinkConfig",
          name: "eth0",
          up: true,
          addresses: [{ address: "10.0.10.12/24" }],
          routes: [{ gateway: "10.0.10.1" }],
        },
        { apiVersion: "v1alpha1", kind: "ResolverConfig", nameservers: [{ address: "10.0.10.1" }, { address: "1.1.1.1" }] },
        { apiVersion: "v1alpha1", kind: "Layer2VIPConfig", name: VIP, link: "eth0" },
      ]);
    });

    it(`GIVEN Talos ${version} WHEN a worker is patched THEN it gets no Layer2VIPConfig and no legacy machine.network`, () => {
      const cluster = talosCluster({ talos: { version } });
      const patches = talosNodePatches(cluster, node(cluster, "worker2"), INSTALLER);
      assert.deepEqual(
        patches.map((p) => p.kind ?? "v1alpha1"),
        ["v1alpha1", "HostnameConfig", "LinkConfig", "ResolverConfig"],
      );
      assert.equal((patches[0]!.machine as Record<string, unknown>).network, undefined);
    });
  }

  it("puts the VIP on every control plane and on no worker, in every supported Talos version", () => {
    for (const version of VERSIONS) {
      const cluster = talosCluster({ talos: { version } });
      for (const n of cluster.nodes) {
        const expected = n.role === "controlplane" ? [VIP] : [];
        assert.deepEqual(vipsIn(talosNodePatches(cluster, n, INSTALLER)), expected, `${version} ${n.name}`);
        assert.equal(controlPlaneVipPatch(cluster, n) !== undefined, n.role === "controlplane", `${version} ${n.name}`);
      }
    }
  });

  it("GIVEN no VIP THEN no node gets one and the API endpoint is the bootstrap control plane", () => {
    const cluster = talosCluster({ network: { subnet: "10.0.10.0/24" } });
    for (const n of cluster.nodes) assert.deepEqual(vipsIn(talosNodePatches(cluster, n, INSTALLER)), [], n.name);
    assert.equal(clusterEndpoint(cluster), "https://10.0.10.11:6443");
  });

  it("GIVEN workloads on control planes THEN control planes (only) allow scheduling and generate without the load-balancer exclusion label", () => {
    const cluster = talosCluster({ allowSchedulingOnControlPlanes: true });
    const clusterDoc = (n: string) => talosNodePatches(cluster, node(cluster, n), INSTALLER)[0]!.cluster;
    assert.deepEqual(clusterDoc("cp1"), { controlPlane: { endpoint: `https://${VIP}:6443` }, allowSchedulingOnControlPlanes: true });
    assert.deepEqual(clusterDoc("worker1"), { controlPlane: { endpoint: `https://${VIP}:6443` } });
    assert.deepEqual(rolePatches(cluster, "controlplane"), [
      { machine: { nodeLabels: { [EXCLUDE_FROM_LB_LABEL]: { $patch: "delete" } } } },
    ]);
    assert.deepEqual(rolePatches(cluster, "worker"), []);
  });

  it("keeps the exclusion label when control planes take no workloads, and on Talos contracts that never generated it (< 1.8)", () => {
    assert.deepEqual(rolePatches(talosCluster(), "controlplane"), []);
    assert.deepEqual(rolePatches(talosCluster({ allowSchedulingOnControlPlanes: true, talos: { version: "v1.7.7" } }), "controlplane"), []);
  });

  it("uses each node's own install disk", () => {
    const cluster = talosCluster({
      allowSchedulingOnControlPlanes: true,
      nodes: { cp1: { role: "controlplane", ip: "10.0.10.11", vmId: 1011, proxmoxNode: "pve1", installDisk: "/dev/sda" } },
    });
    assert.deepEqual(talosNodePatches(cluster, node(cluster, "cp1"), INSTALLER)[0]!.machine, {
      install: { disk: "/dev/sda", image: INSTALLER },
    });
  });

  it("renders one YAML document per patch, deterministically, quoting strings Go would read as booleans", () => {
    const cluster = talosCluster();
    const patches = talosNodePatches(cluster, node(cluster, "cp1"), INSTALLER);
    const yaml = patchesYaml(patches);
    assert.equal(yaml.length, patches.length);
    assert.deepEqual(
      yaml.map((y) => parse(y)),
      patches,
    );
    assert.deepEqual(patchesYaml(patches), yaml);
    assert.match(yaml[1]!, /^auto: "off"$/m);
  });
});

describe("cluster addresses", () => {
  it("bootstraps on the first control plane by name, whatever the config order", () => {
    assert.equal(bootstrapNode(talosCluster()).name, "cp1");
  });

  it("points talosctl at the control planes' own addresses, never the VIP", () => {
    assert.deepEqual(talosEndpoints(talosCluster()), ["10.0.10.11", "10.0.10.12", "10.0.10.13"]);
  });

  it("serves the Kubernetes API on the VIP", () => {
    assert.equal(clusterEndpoint(talosCluster()), `https://${VIP}:6443`);
  });
});

describe("Talos image", () => {
  it("bakes the configured extensions, sorted, and net.ifnames=0 so the eth0 the patches name exists", () => {
    const cluster = talosCluster({ talos: { extensions: ["siderolabs/qemu-guest-agent", "siderolabs/iscsi-tools"] } });
    assert.deepEqual(talosSchematic(cluster), {
      customization: {
        extraKernelArgs: ["net.ifnames=0"],
        systemExtensions: { officialExtensions: ["siderolabs/iscsi-tools", "siderolabs/qemu-guest-agent"] },
      },
    });
  });

  it("keeps predictable interface names when the config names one (ens18)", () => {
    const cluster = talosCluster({ network: { subnet: "10.0.10.0/24", vip: VIP, interface: "ens18" } });
    assert.deepEqual(talosSchematic(cluster), {
      customization: { systemExtensions: { officialExtensions: ["siderolabs/qemu-guest-agent"] } },
    });
  });

  it("downloads the factory's uncompressed qcow2 (Proxmox decompresses no import content), named by version and schematic with an extension import content accepts", () => {
    const schematic = "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba";
    const base = `https://factory.talos.dev/image/${schematic}/v1.13.9`;
    const owner = { stack: "homelab", cluster: "lab" };
    const expected = { url: `${base}/nocloud-amd64.qcow2`, fileName: "talos-homelab-lab-v1.13.9-376567988ad3-nocloud-amd64.qcow2" };
    for (const diskImage of ["nocloud-amd64.raw.zst", "nocloud-amd64.raw.xz", "nocloud-amd64.raw"]) {
      assert.deepEqual(imageDownload(owner, `${base}/${diskImage}`, "v1.13.9", schematic), expected, diskImage);
    }
    assert.throws(
      () => imageDownload(owner, "https://factory.talos.dev/image/x/v1.13.9/nocloud-amd64.iso", "v1.13.9", "x"),
      /unexpected Talos disk image URL/,
    );
  });

  it("names the image after its stack and cluster, so two stacks sharing a datastore never claim (or delete) one file", () => {
    const url = "https://factory.talos.dev/image/abc/v1.13.9/nocloud-amd64.raw.zst";
    const names = [
      { stack: "homelab", cluster: "lab" },
      { stack: "edge", cluster: "lab" },
      { stack: "homelab", cluster: "lab2" },
    ].map((owner) => imageDownload(owner, url, "v1.13.9", "abc").fileName);
    assert.deepEqual(names, [
      "talos-homelab-lab-v1.13.9-abc-nocloud-amd64.qcow2",
      "talos-edge-lab-v1.13.9-abc-nocloud-amd64.qcow2",
      "talos-homelab-lab2-v1.13.9-abc-nocloud-amd64.qcow2",
    ]);
  });

  it("downloads the image once per Proxmox node that hosts a VM", () => {
    assert.deepEqual(imageHosts(talosCluster()), ["pve1", "pve2"]);
  });
});

describe("Talos VM", () => {
  it("sizes, places and networks the VM from the node's config, with cloud-init carrying its static address", () => {
    const cluster = talosCluster();
    assert.deepEqual(talosVmArgs(cluster, node(cluster, "worker2"), "local:import/talos.qcow2"), {
      nodeName: "pve2",
      vmId: 1022,
      name: "worker2",
      description: "Talos worker worker2 of cluster lab, managed by Pulumi",
      tags: ["lab", "talos", "worker"],
      onBoot: true,
      started: true,
      migrate: true,
      machine: "q35",
      bios: "seabios",
      scsiHardware: "virtio-scsi-single",
      operatingSystem: { type: "l26" },
      agent: { enabled: true, trim: true, waitForIp: { disabled: true } },
      cdrom: { fileId: "none", interface: "ide0" },
      cpu: { cores: 2, sockets: 1, type: "host" },
      memory: { dedicated: 4096, floating: 0 },
      disks: [
        {
          interface: "scsi0",
          datastoreId: "local-lvm",
          importFrom: "local:import/talos.qcow2",
          fileFormat: "raw",
          size: 32,
          iothread: true,
          discard: "on",
          ssd: true,
        },
      ],
      networkDevices: [{ bridge: "vmbr0", model: "virtio", vlanId: 20, macAddress: "BC:24:11:00:00:22" }],
      initialization: {
        interface: "ide2",
        datastoreId: "local-lvm",
        ipConfigs: [{ ipv4: { address: "10.0.10.22/24", gateway: "10.0.10.1" } }],
        dns: { servers: ["10.0.10.1", "1.1.1.1"] },
      },
    });
  });

  it("applies per-node sizing overrides and leaves SSD emulation off VirtIO block disks", () => {
    const cluster = talosCluster();
    const vm = talosVmArgs(cluster, node(cluster, "worker1"), "img");
    assert.deepEqual(
      [vm.cpu, vm.memory],
      [
        { cores: 4, sockets: 1, type: "host" },
        { dedicated: 8192, floating: 0 },
      ],
    );
    assert.deepEqual(vm.disks, [
      { interface: "virtio0", datastoreId: "local-lvm", importFrom: "img", fileFormat: "raw", size: 64, iothread: true, discard: "on" },
    ]);
  });

  it("disables the QEMU agent when the image lacks the guest agent extension (Proxmox would wait for it forever)", () => {
    const cluster = talosCluster({ talos: { extensions: [] } });
    assert.deepEqual(talosVmArgs(cluster, node(cluster, "cp1"), "img").agent, {
      enabled: false,
      trim: true,
      waitForIp: { disabled: true },
    });
  });
});

describe("existing cluster kubeconfig", () => {
  it("reads the API server of the current context", () => {
    const kubeconfig = [
      "apiVersion: v1",
      "kind: Config",
      "current-context: k3s",
      "clusters:",
      "- name: other",
      "  cluster: { server: https://10.9.9.9:6443 }",
      "- name: k3s",
      "  cluster: { server: https://192.168.1.20:6443 }",
      "contexts:",
      "- name: k3s",
      "  context: { cluster: k3s, user: admin }",
    ].join("\n");
    assert.equal(kubeconfigServer(kubeconfig), "https://192.168.1.20:6443");
  });

  it("finds no server in text that is not a kubeconfig", () => {
    assert.equal(kubeconfigServer("placeholder-for-homelab-kubeconfig"), undefined);
    assert.equal(kubeconfigServer("{ unclosed"), undefined);
  });
});

describe("cluster config checks", () => {
  it("GIVEN an existing cluster WHEN its kubeconfig key is not a secret THEN the config is refused, naming the key and the command", () => {
    const result = parseHomelabConfig(existingRaw(), new Set());
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(result.errors, [
      "homelab:cluster.kubeconfigSecret: homelab:kubeconfig is not a secret config value; store the cluster's kubeconfig with: pulumi config set --secret homelab:kubeconfig < ~/.kube/config",
    ]);
  });

  it("GIVEN an existing cluster WHEN a custom kubeconfig key is set as a secret THEN the kubeconfig is read from that key", () => {
    const result = parseHomelabConfig(existingRaw({ kubeconfigSecret: "k3sKubeconfig" }), new Set(["k3sKubeconfig"]));
    assert.equal(result.ok, true, result.ok ? "" : result.errors.join("\n"));
    assert.equal(result.ok && result.config.cluster.provider === "existing" && result.config.cluster.kubeconfigSecret, "k3sKubeconfig");
  });

  it("refuses a kubeconfig key that is a plain top-level config key", () => {
    const result = parseHomelabConfig(existingRaw({ kubeconfigSecret: "dns" }), new Set(["dns"]));
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.errors.join("\n"), /^homelab:cluster\.kubeconfigSecret: homelab:dns is not a secret config value/m);
  });
});

describe("NetworkPolicy enforcement on Talos", () => {
  /** The test cluster with one routed app, whose namespace gets the allow-traefik NetworkPolicy. */
  const withRoutedApp = (version: string, networkPolicy = true): TalosClusterSpec => {
    const spec = parsedCluster({
      ...talosRaw({ talos: { version } }),
      apps: {
        whoami: {
          namespace: "apps",
          hosts: ["whoami.example.com"],
          backends: [{ service: "whoami", port: 80 }],
          proxied: false,
          networkPolicy,
        },
      },
    });
    if (spec.provider !== "talos") throw new Error("expected a Talos cluster");
    return spec;
  };
  const cniOf = (patches: readonly Record<string, unknown>[]) =>
    ((patches[0]!.cluster as Record<string, unknown>).network as Record<string, unknown> | undefined)?.cni;

  it("GIVEN Talos v1.13 and an app's NetworkPolicy WHEN any node is patched THEN kube-network-policies runs beside Flannel", () => {
    const cluster = withRoutedApp("v1.13.9");
    for (const n of cluster.nodes) {
      assert.deepEqual(
        cniOf(talosNodePatches(cluster, n, INSTALLER)),
        { name: "flannel", flannel: { kubeNetworkPoliciesEnabled: true } },
        n.name,
      );
    }
  });

  it("GIVEN no NetworkPolicy at all THEN the CNI config is left as Talos generates it", () => {
    const cluster = withRoutedApp("v1.13.9", false);
    assert.equal(cniOf(talosNodePatches(cluster, node(cluster, "cp1"), INSTALLER)), undefined);
  });

  it("GIVEN Talos v1.12, whose schema has no kubeNetworkPoliciesEnabled, THEN no CNI patch is emitted", () => {
    const cluster = withRoutedApp("v1.12.11");
    assert.equal(cniOf(talosNodePatches(cluster, node(cluster, "cp1"), INSTALLER)), undefined);
  });
});
