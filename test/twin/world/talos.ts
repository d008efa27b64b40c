/**
 * A fake Talos cluster for the twin: nodes that boot from their VM's image into
 * maintenance mode, take a machine configuration, install and reboot; etcd
 * started by one bootstrap; Kubernetes Nodes registering once the API server
 * runs; and Talos' own health checks. Plain JSON, so a day-2 scenario can
 * store it, extend it (releases, schematics, staged configs, reboots) and point
 * a fake talosctl at it.
 *
 * Sources:
 * - siderolabs/talos v1.13.9 DefaultClusterChecks and their messages: test/fixtures/
 *   fake-talosctl/cluster-checks.ts, the one model the fake talosctl shares.
 * - terraform-provider-talos v0.11.0 (pulumiverse/talos 0.8.1), pkg/talos/
 *   talos_machine_configuration_apply_resource.go, talos_machine_bootstrap_resource.go,
 *   talos_cluster_kubeconfig_resource.go, talos_cluster_health_data_source.go, as the
 *   team's provider facts of 2026-12-07 summarise them: ConfigurationApply, Bootstrap and
 *   Kubeconfig retry until their `timeouts` (default 10 min); the health data
 *   source waits `timeouts.read` (default 10 min); `staged_if_needing_reboot`
 *   falls back to `auto` on a node in maintenance mode.
 * Durations (`TalosTimings`) are the world's, so a scenario can model slow hardware.
 */
import { defaultClusterChecks, type CheckFailure } from "../../fixtures/fake-talosctl/cluster-checks.ts";
import { createHash } from "node:crypto";
import type { InvokeModel, Props, ResourceModel } from "../engine.ts";
import { StepError } from "../engine.ts";
import { mockInvokeResult, mockResourceOutputs } from "../../../synth/mocks.ts";
import { advanceTo, goDuration, stage, waitFor, type TwinWorld } from "./time.ts";
import { TYPES, INVOKES } from "../../../contract/tokens.ts";

export interface TalosTimings {
  /** VM start to the Talos API answering in maintenance mode. */
  readonly bootToMaintenance: number;
  /** A configuration applied in maintenance mode to the installed node running it (install, reboot). */
  readonly install: number;
  /** Bootstrap to etcd and the API server answering. */
  readonly apiServer: number;
  /** A Node registered to Ready (CNI, kubelet). */
  readonly nodeReady: number;
}

/** A quick lab: about 6 minutes from VMs to a healthy cluster. */
export const FAST_HARDWARE: TalosTimings = { bootToMaintenance: 60, install: 150, apiServer: 90, nodeReady: 60 };

export interface TalosNode {
  readonly ip: string;
  /** The Proxmox VM (name) it runs in. */
  readonly vm: string;
  /** `halted`: reset and powered off (a retired node). */
  phase: "booting" | "maintenance" | "installing" | "running" | "halted";
  /** When the current phase ends (booting → maintenance, installing → running); when it started running. */
  readyAt: number;
  release: string;
  schematic: string;
  role?: "controlplane" | "worker";
  hostname?: string;
  /** The applied machine configuration: the role's generated one and the node's patches, in order. */
  config?: { readonly machineType: string; readonly machineConfiguration: string; readonly patches: readonly string[] };
  /** A configuration applied in staged mode: on disk, running from the next reboot (test/twin/world/talosctl.ts). */
  staged?: { readonly machineType: string; readonly machineConfiguration: string; readonly patches: readonly string[] };
}

/** What the day-2 scenarios add to the world (test/twin/world/talosctl.ts reads and writes it). */
/** A node's configuration as one text: the generated machine configuration and its patches. */
export const configText = (config: TalosNode["config"]) => [config?.machineConfiguration ?? "", ...(config?.patches ?? [])].join("\n");
/** The Kubernetes release a configuration's kubelet image names, "" when it names none. */
export const kubeletOf = (config: TalosNode["config"]) => /kubelet:v(\d+\.\d+\.\d+)/.exec(configText(config))?.[1] ?? "";

export interface TalosDay2 {
  /** The workstation's talosctl release; absent: no talosctl on PATH. */
  talosctl?: string;
  /** What the bootstrap manifests deploy: written at bootstrap, then only by upgrade-k8s. */
  manifests?: { talos: string; kubernetes: string; kubeNetworkPolicies: boolean };
  /** Set when a step took etcd below quorum. */
  quorumLost?: string;
  faults: { failUpgrade?: string; stuckAt?: string; unhealthyAfterUpgrade?: string };
  /** The client certificate the nodes accept (after a renewal); unset: any. */
  clientCertificate?: string;
  /** Every talosctl and kubectl call, and what changed the cluster, in order. */
  calls: string[];
  events: string[];
}

export interface EtcdMember {
  /** The member ID as `talosctl etcd members` prints it (hex). */
  readonly id: string;
  readonly hostname: string;
  readonly ip: string;
  healthy: boolean;
}

export interface KubeNode {
  readonly name: string;
  readonly ip: string;
  readonly registeredAt: number;
}

export interface TalosWorld {
  timings: TalosTimings;
  nodes: Record<string, TalosNode>;
  bootstrappedAt?: number;
  bootstrapNode?: string;
  /** When the API server (and the VIP) answer. */
  apiServerAt?: number;
  etcd: EtcdMember[];
  kubernetesNodes: KubeNode[];
  day2?: TalosDay2;
}

export function emptyTalosWorld(timings: TalosTimings = FAST_HARDWARE): TalosWorld {
  return { timings, nodes: {}, etcd: [], kubernetesNodes: [] };
}

const memberId = (ip: string) => createHash("sha256").update(ip).digest("hex").slice(0, 16);

/** Brings every node and the cluster to the world's clock. */
export function settleTalos(world: TwinWorld): void {
  const t = world.talos!;
  for (const node of Object.values(t.nodes)) {
    if (node.phase === "booting" && node.readyAt <= world.clock) node.phase = "maintenance";
    if (node.phase === "installing" && node.readyAt <= world.clock) node.phase = "running";
  }
  if (t.bootstrappedAt === undefined) return;
  for (const node of Object.values(t.nodes)) {
    if (node.phase !== "running" || node.role !== "controlplane" || t.etcd.some((m) => m.ip === node.ip)) continue;
    // A control plane joins etcd once a member runs (the bootstrap node's).
    if (t.etcd.length > 0 || node.ip === t.bootstrapNode)
      t.etcd.push({ id: memberId(node.ip), hostname: node.hostname ?? node.ip, ip: node.ip, healthy: true });
  }
  if (t.apiServerAt === undefined || t.apiServerAt > world.clock) return;
  for (const node of Object.values(t.nodes)) {
    if (node.phase !== "running" || !node.config || t.kubernetesNodes.some((n) => n.ip === node.ip)) continue;
    t.kubernetesNodes.push({ name: node.hostname ?? node.ip, ip: node.ip, registeredAt: Math.max(node.readyAt, t.apiServerAt) });
  }
}

const timeoutOf = (inputs: Props, op: "create" | "update" | "read") =>
  goDuration((inputs.timeouts as Record<string, string> | undefined)?.[op], 600);

const unreachable = (ip: string) =>
  `rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp ${ip}:50000: connect: connection refused"`;

function nodeAt(world: TwinWorld, ip: string): TalosNode | undefined {
  return world.talos?.nodes[ip];
}

/** The machine type and hostname a configuration and its patches give a node. */
function identityOf(inputs: Props): { machineType: string; hostname?: string } {
  const machineType = /\n\s*type: (controlplane|worker)\b/.exec(String(inputs.machineConfigurationInput ?? ""))?.[1] ?? "worker";
  const patches = (inputs.configPatches as string[] | undefined) ?? [];
  const hostname = patches.map((p) => /kind: HostnameConfig[\s\S]*?\nhostname: (\S+)/.exec(p)?.[1]).find(Boolean);
  return { machineType, ...(hostname ? { hostname } : {}) };
}

function appliedConfig(inputs: Props, machineType: string): NonNullable<TalosNode["config"]> {
  return {
    machineType,
    machineConfiguration: String(inputs.machineConfigurationInput ?? ""),
    patches: [...((inputs.configPatches as string[] | undefined) ?? [])],
  };
}

const configurationApply: ResourceModel<TwinWorld> = {
  create: (c) => {
    const ip = String(c.inputs.node);
    const started = c.world.clock;
    waitFor(
      c.world,
      timeoutOf(c.inputs, "create"),
      () => {
        const n = nodeAt(c.world, ip);
        return n && (n.phase === "maintenance" || n.phase === "running") ? undefined : unreachable(ip);
      },
      (reason) => new StepError(`failed to apply configuration: ${reason}`),
    );
    const node = nodeAt(c.world, ip)!;
    const { machineType, hostname } = identityOf(c.inputs);
    const resolved = node.phase === "maintenance" ? "auto" : "no_reboot";
    if (node.phase === "maintenance") {
      node.phase = "installing";
      node.readyAt = c.world.clock + c.world.talos!.timings.install;
    }
    node.role = machineType as TalosNode["role"];
    if (hostname) node.hostname = hostname;
    node.config = appliedConfig(c.inputs, machineType);
    stage(c.world, "apply", started);
    return { ...mockResourceOutputs(c.type, c.inputs), resolvedApplyMode: resolved };
  },
  update: (c) => {
    const ip = String(c.inputs.node);
    waitFor(
      c.world,
      timeoutOf(c.inputs, "update"),
      () => (nodeAt(c.world, ip)?.phase === "running" ? undefined : unreachable(ip)),
      (reason) => new StepError(`failed to apply configuration: ${reason}`),
    );
    const node = nodeAt(c.world, ip)!;
    const { machineType, hostname } = identityOf(c.inputs);
    if (hostname) node.hostname = hostname;
    const next = appliedConfig(c.inputs, machineType);
    // `.machine.kubelet` (and `.cluster`) apply immediately (siderolabs/talos v1.13.9
    // internal/app/machined/pkg/runtime/v1alpha1/v1alpha1_runtime.go CanApplyImmediate): an apply
    // that carries another kubelet image moves that node's Kubernetes at once, outside upgrade-k8s.
    if (kubeletOf(node.config) !== kubeletOf(next)) {
      c.world.talos!.day2 ??= { faults: {}, calls: [], events: [] };
      c.world.talos!.day2.events.push(`config apply moved the kubelet of ${ip} from ${kubeletOf(node.config)} to ${kubeletOf(next)}`);
    }
    node.config = next;
    return { ...mockResourceOutputs(c.type, c.inputs), resolvedApplyMode: "no_reboot" };
  },
};

const bootstrap: ResourceModel<TwinWorld> = {
  create: (c) => {
    const ip = String(c.inputs.node);
    const t = c.world.talos!;
    const started = c.world.clock;
    waitFor(
      c.world,
      timeoutOf(c.inputs, "create"),
      () => (nodeAt(c.world, ip)?.phase === "running" ? undefined : unreachable(ip)),
      (reason) => new StepError(`bootstrap failed: ${reason}`),
    );
    if (t.bootstrappedAt !== undefined) throw new StepError("rpc error: code = AlreadyExists desc = etcd data directory is not empty");
    t.bootstrappedAt = c.world.clock;
    t.bootstrapNode = ip;
    // Talos renders the bootstrap manifests from the bootstrap node's configuration, once.
    const applied = nodeAt(c.world, ip)!;
    t.day2 ??= { faults: {}, calls: [], events: [] };
    t.day2.manifests = {
      talos: applied.release,
      kubernetes: kubeletOf(applied.config),
      kubeNetworkPolicies: /kubeNetworkPoliciesEnabled: true/.test(configText(applied.config)),
    };
    t.apiServerAt = c.world.clock + t.timings.apiServer;
    // Talos serves its talos.dev ServiceAccount CRD when a configuration enables Kubernetes access to its API.
    if (Object.values(t.nodes).some((n) => n.config && /kubernetesTalosAPIAccess:\s*\n\s*enabled: true/.test(configText(n.config)))) {
      c.world.kubernetes.crds = [...new Set([...c.world.kubernetes.crds, "talos.dev/ServiceAccount"])].sort();
    }
    advanceTo(c.world, c.world.clock);
    stage(c.world, "bootstrap", started);
    return {};
  },
};

const kubeconfig: ResourceModel<TwinWorld> = {
  create: (c) => {
    const ip = String(c.inputs.node);
    const t = c.world.talos!;
    const started = c.world.clock;
    waitFor(
      c.world,
      timeoutOf(c.inputs, "create"),
      () => (t.bootstrappedAt !== undefined && nodeAt(c.world, ip)?.phase === "running" ? undefined : unreachable(ip)),
      (reason) => new StepError(`failed to retrieve kubeconfig: ${reason}`),
    );
    stage(c.world, "kubeconfig", started);
    return mockResourceOutputs(c.type, c.inputs);
  },
};

/** Talos' DefaultClusterChecks (test/fixtures/fake-talosctl/cluster-checks.ts) on this world's nodes. */
export function clusterHealth(world: TwinWorld, controlPlanes: readonly string[], workers: readonly string[]): CheckFailure | undefined {
  const t = world.talos!;
  const running = (ip: string) => nodeAt(world, ip)?.phase === "running";
  const apiServerUp = t.apiServerAt !== undefined && t.apiServerAt <= world.clock;
  return defaultClusterChecks(
    {
      unreachable: (ip) => (running(ip) ? undefined : unreachable(ip)),
      etcdHealthy: (ip) => t.etcd.some((m) => m.ip === ip && m.healthy),
      etcdMembers: t.etcd.map((m) => m.ip),
      ...(apiServerUp
        ? {}
        : {
            apiServerError: `Get "https://${controlPlanes[0]}:6443/api/v1/nodes": dial tcp ${controlPlanes[0]}:6443: connect: connection refused`,
          }),
      kubernetesNodes: t.kubernetesNodes.map((n) => ({
        name: n.name,
        ip: n.ip,
        ready: n.registeredAt + t.timings.nodeReady <= world.clock,
      })),
    },
    controlPlanes,
    workers,
  );
}

const getHealth: InvokeModel<TwinWorld> = (args, { world }) => {
  const controlPlanes = (args.controlPlaneNodes as string[] | undefined) ?? [];
  const workers = (args.workerNodes as string[] | undefined) ?? [];
  const started = world.clock;
  let last: { check: string; error: string } | undefined;
  waitFor(
    world,
    goDuration((args.timeouts as { read?: string } | undefined)?.read, 600),
    () => {
      last = clusterHealth(world, controlPlanes, workers);
      return last?.error;
    },
    () => new StepError(`health check failed: waiting for ${last!.check}: ${last!.error}: context deadline exceeded`),
  );
  stage(world, "health", started);
  return { ...args, id: "cluster_health" };
};

/** The Image Factory names a schematic by the hash of its content. */
const schematic: ResourceModel<TwinWorld> = {
  create: (c) => ({
    id: createHash("sha256")
      .update(String(c.inputs.schematic ?? ""))
      .digest("hex"),
  }),
  update: (c) => ({
    id: createHash("sha256")
      .update(String(c.inputs.schematic ?? ""))
      .digest("hex"),
  }),
};

const secrets: ResourceModel<TwinWorld> = {
  create: (c) => mockResourceOutputs(c.type, c.inputs),
  update: (c) => ({ talosVersion: c.inputs.talosVersion }),
};

export const talosModels: Record<string, ResourceModel<TwinWorld>> = {
  [TYPES.talosSecrets]: secrets,
  [TYPES.schematic]: schematic,
  [TYPES.configurationApply]: configurationApply,
  [TYPES.bootstrap]: bootstrap,
  [TYPES.kubeconfig]: kubeconfig,
};

const echo =
  (token: string): InvokeModel<TwinWorld> =>
  (args) =>
    mockInvokeResult(token, args);

/** The generated configuration with the role's patches applied (as the provider's data source does), secrets left out. */
const machineConfiguration: InvokeModel<TwinWorld> = (args) => {
  const generated = mockInvokeResult(INVOKES.talosMachineConfiguration, args);
  const patches = (args.configPatches as string[] | undefined) ?? [];
  // The generated configuration's kubelet image follows kubernetesVersion (unset: the provider's machinery default).
  const kubelet = `machine:\n  kubelet:\n    image: ghcr.io/siderolabs/kubelet:v${String(args.kubernetesVersion ?? "1.36.0")}\n`;
  return { ...generated, machineConfiguration: [String(generated.machineConfiguration), kubelet, ...patches].join("---\n") };
};

/** The talosconfig the data source renders from the client certificate it is given (a renewed one included). */
const clientConfiguration: InvokeModel<TwinWorld> = (args) => {
  const generated = mockInvokeResult(INVOKES.talosClientConfiguration, args);
  const client = args.clientConfiguration as { clientCertificate?: string } | undefined;
  const mocked = /crt: (\S+)/.exec(String(generated.talosConfig))?.[1];
  return client?.clientCertificate && mocked
    ? { ...generated, talosConfig: String(generated.talosConfig).replace(mocked, client.clientCertificate) }
    : generated;
};

export const talosInvokes: Record<string, InvokeModel<TwinWorld>> = {
  [INVOKES.talosMachineConfiguration]: machineConfiguration,
  [INVOKES.talosClientConfiguration]: clientConfiguration,
  [INVOKES.talosImageFactoryUrls]: echo(INVOKES.talosImageFactoryUrls),
  [INVOKES.talosClusterHealth]: getHealth,
};

/** A VM started from a Talos image: the node boots into maintenance mode at its static address. */
export function bootNode(world: TwinWorld, node: { ip: string; vm: string; release: string; schematic: string }): void {
  world.talos ??= emptyTalosWorld();
  world.talos.nodes[node.ip] = { ...node, phase: "booting", readyAt: world.clock + world.talos.timings.bootToMaintenance };
}
