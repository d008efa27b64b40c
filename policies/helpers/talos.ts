/**
 * What the plan says about its Talos nodes: their roles, addresses, VIPs,
 * endpoints and pod network, read from the configuration applies, their
 * patches and the Proxmox VMs.
 */
import { parseAllDocuments } from "yaml";
import type { PolicyResource } from "@pulumi/policy";
import { TALOS_DEFAULT_POD_SUBNET } from "@homelab/contract/talos";
import { eachKnown, isSecretMarker, known, noteUnknown, ofType } from "../common.ts";
import { TYPES } from "@homelab/contract/tokens";
import { arr, obj, str, strings, type Obj } from "@homelab/contract/props";

export type Role = "controlplane" | "worker";

/**
 * Every YAML document of a configuration apply's patches. A patch unknown
 * during preview is noted (the rule then reports it could not check
 * everything) and the known ones are still read; with `optional`, unknown
 * patches are skipped silently (for evidence other sources can supply).
 */
function patchDocuments(apply: PolicyResource, optional = false): Obj[] {
  const docs: Obj[] = [];
  const patches = optional ? arr(known(() => apply.props.configPatches)) : arr(apply.props.configPatches);
  for (let i = 0; i < patches.length; i++) {
    let patch: unknown;
    try {
      patch = patches[i];
    } catch (e) {
      if (!optional) noteUnknown(e);
      continue;
    }
    if (typeof patch !== "string" || isSecretMarker(patch)) continue;
    docs.push(...talosDocuments(patch));
  }
  return docs;
}

// Most Talos rules read every node's patches; parsing them once per text, not once per rule
// and node, keeps the pack's cost from growing with the number of rules that read them.
const parsedPatches = new Map<string, readonly Obj[]>();

/** The YAML documents of one patch or machine configuration (YAML 1.1, as Talos reads it). */
function talosDocuments(text: string): readonly Obj[] {
  let docs = parsedPatches.get(text);
  if (!docs) {
    docs = parseAllDocuments(text, { version: "1.1" }).map((d) => Object.freeze(obj(d.toJS())));
    parsedPatches.set(text, docs);
  }
  return docs;
}

/** The shared IPs a node's documents declare: `Layer2VIPConfig` (Talos ≥ 1.12) or an interface's `vip` (≤ 1.11). */
function declaredVips(docs: readonly Obj[]): string[] {
  const vips = new Set<string>();
  for (const doc of docs) {
    if (doc.kind === "Layer2VIPConfig" && str(doc.name)) vips.add(str(doc.name));
    for (const iface of arr(obj(obj(obj(doc).machine).network).interfaces)) {
      const ip = str(obj(obj(iface).vip).ip);
      if (ip) vips.add(ip);
      for (const vlan of arr(obj(iface).vlans)) {
        const vlanIp = str(obj(obj(vlan).vip).ip);
        if (vlanIp) vips.add(vlanIp);
      }
    }
  }
  return [...vips].sort();
}

/** The generated machine configuration, when the engine shows it (the real engine decrypts it; offline it is a secret marker). */
function visibleMachineConfig(apply: PolicyResource): Obj[] {
  const input = known(() => apply.props.machineConfigurationInput);
  if (typeof input !== "string" || isSecretMarker(input)) return [];
  return [...talosDocuments(input)];
}

/** The address of the Proxmox VM's cloud-init config, `10.0.10.11/24` → `10.0.10.11`. */
function vmAddresses(vm: PolicyResource): string[] {
  return arr(obj(vm.props.initialization).ipConfigs)
    .map((c) => str(obj(obj(c).ipv4).address).split("/")[0] ?? "")
    .filter(Boolean);
}

/**
 * A node's role, from the most direct evidence available: `machine.type` of
 * the generated machine config or of a patch, else the role tag of the Proxmox
 * VM at the node's address.
 */
function roleOf(apply: PolicyResource, resources: readonly PolicyResource[]): Role | undefined {
  for (const doc of [...visibleMachineConfig(apply), ...patchDocuments(apply, true)]) {
    const type = str(obj(doc.machine).type);
    if (type === "controlplane" || type === "worker") return type;
  }
  const node = str(apply.props.node);
  const vm = ofType(resources, TYPES.vm).find((v) => vmAddresses(v).includes(node));
  const tags = strings(vm?.props.tags);
  if (tags.includes("controlplane")) return "controlplane";
  if (tags.includes("worker")) return "worker";
  return undefined;
}

/** The cluster endpoint a node is configured with (patches first, then the visible machine config). */
export function endpointOf(apply: PolicyResource): string | undefined {
  for (const doc of [...patchDocuments(apply), ...visibleMachineConfig(apply)]) {
    const endpoint = str(obj(obj(obj(doc).cluster).controlPlane).endpoint);
    if (endpoint) return endpoint;
  }
  return undefined;
}

export interface TalosNodeView {
  readonly apply: PolicyResource;
  readonly address: string;
  readonly role: Role | undefined;
  /** Read on demand: only rules about the VIP need the patches (unknown during a first preview). */
  readonly vips: readonly string[];
}

export function talosNodes(resources: readonly PolicyResource[]): TalosNodeView[] {
  const nodes: TalosNodeView[] = [];
  eachKnown(ofType(resources, TYPES.configurationApply), (apply) => {
    let vips: string[] | undefined;
    nodes.push({
      apply,
      address: str(apply.props.node),
      role: roleOf(apply, resources),
      get vips() {
        vips ??= declaredVips(patchDocuments(apply));
        return vips;
      },
    });
  });
  return nodes;
}

/**
 * The pod network of a Talos cluster the stack builds: `cluster.network.podSubnets`
 * of the generated machine config or a patch, else Talos' default; undefined
 * when the stack builds no Talos node (a cluster it does not own).
 */
export function talosPodSubnets(resources: readonly PolicyResource[]): readonly string[] | undefined {
  const applies = ofType(resources, TYPES.configurationApply);
  if (applies.length === 0) return undefined;
  for (const apply of applies) {
    for (const doc of [...patchDocuments(apply, true), ...visibleMachineConfig(apply)]) {
      const subnets = strings(obj(obj(doc.cluster).network).podSubnets);
      if (subnets.length) return subnets;
    }
  }
  return [TALOS_DEFAULT_POD_SUBNET];
}

/** The VIP the control planes share, when they declare one. */
export function clusterVip(resources: readonly PolicyResource[]): string | undefined {
  return talosNodes(resources)
    .filter((n) => n.role === "controlplane")
    .flatMap((n) => n.vips)[0];
}

/** The Talos release of a node's installer reference (`…/installer/<schematic>:v1.13.9`), from its patches. */
export function installedRelease(apply: PolicyResource): string | undefined {
  for (const doc of patchDocuments(apply, true)) {
    const image = str(obj(obj(doc.machine).install).image);
    const tag = /:(v\d+\.\d+\.\d+)$/.exec(image)?.[1];
    if (tag) return tag;
  }
  return undefined;
}

/**
 * Whether a node's configuration turns on kube-network-policies beside Flannel
 * (`cluster.network.cni.flannel.kubeNetworkPoliciesEnabled`), in its patches
 * or the generated machine config the engine shows.
 */
export function enablesKubeNetworkPolicies(apply: PolicyResource): boolean {
  return [...patchDocuments(apply), ...visibleMachineConfig(apply)].some(
    (doc) => obj(obj(obj(obj(doc.cluster).network).cni).flannel).kubeNetworkPoliciesEnabled === true,
  );
}

// ── host firewall ─────────────────────────────────────────────────────────────

interface FirewallView {
  /** The default ingress action; Talos' own default is accept. */
  readonly blocks: boolean;
  /** The sources a rule admits to `port`/`protocol`, or undefined when no rule names that port. */
  readonly sourcesOf: (port: number, protocol: "tcp" | "udp") => string[] | undefined;
}

/** Whether a NetworkRuleConfig port entry (a number or "first-last") covers `port`. */
function portMatches(entry: unknown, port: number): boolean {
  if (typeof entry === "number") return entry === port;
  const [first, last = first] = String(entry).split("-").map(Number);
  return first !== undefined && last !== undefined && port >= first && port <= last;
}

/** A node's host firewall as its configuration patches declare it. */
export function firewallOf(apply: PolicyResource): FirewallView {
  const docs = patchDocuments(apply);
  const blocks = docs.some((d) => d.kind === "NetworkDefaultActionConfig" && d.ingress === "block");
  const rules = docs.filter((d) => d.kind === "NetworkRuleConfig");
  return {
    blocks,
    sourcesOf: (port, protocol) => {
      const matching = rules.filter(
        (r) => str(obj(r.portSelector).protocol) === protocol && arr(obj(r.portSelector).ports).some((e) => portMatches(e, port)),
      );
      return matching.length ? matching.flatMap((r) => arr(r.ingress).map((i) => str(obj(i).subnet))) : undefined;
    },
  };
}

export const isWholeInternet = (subnet: string): boolean => /\/0$/.test(subnet);
