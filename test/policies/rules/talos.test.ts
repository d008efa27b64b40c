/**
 * Talos and Proxmox: every rule of policies/talos.ts on the program's own synth output.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as rules from "../../../policies/talos.ts";
import { T, legacyVipPatch, vipDocument, describeRuleCases, type RuleCase } from "../rule-cases.ts";
import { add, change, cloneAs, synthDoc, violationsOf } from "../synth-output.ts";

const CASES: readonly RuleCase[] = [
  {
    rule: "talos-vip-control-planes-only",
    stack: "homelab",
    fails: [
      {
        when: "a worker's patches carry the Layer2VIPConfig document",
        edit: (d) =>
          change(d, T.configurationApply, "cluster-worker1-config", (r) => r.inputs.configPatches.push(vipDocument("10.0.10.10"))),
        resource: `${T.configurationApply}::cluster-worker1-config`,
        message:
          /Talos node 10\.0\.10\.21 \(cluster-worker1-config\) is a worker but its patches declare the shared VIP 10\.0\.10\.10: Talos rejects the config \("virtual \(shared\) IP is not allowed on non-controlplane nodes"\)/,
      },
      {
        when: "one control plane lacks the VIP the others share",
        edit: (d) =>
          change(
            d,
            T.configurationApply,
            "cluster-cp2-config",
            (r) => (r.inputs.configPatches = r.inputs.configPatches.filter((p: string) => !p.includes("Layer2VIPConfig"))),
          ),
        resource: `${T.configurationApply}::cluster-cp2-config`,
        message: /declares no VIP while the control planes share 10\.0\.10\.10: the VIP only fails over to control planes that declare it/,
      },
    ],
  },
  {
    rule: "talos-vip-control-planes-only",
    stack: "homelab",
    // The 1.11 interface-level VIP needs a 1.11 contract, and default deny needs contract v1.13 (kube-network-policies), so this older cluster runs without it.
    config: {
      "cluster.talos.version": "v1.11.6",
      "cluster.talos.configContract": "v1.11",
      "cluster.talos.kubernetesVersion": "1.34.6",
      "namespaces.apps.defaultDeny": false,
      "namespaces.media.defaultDeny": false,
    },
    fails: [
      {
        when: "a worker on Talos 1.11 gets the interface-level VIP",
        edit: (d) =>
          change(d, T.configurationApply, "cluster-worker2-config", (r) => r.inputs.configPatches.push(legacyVipPatch("10.0.10.10"))),
        resource: `${T.configurationApply}::cluster-worker2-config`,
        message: /is a worker but its patches declare the shared VIP 10\.0\.10\.10/,
      },
    ],
  },
  {
    rule: "talos-config-contract",
    stack: "homelab",
    fails: [
      {
        when: "the machine secrets carry no contract",
        edit: (d) => change(d, T.talosSecrets, "cluster-secrets", (r) => delete r.inputs.talosVersion),
        resource: `${T.talosSecrets}::cluster-secrets`,
        message: /have talosVersion "", not a pinned contract: .*pin cluster\.talos\.configContract/,
      },
      {
        // homelab was deployed before the contract key existed, so its contract is the release its secrets were created with.
        when: "a node installs a release older than the contract",
        edit: (d) =>
          change(
            d,
            T.configurationApply,
            "cluster-worker1-config",
            (r) => (r.inputs.configPatches = r.inputs.configPatches.map((p: string) => p.replace(/:v1\.13\.9/, ":v1.12.11"))),
          ),
        resource: `${T.configurationApply}::cluster-worker1-config`,
        message:
          /installs Talos v1\.12\.11, older than the config contract v1\.13\.9: .*upgrade cluster\.talos\.version to a v1\.13\.x release or later first/,
      },
    ],
  },
  {
    rule: "talos-config-changes-reboot-one-control-plane",
    stack: "homelab",
    fails: [
      {
        when: "a node applies with mode auto",
        edit: (d) => change(d, T.configurationApply, "cluster-cp2-config", (r) => (r.inputs.applyMode = "auto")),
        resource: `${T.configurationApply}::cluster-cp2-config`,
        message: /applies with mode auto: .*etcd loses quorum.*staged_if_needing_reboot/,
      },
      {
        when: "the control-plane applies are not chained",
        edit: (d) =>
          change(
            d,
            T.configurationApply,
            "cluster-cp3-config",
            (r) => (r.options.dependsOn = r.options.dependsOn.filter((x: string) => !x.startsWith(T.configurationApply))),
          ),
        resource: `${T.configurationApply}::cluster-cp3-config`,
        message: /does not wait for another control plane's apply/,
      },
    ],
  },
  {
    rule: "talos-endpoint-uses-vip",
    stack: "homelab",
    fails: [
      {
        when: "a node's cluster endpoint is one control plane's address",
        edit: (d) =>
          change(
            d,
            T.configurationApply,
            "cluster-worker1-config",
            (r) => (r.inputs.configPatches[0] = r.inputs.configPatches[0].replace("https://10.0.10.10:6443", "https://10.0.10.11:6443")),
          ),
        resource: `${T.configurationApply}::cluster-worker1-config`,
        message:
          /^Talos node 10\.0\.10\.21 \(cluster-worker1-config\) uses cluster endpoint https:\/\/10\.0\.10\.11:6443 although the control planes share VIP 10\.0\.10\.10: .*set cluster\.controlPlane\.endpoint to https:\/\/10\.0\.10\.10:6443/,
      },
      {
        when: "the VIP patch is dropped from every control plane while the endpoint still names the VIP",
        edit: (d) =>
          ["cluster-cp1-config", "cluster-cp2-config", "cluster-cp3-config"].reduce(
            (acc, name) =>
              change(
                acc,
                T.configurationApply,
                name,
                (r) => (r.inputs.configPatches = r.inputs.configPatches.filter((p: string) => !p.includes("Layer2VIPConfig"))),
              ),
            d,
          ),
        resource: `${T.configurationApply}::cluster-cp1-config`,
        message:
          /^Talos node 10\.0\.10\.11 \(cluster-cp1-config\), .*Talos node 10\.0\.10\.22 \(cluster-worker2-config\) use cluster endpoint https:\/\/10\.0\.10\.10:6443, but no control plane has that address and none declares it as a VIP: the nodes never reach the API/,
      },
    ],
  },
  {
    rule: "talos-api-not-through-vip",
    stack: "homelab",
    fails: [
      {
        when: "the bootstrap talks to the Talos API through the VIP",
        edit: (d) => change(d, T.bootstrap, "cluster-bootstrap", (r) => (r.inputs.endpoint = "10.0.10.10")),
        resource: `${T.bootstrap}::cluster-bootstrap`,
        message:
          /Bootstrap cluster-bootstrap talks to the Talos API through the VIP 10\.0\.10\.10 \(endpoint\): the VIP exists only once etcd is bootstrapped/,
      },
    ],
  },
  {
    rule: "talos-single-bootstrap",
    stack: "homelab",
    fails: [
      {
        when: "a second control plane is bootstrapped too",
        edit: (d) =>
          add(
            d,
            cloneAs(d, T.bootstrap, "cluster-bootstrap", "cluster-bootstrap-cp2", (r) => {
              r.inputs.node = r.inputs.endpoint = "10.0.10.12";
              r.options.dependsOn = [`${T.configurationApply}::cluster-cp2-config`];
            }),
          ),
        resource: `${T.bootstrap}::cluster-bootstrap-cp2`,
        message:
          /Expected 1 Talos Bootstrap \(one per cluster's machine secrets\) but found 2: bootstrapping a second node creates a second etcd cluster/,
      },
      {
        when: "the bootstrap does not wait for its node's configuration apply",
        edit: (d) => change(d, T.bootstrap, "cluster-bootstrap", (r) => (r.options.dependsOn = [`${T.talosSecrets}::cluster-secrets`])),
        resource: `${T.bootstrap}::cluster-bootstrap`,
        message: /Bootstrap cluster-bootstrap does not depend on cluster-cp1-config, the configuration apply of 10\.0\.10\.11/,
      },
    ],
  },
  {
    rule: "stateful-resources-protected",
    stack: "homelab",
    fails: [
      {
        when: "the Talos machine secrets lose protect",
        edit: (d) => change(d, T.talosSecrets, "cluster-secrets", (r) => delete r.options.protect),
        resource: `${T.talosSecrets}::cluster-secrets`,
        message:
          /^Talos machine secrets cluster-secrets is not protected: a delete or replace generates new CAs and tokens.*set protect: true/,
      },
      {
        when: "a Proxmox VM loses protect",
        edit: (d) => change(d, T.vm, "cluster-worker2-vm", (r) => delete r.options.protect),
        resource: `${T.vm}::cluster-worker2-vm`,
        message: /^Proxmox VM worker2 is not protected: deleting the VM deletes the node's disk/,
      },
    ],
  },
  {
    rule: "stateful-resources-protected",
    // A retiring node's VM is unprotected on purpose, so that removing the node can delete it.
    stack: "homelab",
    config: { "cluster.nodes.worker2.retire": "reset" },
    fails: [
      {
        when: "an unprotected VM is not tagged retiring",
        edit: (d) => change(d, T.vm, "cluster-worker2-vm", (r) => (r.inputs.tags = ["homelab", "talos", "worker"])),
        resource: `${T.vm}::cluster-worker2-vm`,
        message: /^Proxmox VM worker2 is not protected: deleting the VM deletes the node's disk/,
      },
    ],
  },
  {
    rule: "talos-image-nocloud",
    stack: "homelab",
    fails: [
      {
        when: "the image is the metal platform's",
        edit: (d) =>
          change(d, T.download, "cluster-image-pve1", (r) => (r.inputs.url = r.inputs.url.replace("nocloud-amd64", "metal-amd64"))),
        resource: `${T.download}::cluster-image-pve1`,
        message:
          /fetches https:\/\/factory\.talos\.dev\/.*metal-amd64\.qcow2, not the nocloud image: the node ignores the cloud-init drive/,
      },
    ],
  },
  {
    rule: "talos-kubeconfig-renewal",
    stack: "homelab",
    fails: [
      {
        when: "the kubeconfig sets no certificate renewal",
        edit: (d) => change(d, T.kubeconfig, "cluster-kubeconfig", (r) => delete r.inputs.certificateRenewalDuration),
        resource: `${T.kubeconfig}::cluster-kubeconfig`,
        message: /sets no certificateRenewalDuration: its client certificate expires a year after creation/,
      },
    ],
  },
  {
    rule: "proxmox-vm-ignores-image-changes",
    stack: "lab",
    fails: [
      {
        when: "a VM stops ignoring its disk's image",
        edit: (d) => change(d, T.vm, "cluster-lab-cp2-vm", (r) => (r.options.ignoreChanges = ["cdrom"])),
        resource: `${T.vm}::cluster-lab-cp2-vm`,
        message:
          /Proxmox VM lab-cp2 does not ignore changes to disks\[0\]\.importFrom: the next Talos version or schematic changes the image and every later plan shows a disk change that applying never carries out/,
      },
      {
        when: "a VM boots an ISO from its CD-ROM without ignoring it (the empty fileId none the stack sets is no image)",
        edit: (d) => change(d, T.vm, "cluster-lab-cp2-vm", (r) => (r.inputs.cdrom = { fileId: "local:iso/talos.iso", interface: "ide3" })),
        resource: `${T.vm}::cluster-lab-cp2-vm`,
        message:
          /Proxmox VM lab-cp2 does not ignore changes to cdrom\.fileId: the next Talos version or schematic changes the image and Pulumi would replace the VM/,
      },
    ],
  },
  {
    rule: "proxmox-vm-cpu-type",
    stack: "edge",
    fails: [
      {
        when: "a VM falls back to Proxmox's default CPU type",
        edit: (d) => change(d, T.vm, "cluster-edge-w1-vm", (r) => delete r.inputs.cpu.type),
        resource: `${T.vm}::cluster-edge-w1-vm`,
        message: /Proxmox VM edge-w1 has CPU type qemu64 \(Proxmox's default\): it lacks x86-64-v2, so Talos halts at boot/,
      },
    ],
  },
  {
    rule: "talos-firewall-admin-access",
    stack: "homelab",
    fails: [
      {
        when: "a node's firewall opens the Talos API to the internet",
        edit: (d) =>
          change(
            d,
            T.configurationApply,
            "cluster-worker1-config",
            (r) =>
              (r.inputs.configPatches = r.inputs.configPatches.map((p: string) =>
                p.replace(/(name: apid-ingress[\s\S]*?ingress:\n)/, "$1  - subnet: 0.0.0.0/0\n"),
              )),
          ),
        resource: `${T.configurationApply}::cluster-worker1-config`,
        message: /Talos node 10\.0\.10\.21 \(cluster-worker1-config\) admits 0\.0\.0\.0\/0 to the Talos API \(50000\)/,
      },
      {
        when: "a blocking firewall has no Talos API rule",
        edit: (d) =>
          change(
            d,
            T.configurationApply,
            "cluster-cp3-config",
            (r) => (r.inputs.configPatches = r.inputs.configPatches.filter((p: string) => !p.includes("name: apid-ingress"))),
          ),
        resource: `${T.configurationApply}::cluster-cp3-config`,
        message:
          /blocks inbound traffic by default and no rule admits the Talos API \(50000\): once applied, neither pulumi nor talosctl reaches the node again/,
      },
      {
        when: "a control plane admits the VPN to the Talos API but not to the Kubernetes API",
        edit: (d) =>
          change(
            d,
            T.configurationApply,
            "cluster-cp1-config",
            (r) =>
              (r.inputs.configPatches = r.inputs.configPatches.map((p: string) =>
                p.includes("name: kubernetes-api-ingress") ? p.replace("  - subnet: 10.99.0.0/24\n", "") : p,
              )),
          ),
        resource: `${T.configurationApply}::cluster-cp1-config`,
        message: /admits 10\.99\.0\.0\/24 to the Talos API but not to the Kubernetes API \(6443\)/,
      },
    ],
  },
  {
    rule: "talos-firewall-cluster-ports",
    stack: "edge",
    fails: [
      {
        when: "a worker's firewall drops Flannel's VXLAN from the other nodes",
        edit: (d) =>
          change(
            d,
            T.configurationApply,
            "cluster-edge-w1-config",
            (r) => (r.inputs.configPatches = r.inputs.configPatches.filter((p: string) => !p.includes("name: cni-vxlan"))),
          ),
        resource: `${T.configurationApply}::cluster-edge-w1-config`,
        message:
          /Talos node 192\.168\.50\.21 \(cluster-edge-w1-config\) blocks inbound traffic by default and does not admit 192\.168\.50\.11, 192\.168\.50\.22, 192\.168\.50\.23 to Flannel's VXLAN \(4789\/udp\)/,
      },
      {
        when: "the control plane's trustd rule is gone",
        edit: (d) =>
          change(
            d,
            T.configurationApply,
            "cluster-edge-cp1-config",
            (r) => (r.inputs.configPatches = r.inputs.configPatches.filter((p: string) => !p.includes("name: trustd-ingress"))),
          ),
        resource: `${T.configurationApply}::cluster-edge-cp1-config`,
        message: /does not admit 192\.168\.50\.21, 192\.168\.50\.22, 192\.168\.50\.23 to trustd \(50001\/tcp\)/,
      },
    ],
  },
];

describeRuleCases("talos", rules, CASES);

describe("unknown values during preview", () => {
  it("a rule that reads an unknown value becomes an advisory 'can't run during preview', as in the engine", async () => {
    // GIVEN the lab stack whose kubeconfig renewal is only known after deploy
    const doc = change(
      await synthDoc("lab"),
      T.kubeconfig,
      "cluster-kubeconfig",
      (r) => (r.inputs.certificateRenewalDuration = "[unknown]"),
    );
    // WHEN the pack evaluates it
    const found = await violationsOf(doc, "talos-kubeconfig-renewal");
    // THEN the rule reports that it could not run, as advisory, instead of passing or failing the stack
    assert.deepEqual(found, [
      {
        policy: "talos-kubeconfig-renewal",
        level: "advisory",
        resource: `${T.kubeconfig}::cluster-kubeconfig`,
        message:
          "can't run policy 'talos-kubeconfig-renewal' during preview: value at .certificateRenewalDuration can't be known during preview",
      },
    ]);
  });

  it("a stack rule checks every resource it can read, then says which value it could not", async () => {
    // GIVEN the edge stack with one worker's patches unknown (as on a first preview) and another worker carrying the VIP
    const base = await synthDoc("edge");
    const doc = change(
      change(
        base,
        T.configurationApply,
        "cluster-edge-w1-config",
        (r) => (r.inputs.configPatches = ["[unknown]", r.inputs.configPatches[1]]),
      ),
      T.configurationApply,
      "cluster-edge-w2-config",
      (r) => r.inputs.configPatches.push(vipDocument("192.168.50.10")),
    );
    // WHEN the VIP rule runs
    const found = await violationsOf(doc, "talos-vip-control-planes-only");
    // THEN the known worker is reported at the rule's level, and the unknown patch as an advisory "can't run"
    assert.deepEqual(
      found.map((v) => [v.level, v.resource]),
      [
        ["mandatory", `${T.configurationApply}::cluster-edge-w2-config`],
        ["advisory", "pulumi:pulumi:Stack::homelab-edge"],
      ],
    );
    assert.equal(
      found[1]!.message,
      "can't run policy 'talos-vip-control-planes-only' during preview: value at .configPatches.0 can't be known during preview",
    );
  });
});
