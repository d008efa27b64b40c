import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { INVOKES, COMPONENTS, TYPES } from "../../contract/tokens.ts";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { findResource, ofType, recordProgram, type ProgramRun, type RecordedResource } from "../../synth/recorder.ts";
import { createCluster } from "../../components/cluster.ts";
import type { ClusterAccess } from "../../components/cluster-access.ts";
import type { StackSecrets } from "../../config/load.ts";
import { TALOS_PLUGIN_DOWNLOAD_URL, TALOS_PROVIDER_VERSION } from "../../components/talos-provider.ts";
import { VIP, existingCluster, talosCluster } from "../helpers/cluster.ts";

/** The mocks answer a schematic with the id the Image Factory gives the default guest-agent schematic. */
const SCHEMATIC_ID = "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba";
/** The volume id the provider gives the downloaded image (`<datastore>:import/<file>`), which the disks import from. */
const IMAGE_VOLUME = "local:import/talos-homelab-lab-v1.13.9-376567988ad3-nocloud-amd64.qcow2";

const K3S_KUBECONFIG = [
  "apiVersion: v1",
  "kind: Config",
  "current-context: default",
  "clusters:",
  "- name: default",
  "  cluster: { server: https://192.168.1.20:6443, certificate-authority-data: bW9jaw== }",
  "contexts:",
  "- name: default",
  "  context: { cluster: default, user: default }",
  "users:",
  "- name: default",
  "  user: { token: mock-token }",
].join("\n");

function stubSecrets(values: Record<string, string>): StackSecrets {
  return {
    homelab: (key) => {
      const value = values[key];
      if (value === undefined) throw new Error(`no secret homelab:${key}`);
      return pulumi.secret(value);
    },
    optional: () => undefined,
  };
}

interface InvokeRecord {
  readonly token: string;
  readonly version: string;
  readonly pluginDownloadURL: string;
}

interface Captured {
  readonly cluster: ClusterAccess;
  readonly invokes: InvokeRecord[];
}

/** Runs createCluster under the mocks, also recording the options each invoke carries. */
function runCluster(build: () => ClusterAccess): Promise<ProgramRun<Captured>> {
  return recordProgram(
    () => {
      const monitor = pulumi.runtime.getMonitor() as unknown as {
        invoke(req: { getTok(): string; getVersion(): string; getPlugindownloadurl(): string }, cb: unknown): unknown;
      };
      const invoke = monitor.invoke.bind(monitor);
      const invokes: InvokeRecord[] = [];
      monitor.invoke = (req, cb) => {
        invokes.push({ token: req.getTok(), version: req.getVersion(), pluginDownloadURL: req.getPlugindownloadurl() });
        return invoke(req, cb);
      };
      const cluster = build();
      return { cluster, invokes, kubeconfig: cluster.kubeconfig, talosconfig: cluster.talosconfig, apiEndpoint: cluster.apiEndpoint };
    },
    { values: {}, secretKeys: [] },
  );
}

/** The recorded dependencies of one type: the engine sees explicit `dependsOn` and input dependencies alike. */
function dependenciesOn(r: RecordedResource, type: string): string[] {
  return (r.options.dependsOn ?? []).filter((d) => d.startsWith(`${type}::`));
}

/** The cluster's outputs as the stack exports them (secrets as "[secret]"). */
function access(run: ProgramRun<Captured>): Record<string, unknown> {
  const { kubeconfig, talosconfig, apiEndpoint } = run.outputs as Record<string, unknown>;
  return { kubeconfig, talosconfig, apiEndpoint };
}

function talosResources(run: ProgramRun<unknown>): RecordedResource[] {
  return run.resources.filter((r) => r.type.startsWith("talos:"));
}

describe("TalosCluster (3 control planes + 2 workers on two Proxmox hosts)", () => {
  const spec = talosCluster({ allowSchedulingOnControlPlanes: true });
  let run: ProgramRun<Captured>;
  before(async () => {
    run = await runCluster(() => createCluster("cluster", spec, stubSecrets({})));
  });

  it("is one homelab:cluster:TalosCluster component that parents every resource it creates", () => {
    const component = findResource(run, COMPONENTS.talosCluster, "cluster");
    assert.equal(component.parent, undefined);
    for (const r of run.resources.filter((x) => x !== component))
      assert.equal(r.parent, "homelab:cluster:TalosCluster::cluster", `${r.type} ${r.name}`);
  });

  it("creates one VM per node, keyed by node name, with the configured sizes and placement", () => {
    const vms = ofType(run, TYPES.vm);
    assert.deepEqual(vms.map((v) => v.name).sort(), [
      "cluster-cp1-vm",
      "cluster-cp2-vm",
      "cluster-cp3-vm",
      "cluster-worker1-vm",
      "cluster-worker2-vm",
    ]);
    const summary = Object.fromEntries(
      vms.map((v) => {
        const i = v.inputs as {
          nodeName: string;
          vmId: number;
          cpu: { cores: number; type: string };
          memory: { dedicated: number };
          disks: { size: number; interface: string }[];
        };
        return [v.name, [i.nodeName, i.vmId, i.cpu.cores, i.cpu.type, i.memory.dedicated, i.disks[0]!.interface, i.disks[0]!.size]];
      }),
    );
    assert.deepEqual(summary, {
      "cluster-cp1-vm": ["pve1", 1011, 2, "host", 4096, "virtio0", 32],
      "cluster-cp2-vm": ["pve2", 1012, 2, "host", 4096, "virtio0", 32],
      "cluster-cp3-vm": ["pve1", 1013, 2, "host", 4096, "virtio0", 32],
      "cluster-worker1-vm": ["pve1", 1021, 4, "host", 8192, "virtio0", 64],
      "cluster-worker2-vm": ["pve2", 1022, 2, "host", 4096, "scsi0", 32],
    });
    const worker2 = findResource(run, TYPES.vm, "cluster-worker2-vm").inputs;
    assert.deepEqual(worker2.networkDevices, [{ bridge: "vmbr0", model: "virtio", vlanId: 20, macAddress: "BC:24:11:00:00:22" }]);
    assert.deepEqual(worker2.initialization, {
      interface: "ide2",
      datastoreId: "local-lvm",
      ipConfigs: [{ ipv4: { address: "10.0.10.22/24", gateway: "10.0.10.1" } }],
      dns: { servers: ["10.0.10.1", "1.1.1.1"] },
    });
    assert.deepEqual([worker2.operatingSystem, worker2.onBoot], [{ type: "l26" }, true]);
  });

  it("never lets the provider wait for the guest agent to report an address the program does not read", () => {
    for (const vm of ofType(run, TYPES.vm))
      assert.deepEqual(vm.inputs.agent, { enabled: true, trim: true, waitForIp: { disabled: true } }, vm.name);
  });

  it("gives every VM an empty CD-ROM slot instead of the host's physical drive, which Proxmox refuses to migrate, on ide0: a q35 machine has IDE units on ide0 and ide2 only, and ide2 holds the cloud-init drive", () => {
    for (const vm of ofType(run, TYPES.vm)) {
      assert.deepEqual(vm.inputs.cdrom, { fileId: "none", interface: "ide0" }, vm.name);
      assert.equal((vm.inputs.initialization as { interface?: string }).interface, "ide2", vm.name);
      assert.equal(vm.inputs.migrate, true, vm.name);
    }
  });

  it("imports each VM's system disk through the Proxmox API from the image on its own host (importFrom, never the SSH-only fileId)", () => {
    const disks = Object.fromEntries(ofType(run, TYPES.vm).map((v) => [v.name, (v.inputs.disks as Record<string, unknown>[])[0]]));
    for (const [name, disk] of Object.entries(disks)) assert.equal(disk!.fileId, undefined, name);
    assert.deepEqual(Object.fromEntries(Object.entries(disks).map(([name, disk]) => [name, disk!.importFrom])), {
      "cluster-cp1-vm": IMAGE_VOLUME,
      "cluster-cp2-vm": IMAGE_VOLUME,
      "cluster-cp3-vm": IMAGE_VOLUME,
      "cluster-worker1-vm": IMAGE_VOLUME,
      "cluster-worker2-vm": IMAGE_VOLUME,
    });
    const imageOf = (vm: string) => dependenciesOn(findResource(run, TYPES.vm, vm), TYPES.download);
    assert.deepEqual(
      [imageOf("cluster-cp1-vm"), imageOf("cluster-worker2-vm")],
      [[`${TYPES.download}::cluster-image-pve1`], [`${TYPES.download}::cluster-image-pve2`]],
    );
  });

  it("protects every VM and ignores image changes (and only those), so a Talos or schematic bump never replaces one while a CD-ROM fix still applies", () => {
    for (const vm of ofType(run, TYPES.vm)) {
      assert.equal(vm.options.protect, true, vm.name);
      assert.deepEqual(vm.options.ignoreChanges, ["disks[0].fileId", "disks[0].importFrom"], vm.name);
    }
  });

  it("downloads the uncompressed nocloud qcow2 into the import content, once per Proxmox node hosting VMs", () => {
    const images = ofType(run, TYPES.download);
    assert.deepEqual(images.map((i) => i.name).sort(), ["cluster-image-pve1", "cluster-image-pve2"]);
    assert.deepEqual(findResource(run, TYPES.download, "cluster-image-pve2").inputs, {
      nodeName: "pve2",
      datastoreId: "local",
      contentType: "import",
      url: `https://factory.talos.dev/image/${SCHEMATIC_ID}/v1.13.9/nocloud-amd64.qcow2`,
      fileName: "talos-homelab-lab-v1.13.9-376567988ad3-nocloud-amd64.qcow2",
      overwrite: false,
    });
  });

  it("builds the image from a schematic with the guest agent and legacy interface names", () => {
    const schematic = findResource(run, TYPES.schematic, "cluster-schematic");
    assert.deepEqual(parse(String(schematic.inputs.schematic)), {
      customization: { extraKernelArgs: ["net.ifnames=0"], systemExtensions: { officialExtensions: ["siderolabs/qemu-guest-agent"] } },
    });
    const urls = run.invokes.find((i) => i.token === INVOKES.talosImageFactoryUrls);
    assert.deepEqual(urls?.args, { platform: "nocloud", architecture: "amd64", schematicId: SCHEMATIC_ID, talosVersion: "v1.13.9" });
  });

  it("protects the Talos machine secrets, generated once for the cluster's pinned config contract, and refuses a contract change", () => {
    const secrets = ofType(run, TYPES.talosSecrets);
    assert.deepEqual(
      secrets.map((s) => [s.name, s.inputs, s.options.protect, s.options.replaceOnChanges]),
      [["cluster-secrets", { talosVersion: "v1.13" }, true, ["talosVersion"]]],
    );
  });

  it("generates one machine configuration per role, removing the load-balancer exclusion label from schedulable control planes", () => {
    const generated = run.invokes
      .filter((i) => i.token === INVOKES.talosMachineConfiguration)
      .map((i) => ({ ...i.args }))
      .sort((a, b) => String(a.machineType).localeCompare(String(b.machineType)));
    assert.deepEqual(
      generated.map((g) => [g.machineType, g.clusterName, g.clusterEndpoint, g.talosVersion, g.docs, g.examples]),
      [
        ["controlplane", "lab", `https://${VIP}:6443`, "v1.13", false, false],
        ["worker", "lab", `https://${VIP}:6443`, "v1.13", false, false],
      ],
    );
    assert.deepEqual(
      (generated[0]!.configPatches as string[]).map((p) => parse(p)),
      [{ machine: { nodeLabels: { "node.kubernetes.io/exclude-from-external-load-balancers": { $patch: "delete" } } } }],
    );
    assert.deepEqual(generated[1]!.configPatches, []);
  });

  it("applies each node's configuration to its own address, after its VM exists, with the patches as YAML documents", () => {
    const applies = ofType(run, TYPES.configurationApply);
    assert.deepEqual(applies.map((a) => [a.name, a.inputs.node, a.inputs.endpoint, dependenciesOn(a, TYPES.vm)]).sort(), [
      ["cluster-cp1-config", "10.0.10.11", "10.0.10.11", [`${TYPES.vm}::cluster-cp1-vm`]],
      ["cluster-cp2-config", "10.0.10.12", "10.0.10.12", [`${TYPES.vm}::cluster-cp2-vm`]],
      ["cluster-cp3-config", "10.0.10.13", "10.0.10.13", [`${TYPES.vm}::cluster-cp3-vm`]],
      ["cluster-worker1-config", "10.0.10.21", "10.0.10.21", [`${TYPES.vm}::cluster-worker1-vm`]],
      ["cluster-worker2-config", "10.0.10.22", "10.0.10.22", [`${TYPES.vm}::cluster-worker2-vm`]],
    ]);
    for (const apply of applies) {
      assert.equal(apply.inputs.machineConfigurationInput, "[secret]", apply.name);
      // A secret object keeps its keys, each leaf masked.
      assert.deepEqual(
        apply.inputs.clientConfiguration,
        { caCertificate: "[secret]", clientCertificate: "[secret]", clientKey: "[secret]" },
        apply.name,
      );
    }
  });

  it("puts the Layer2VIPConfig (Talos 1.13 shape) in every control plane's patches and in no worker's", () => {
    for (const apply of ofType(run, TYPES.configurationApply)) {
      const docs = (apply.inputs.configPatches as string[]).map((p) => parse(p) as Record<string, unknown>);
      const vips = docs.filter((d) => d.kind === "Layer2VIPConfig");
      const isControlPlane = apply.name.startsWith("cluster-cp");
      assert.deepEqual(
        vips,
        isControlPlane ? [{ apiVersion: "v1alpha1", kind: "Layer2VIPConfig", name: VIP, link: "eth0" }] : [],
        apply.name,
      );
      const installer = (docs[0]!.machine as { install: { image: string } }).install.image;
      assert.equal(installer, `factory.talos.dev/nocloud-installer/${SCHEMATIC_ID}:v1.13.9`);
    }
  });

  it("bootstraps etcd exactly once, on the first control plane, after its configuration is applied", () => {
    const bootstraps = ofType(run, TYPES.bootstrap);
    assert.deepEqual(
      bootstraps.map((b) => [b.name, b.inputs.node, b.inputs.endpoint, dependenciesOn(b, TYPES.configurationApply)]),
      [["cluster-bootstrap", "10.0.10.11", "10.0.10.11", [`${TYPES.configurationApply}::cluster-cp1-config`]]],
    );
  });

  it("gives the first-boot stages longer than the provider's 10-minute defaults (a slow host's install and health gate, test/twin)", () => {
    for (const apply of ofType(run, TYPES.configurationApply))
      assert.deepEqual(apply.inputs.timeouts, { create: "20m", update: "20m" }, apply.name);
    assert.deepEqual(findResource(run, TYPES.bootstrap, "cluster-bootstrap").inputs.timeouts, { create: "30m" });
  });

  it("fetches the kubeconfig after the bootstrap, renewing its client certificate within 30 days of expiry", () => {
    const kubeconfig = findResource(run, TYPES.kubeconfig, "cluster-kubeconfig");
    assert.deepEqual(dependenciesOn(kubeconfig, TYPES.bootstrap), [`${TYPES.bootstrap}::cluster-bootstrap`]);
    assert.deepEqual(kubeconfig.inputs, {
      node: "10.0.10.11",
      endpoint: "10.0.10.11",
      clientConfiguration: { caCertificate: "[secret]", clientCertificate: "[secret]", clientKey: "[secret]" },
      certificateRenewalDuration: "720h",
      timeouts: { create: "20m", update: "20m" },
    });
  });

  it("builds the talosconfig with the control planes' addresses as endpoints (never the VIP) and every node", () => {
    // The other client configuration is the day-2 commands' (no nodes, the bootstrap node as endpoint).
    const talosconfig = run.invokes.find((i) => i.token === INVOKES.talosClientConfiguration && i.args.nodes);
    const { clientConfiguration: _key, ...args } = talosconfig?.args ?? {};
    assert.deepEqual(args, {
      clusterName: "lab",
      endpoints: ["10.0.10.11", "10.0.10.12", "10.0.10.13"],
      nodes: ["10.0.10.11", "10.0.10.12", "10.0.10.13", "10.0.10.21", "10.0.10.22"],
    });
  });

  it("hands out kubeconfig and talosconfig as secrets and the API endpoint on the VIP", async () => {
    const cluster = run.result.cluster;
    assert.equal(await pulumi.isSecret(cluster.kubeconfig), true);
    assert.equal(await pulumi.isSecret(cluster.talosconfig!), true);
    assert.deepEqual(access(run), { kubeconfig: "[secret]", talosconfig: "[secret]", apiEndpoint: `https://${VIP}:6443` });
  });

  it("waits for a healthy cluster once, checking every node through the control planes' own addresses (never the VIP)", () => {
    const health = run.invokes.filter((i) => i.token === INVOKES.talosClusterHealth);
    assert.equal(health.length, 1);
    // The SDK unwraps secret invoke arguments on the wire; the result is marked secret instead.
    const { clientConfiguration, ...args } = health[0]!.args;
    assert.deepEqual(Object.keys(clientConfiguration as object).sort(), ["caCertificate", "clientCertificate", "clientKey"]);
    assert.deepEqual(args, {
      endpoints: ["10.0.10.11", "10.0.10.12", "10.0.10.13"],
      controlPlaneNodes: ["10.0.10.11", "10.0.10.12", "10.0.10.13"],
      workerNodes: ["10.0.10.21", "10.0.10.22"],
      // A first boot (installs pulling images, nodes turning Ready) outlasts the provider's 10-minute default.
      timeouts: { read: "30m" },
    });
    assert.deepEqual(
      run.result.invokes.filter((i) => i.token === INVOKES.talosClusterHealth),
      [{ token: INVOKES.talosClusterHealth, version: TALOS_PROVIDER_VERSION, pluginDownloadURL: TALOS_PLUGIN_DOWNLOAD_URL }],
    );
  });

  it("builds the Kubernetes provider from the secret kubeconfig gated on the health check, which waits for the bootstrap and every node's configuration", () => {
    const provider = findResource(run, TYPES.k8sProvider, "cluster-k8s");
    assert.equal(provider.inputs.kubeconfig, "[secret]");
    // An unknown kubeconfig (renewal window, a node being added) would otherwise show the
    // provider and everything under it as replaced in the preview.
    assert.equal(provider.inputs.clusterIdentifier, "lab");
    // The provider names none of these itself: they reach it through the health result's
    // dependencies (its explicit dependsOn, and the secrets its client configuration comes from).
    assert.deepEqual(
      provider.options.dependsOn,
      [
        "command:local:Command::cluster-rollout",
        `${TYPES.kubeconfig}::cluster-kubeconfig`,
        `${TYPES.bootstrap}::cluster-bootstrap`,
        ...["cp1", "cp2", "cp3", "worker1", "worker2"].map((n) => `${TYPES.configurationApply}::cluster-${n}-config`),
        `${TYPES.talosSecrets}::cluster-secrets`,
      ].sort(),
    );
  });

  it("registers every Talos resource with the provider SDK's defaults, so the engine fetches the real plugin", () => {
    const talos = talosResources(run);
    assert.deepEqual(
      [...new Set(talos.map((r) => r.type))].sort(),
      [TYPES.kubeconfig, TYPES.schematic, TYPES.configurationApply, TYPES.bootstrap, TYPES.talosSecrets].sort(),
    );
    for (const r of talos) {
      assert.equal(r.options.version, TALOS_PROVIDER_VERSION, r.name);
      assert.equal(r.options.pluginDownloadURL, TALOS_PLUGIN_DOWNLOAD_URL, r.name);
    }
    assert.deepEqual([TALOS_PROVIDER_VERSION, TALOS_PLUGIN_DOWNLOAD_URL], ["0.8.1", "github://api.github.com/pulumiverse"]);
  });

  it("marks the provider's secret outputs secret, as its SDK does", () => {
    const secretOutputs = (type: string) => talosResources(run).find((r) => r.type === type)?.options.additionalSecretOutputs;
    assert.deepEqual(secretOutputs(TYPES.configurationApply), [
      "clientConfigurationWo",
      "machineConfiguration",
      "machineConfigurationInput",
      "machineConfigurationInputWo",
    ]);
    assert.deepEqual(secretOutputs(TYPES.bootstrap), ["clientConfigurationWo"]);
    assert.deepEqual(secretOutputs(TYPES.kubeconfig), ["kubeconfigRaw", "kubernetesClientConfiguration"]);
    assert.deepEqual(secretOutputs(TYPES.talosSecrets), ["clientConfiguration", "machineSecrets"]);
  });

  it("calls the Talos invokes by the provider's tokens with the same defaults", () => {
    const talosInvokes = run.result.invokes.filter((i) => i.token.startsWith("talos:"));
    assert.deepEqual([...new Set(talosInvokes.map((i) => i.token))].sort(), [
      INVOKES.talosClientConfiguration,
      INVOKES.talosClusterHealth,
      INVOKES.talosImageFactoryUrls,
      INVOKES.talosMachineConfiguration,
    ]);
    for (const i of talosInvokes)
      assert.deepEqual([i.version, i.pluginDownloadURL], [TALOS_PROVIDER_VERSION, TALOS_PLUGIN_DOWNLOAD_URL], i.token);
  });
});

describe("TalosCluster on Talos 1.11", () => {
  it("patches the VIP onto the control planes' interface, the shape 1.11 accepts", async () => {
    const run = await runCluster(() => createCluster("cluster", talosCluster({ talos: { version: "v1.11.6" } }), stubSecrets({})));
    for (const apply of ofType(run, TYPES.configurationApply)) {
      const [doc, ...rest] = (apply.inputs.configPatches as string[]).map(
        (p) => parse(p) as { machine: { network: { interfaces: { vip?: unknown }[] } } },
      );
      assert.deepEqual(rest, [], apply.name);
      const vip = doc!.machine.network.interfaces[0]!.vip;
      assert.deepEqual(vip, apply.name.startsWith("cluster-cp") ? { ip: VIP } : undefined, apply.name);
    }
  });
});

describe("ExistingCluster", () => {
  let run: ProgramRun<Captured>;
  before(async () => {
    run = await runCluster(() => createCluster("cluster", existingCluster(), stubSecrets({ kubeconfig: K3S_KUBECONFIG })));
  });

  it("registers no Proxmox or Talos resource and calls no Talos invoke", () => {
    assert.deepEqual(
      run.resources.filter((r) => r.type.startsWith("proxmoxve:") || r.type.startsWith("talos:")),
      [],
    );
    assert.deepEqual(run.invokes, []);
  });

  it("is a component holding only the Kubernetes provider, built from the secret kubeconfig", () => {
    assert.deepEqual(
      run.resources.map((r) => [r.type, r.name, r.parent]),
      [
        [COMPONENTS.existingCluster, "cluster", undefined],
        [TYPES.k8sProvider, "cluster-k8s", "homelab:cluster:ExistingCluster::cluster"],
      ],
    );
    assert.deepEqual(findResource(run, TYPES.k8sProvider, "cluster-k8s").inputs, { kubeconfig: "[secret]", clusterIdentifier: "k3s" });
  });

  it("keeps the kubeconfig secret, has no talosconfig, and reports the kubeconfig's API server", async () => {
    assert.equal(await pulumi.isSecret(run.result.cluster.kubeconfig), true);
    assert.equal(run.result.cluster.talosconfig, undefined);
    assert.deepEqual(access(run), { kubeconfig: "[secret]", talosconfig: undefined, apiEndpoint: "https://192.168.1.20:6443" });
  });
});
