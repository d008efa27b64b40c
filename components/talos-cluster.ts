/**
 * Talos Linux on Proxmox VE: the nocloud image once per hosting Proxmox node,
 * one VM per configured node, machine configs applied with per-node patches,
 * etcd bootstrapped once, and a Kubernetes provider from the fetched kubeconfig
 * that only becomes usable once Talos reports the whole cluster healthy.
 *
 * Client certificates in kubeconfig and talosconfig are valid for a year and are
 * renewed by a routine `pulumi up` in their last 30 days (docs/operations.md:
 * rotate credentials): the Kubeconfig resource within KUBECONFIG_RENEWAL, the
 * Secrets resource (the Talos client certificate) within the provider's own
 * month; read the renewed files again afterwards
 * (`pulumi stack output --show-secrets kubeconfig`).
 */
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { Provider } from "@pulumi/kubernetes/provider.js";
import { VmLegacy } from "@muhlba91/pulumi-proxmoxve/vmLegacy.js";
import { Command } from "@pulumi/command/local/command.js";
import { File } from "@muhlba91/pulumi-proxmoxve/download/file.js";
import type { TalosClusterSpec } from "../model/resolve.ts";
import type { NodeRole } from "../model/schema.ts";
import type { ClusterAccess } from "./cluster-access.ts";
import {
  Bootstrap,
  ConfigurationApply,
  Kubeconfig,
  Schematic,
  Secrets,
  getClientConfigurationOutput,
  getClusterHealthOutput,
  getImageFactoryUrlsOutput,
  getMachineConfigurationOutput,
} from "./talos-provider.ts";
import {
  bootstrapNode,
  clusterEndpoint,
  patchesYaml,
  rolePatches,
  schematicYaml,
  talosEndpoints,
  talosNodePatches,
} from "../builders/talos-patches.ts";
import { kubernetesCommand, rolloutCommand } from "../builders/talos-upgrade.ts";
import { firewallDocuments } from "../builders/talos-firewall.ts";
import { TALOS_ARCHITECTURE, TALOS_PLATFORM, VM_IGNORE_CHANGES, imageDownload, imageHosts, talosVmArgs } from "../builders/proxmox-vm.ts";
import { etcdBackupRolePatches } from "../builders/etcd-backup.ts";
import { leaveCommand } from "../builders/node-lifecycle.ts";
import { activeNodes, controlPlanes } from "../model/nodes.ts";
import { COMPONENTS } from "../contract/tokens.ts";

/** Renew the kubeconfig's client certificate when it expires within 30 days. */
const KUBECONFIG_RENEWAL = "720h";

/**
 * How long each first-boot stage may take before the provider gives up (Go
 * durations). Its defaults are 10 minutes each (terraform-provider-talos v0.11.0:
 * apply, bootstrap and kubeconfig retry, the health data source polls), which a
 * first boot on a slow host or link outruns: the apply waits for a new VM to boot
 * the nocloud image into maintenance mode; the bootstrap for that node to pull the
 * installer image, write its disk and reboot; the health check for etcd, the API
 * server and every node (each pulling the Kubernetes and CNI images) to report
 * Ready. Generous bounds, so a slow first `up` completes and a dead node still
 * fails one `up` rather than hanging it (docs/operations.md: when a stage times out).
 */
export const FIRST_BOOT_TIMEOUTS = {
  apply: { create: "20m", update: "20m" },
  bootstrap: { create: "30m" },
  kubeconfig: { create: "20m", update: "20m" },
  health: { read: "30m" },
} as const;

export interface TalosClusterArgs {
  readonly cluster: TalosClusterSpec;
  /** Cloudflare's IPv4 ranges from the deploy-time lookup, when the host firewall admits proxied apps from them. */
  readonly cloudflareIpv4?: pulumi.Output<string[]>;
}

export class TalosCluster extends pulumi.ComponentResource implements ClusterAccess {
  readonly provider: Provider;
  readonly kubeconfig: pulumi.Output<string>;
  readonly talosconfig: pulumi.Output<string>;
  readonly apiEndpoint: string;
  readonly spec: TalosClusterSpec;

  constructor(name: string, args: TalosClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENTS.talosCluster, name, {}, opts);
    const cluster = args.cluster;
    const parent = { parent: this };

    const schematic = new Schematic(`${name}-schematic`, { schematic: schematicYaml(cluster) }, parent);
    const image = getImageFactoryUrlsOutput(
      {
        schematicId: schematic.id,
        talosVersion: cluster.talos.version,
        platform: TALOS_PLATFORM,
        architecture: TALOS_ARCHITECTURE,
      },
      parent,
    );
    const download = pulumi
      .all([image.urls, schematic.id])
      .apply(([urls, id]) => imageDownload({ stack: pulumi.getStack(), cluster: cluster.name }, urls.diskImage, cluster.talos.version, id));
    const images = new Map(
      imageHosts(cluster).map((host) => [
        host,
        new File(
          `${name}-image-${host}`,
          {
            nodeName: host,
            datastoreId: cluster.talos.imageDatastore,
            contentType: "import",
            url: download.url,
            fileName: download.fileName,
            // A versioned factory URL never changes: checking its size again could only cause needless re-downloads.
            overwrite: false,
          },
          parent,
        ),
      ]),
    );

    // Protected like the secrets: a VM's disk is the node's etcd member and data.
    // Removing a node is deliberate: `pulumi state unprotect` its VM first.
    // A retiring node's VM is unprotected first (cluster.nodes.<name>.retire), so the
    // deploy that then drops the node from the config can delete it.
    const vms = new Map(
      cluster.nodes.map((node) => [
        node.name,
        new VmLegacy(`${name}-${node.name}-vm`, talosVmArgs(cluster, node, images.get(node.proxmoxNode)!.id), {
          ...parent,
          protect: !node.retire,
          ignoreChanges: [...VM_IGNORE_CHANGES],
        }),
      ]),
    );

    // Losing the machine secrets loses the cluster: every node's identity and the etcd/Kubernetes CAs.
    // The provider updates a raised contract in place (and replaces on a lowered one); asking for a
    // replacement of this protected resource makes the engine refuse every contract change at
    // preview, from the contract in state, unless the operator opted in.
    const secrets = new Secrets(
      `${name}-secrets`,
      { talosVersion: cluster.talos.configContract },
      {
        ...parent,
        protect: true,
        ...(cluster.talos.allowConfigContractChange ? {} : { replaceOnChanges: ["talosVersion"] }),
      },
    );
    const machineSecrets = pulumi.secret(secrets.machineSecrets);
    const clientConfiguration = pulumi.secret(secrets.clientConfiguration);
    const endpoint = clusterEndpoint(cluster);
    const machineConfig = (role: NodeRole) =>
      getMachineConfigurationOutput(
        {
          clusterName: cluster.name,
          clusterEndpoint: endpoint,
          machineSecrets,
          machineType: role,
          configPatches: patchesYaml([...rolePatches(cluster, role), ...etcdBackupRolePatches(cluster, role)]),
          talosVersion: cluster.talos.configContract,
          // Pinned: unset, the provider's machinery default (Kubernetes 1.36.0 for pulumiverse 0.8.1)
          // would decide, and a provider bump would move every node's kubelet and control plane.
          kubernetesVersion: cluster.talos.kubernetesVersion,
          docs: false,
          examples: false,
        },
        parent,
      ).machineConfiguration;
    const configs = { controlplane: machineConfig("controlplane"), worker: machineConfig("worker") };

    // The day-2 commands authenticate with a talosconfig whose endpoint is the bootstrap node and
    // which lists no nodes (the scripts name every node and endpoint they talk to): it changes only
    // when the client certificate is renewed or the bootstrap node moves, so neither a node joining
    // nor one retiring changes a command's environment. Unlike the exported talosconfig, whose node
    // list follows the staying nodes.
    const commandTalosconfig = pulumi.secret(
      getClientConfigurationOutput(
        {
          clusterName: cluster.name,
          clientConfiguration,
          endpoints: [bootstrapNode(cluster).ip],
        },
        parent,
      ).talosConfig,
    );

    // Kubernetes moves only through upgrade-k8s (pre-pulled images, node by node, deprecated-API
    // check), before any config apply: the applies that then carry the new kubelet and control-plane
    // images find them already rolled out. Local Commands (@pulumi/command v1.2.1
    // provider/pkg/provider/local/commandController.go) run `create` on every create that is not a
    // preview and `update` (else `create`) with the NEW inputs on any input change; with no `create`
    // a new cluster's first up runs nothing (and needs no talosctl): its nodes boot the pinned
    // release and Kubernetes. No ignoreChanges: the engine would put ignored inputs back to their old
    // values (pulumi/pulumi pkg/resource/deploy/step_generator.go), running the old target with
    // the old certificate.
    const kubernetes = new Command(
      `${name}-kubernetes`,
      {
        update: kubernetesCommand(cluster),
        environment: { TALOSCONFIG_CONTENT: commandTalosconfig },
      },
      parent,
    );

    // A change that needs a reboot is staged instead of rebooting the node now (the provider decides
    // with a dry run at preview and falls back to auto where it cannot reach the node: a new one);
    // the rollout below reboots the nodes whose config is staged, one at a time with the cluster
    // healthy between. Control planes apply one after another, so even a fallback never reboots two
    // etcd members in one step.
    const patches = new Map(
      cluster.nodes.map((node) => [
        node.name,
        pulumi
          .all([image.urls, args.cloudflareIpv4])
          .apply(([urls, cloudflareIpv4]) =>
            patchesYaml([...talosNodePatches(cluster, node, urls.installer), ...firewallDocuments(cluster, node, cloudflareIpv4)]),
          ),
      ]),
    );
    let previousControlPlane: ConfigurationApply | undefined;
    const applies = new Map(
      cluster.nodes.map((node) => {
        const apply = new ConfigurationApply(
          `${name}-${node.name}-config`,
          {
            node: node.ip,
            endpoint: node.ip,
            clientConfiguration,
            machineConfigurationInput: configs[node.role],
            configPatches: patches.get(node.name)!,
            applyMode: "staged_if_needing_reboot",
            timeouts: FIRST_BOOT_TIMEOUTS.apply,
          },
          {
            ...parent,
            dependsOn: [
              vms.get(node.name)!,
              kubernetes,
              ...(node.role === "controlplane" && previousControlPlane ? [previousControlPlane] : []),
            ],
          },
        );
        if (node.role === "controlplane") previousControlPlane = apply;
        return [node.name, apply] as const;
      }),
    );

    const first = bootstrapNode(cluster);
    const bootstrap = new Bootstrap(
      `${name}-bootstrap`,
      {
        node: first.ip,
        endpoint: first.ip,
        clientConfiguration,
        timeouts: FIRST_BOOT_TIMEOUTS.bootstrap,
      },
      {
        ...parent,
        dependsOn: [applies.get(first.name)!],
        // etcd is bootstrapped once, at creation: moving cluster.bootstrapNode later must
        // not bootstrap a second, empty etcd (Talos refuses it on a node that has data).
        ignoreChanges: ["node", "endpoint"],
      },
    );

    const kubeconfig = new Kubeconfig(
      `${name}-kubeconfig`,
      {
        node: first.ip,
        endpoint: first.ip,
        clientConfiguration,
        certificateRenewalDuration: KUBECONFIG_RENEWAL,
        timeouts: FIRST_BOOT_TIMEOUTS.kubeconfig,
      },
      { ...parent, dependsOn: [bootstrap] },
    );

    // A retiring node leaves before the health check: until it is neither a Kubernetes Node nor an
    // etcd member, Talos' cluster checks fail for the staying nodes ("unexpected nodes", etcd members
    // not a subset of the control planes: siderolabs/talos pkg/cluster/check, v1.13.9), and a dead
    // node in the lists never reports healthy. The deploy that drops the node from the config then
    // only deletes its config apply and VM.
    const leaves = cluster.nodes
      .filter((node) => node.retire)
      .map(
        (node) =>
          new Command(
            `${name}-${node.name}-leave`,
            {
              create: leaveCommand(cluster, node),
              environment: { TALOSCONFIG_CONTENT: commandTalosconfig, KUBECONFIG_CONTENT: pulumi.secret(kubeconfig.kubeconfigRaw) },
            },
            { ...parent, dependsOn: [bootstrap, ...applies.values()] },
          ),
      );

    // The kubeconfig exists right after the bootstrap, but the VIP and the API server answer
    // minutes later: waiting for a healthy cluster keeps the first Kubernetes resources of a
    // fresh cluster from failing with "cluster unreachable". Endpoints are the control planes'
    // own addresses; the VIP is itself one of the things being waited for.
    const staying = activeNodes(cluster.nodes);
    const health = getClusterHealthOutput(
      {
        clientConfiguration,
        endpoints: talosEndpoints(cluster),
        controlPlaneNodes: controlPlanes({ nodes: staying }).map((n) => n.ip),
        workerNodes: staying.filter((n) => n.role === "worker").map((n) => n.ip),
        timeouts: FIRST_BOOT_TIMEOUTS.health,
      },
      { ...parent, dependsOn: [bootstrap, ...applies.values(), ...leaves] },
    );

    this.spec = cluster;
    this.apiEndpoint = endpoint;
    this.kubeconfig = pulumi.secret(kubeconfig.kubeconfigRaw);
    this.talosconfig = pulumi.secret(
      getClientConfigurationOutput(
        {
          clusterName: cluster.name,
          clientConfiguration,
          endpoints: talosEndpoints(cluster),
          nodes: staying.map((n) => n.ip),
        },
        parent,
      ).talosConfig,
    );

    // The rollout, after the health check: every node to cluster.talos.version with the schematic's
    // installer, the nodes whose config change was staged rebooted, one node at a time with etcd and
    // the cluster healthy before and after each, then the bootstrap manifests (Flannel,
    // kube-network-policies, CoreDNS) synced by upgrade-k8s, which Talos creates only at bootstrap.
    // One command for the cluster: its inputs are the target, the node list, the applied configs'
    // revision and the credentials, and any change runs it with the new values (`update`); nodes
    // already at the release are skipped, so a node joining re-runs only checks. Its first create
    // runs nothing: a new node boots the pinned release, and a new cluster needs no talosctl.
    const configRevision = pulumi.secret(
      pulumi
        .all(cluster.nodes.map((node) => pulumi.all([configs[node.role], patches.get(node.name)!])))
        .apply((applied) => createHash("sha256").update(JSON.stringify(applied)).digest("hex")),
    );
    const rollout = new Command(
      `${name}-rollout`,
      {
        update: image.urls.apply((urls) => rolloutCommand(cluster, urls.installer)),
        environment: {
          TALOSCONFIG_CONTENT: pulumi.secret(pulumi.all([health.id, commandTalosconfig]).apply(([, content]) => content)),
          HOMELAB_CONFIG_REVISION: configRevision,
        },
      },
      { ...parent, dependsOn: [bootstrap, ...applies.values(), ...leaves] },
    );
    // Every Kubernetes resource waits for the health check and the rollout, and with them for the
    // bootstrap and every node's configuration (dependencies travel with the values): a
    // NetworkPolicy is created only once the synced manifests run its enforcer.
    const healthyKubeconfig = pulumi.secret(pulumi.all([health.id, rollout.stdout, kubeconfig.kubeconfigRaw]).apply(([, , raw]) => raw));
    this.provider = new Provider(`${name}-k8s`, { kubeconfig: healthyKubeconfig, clusterIdentifier: cluster.name }, parent);

    this.registerOutputs({ kubeconfig: this.kubeconfig, talosconfig: this.talosconfig, apiEndpoint: this.apiEndpoint });
  }
}
