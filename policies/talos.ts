/**
 * Talos on Proxmox: the VIP lives on control planes only and is the cluster
 * endpoint, talosctl never goes through it, etcd is bootstrapped once, the
 * machine secrets survive, and VMs are built so Talos can boot and upgrade.
 */
import { parseAllDocuments } from "yaml";
import type { PolicyResource, ResourceValidationPolicy } from "@pulumi/policy";
import { CPU_TYPES_WITHOUT_X86_64_V2, DEFAULTS } from "../config/defaults.ts";
import { isIpv4 } from "../lib/net.ts";
import { ETCD_PORTS, FLANNEL_VXLAN_PORT, KUBELET_PORT, TALOS_API_PORT, TRUSTD_PORT } from "../lib/talos-firewall.ts";
import { KUBERNETES_API_PORT } from "../lib/talos-patches.ts";
import { cidrWithin, withinAny } from "./net.ts";
import {
  TYPES, arr, dependsOn, eachKnown, isSecretMarker, known, noteUnknown, obj, ofType, stackPolicy, str, strings,
  type HomelabPolicy, type Level, type Obj,
} from "./common.ts";

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
    for (const doc of parseAllDocuments(patch, { version: "1.1" })) docs.push(obj(doc.toJS()));
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
  return parseAllDocuments(input, { version: "1.1" }).map((d) => obj(d.toJS()));
}

/** The address of the Proxmox VM's cloud-init config, `10.0.10.11/24` → `10.0.10.11`. */
function vmAddresses(vm: PolicyResource): string[] {
  return arr(obj(vm.props.initialization).ipConfigs).map((c) => str(obj(obj(c).ipv4).address).split("/")[0] ?? "").filter(Boolean);
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
function endpointOf(apply: PolicyResource): string | undefined {
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
  return [DEFAULTS.talos.podSubnet];
}

/**
 * Whether a node's configuration turns on kube-network-policies beside Flannel
 * (`cluster.network.cni.flannel.kubeNetworkPoliciesEnabled`), in its patches
 * or the generated machine config the engine shows.
 */
export function enablesKubeNetworkPolicies(apply: PolicyResource): boolean {
  return [...patchDocuments(apply), ...visibleMachineConfig(apply)]
    .some((doc) => obj(obj(obj(obj(doc.cluster).network).cni).flannel).kubeNetworkPoliciesEnabled === true);
}

/** The VIP the control planes share, when they declare one. */
export function clusterVip(resources: readonly PolicyResource[]): string | undefined {
  return talosNodes(resources).filter((n) => n.role === "controlplane").flatMap((n) => n.vips)[0];
}

const nodeLabel = (n: TalosNodeView) => `Talos node ${n.address} (${n.apply.name})`;

export function talosVipControlPlanesOnly(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "talos-vip-control-planes-only",
    description: "Checks that the shared VIP is declared on every control plane and on no worker, because Talos refuses a shared IP on workers and the VIP can only move to nodes that declare it; put the VIP patch (Layer2VIPConfig, or the interface's vip up to Talos 1.11) on control planes only.",
    level,
    check: (resources, report) => {
      const nodes = talosNodes(resources);
      for (const n of nodes.filter((x) => x.role === "worker" && x.vips.length > 0)) {
        report(n.apply, `${nodeLabel(n)} is a worker but its patches declare the shared VIP ${n.vips.join(", ")}: Talos rejects the config ("virtual (shared) IP is not allowed on non-controlplane nodes"); apply the VIP patch to control-plane nodes only.`);
      }
      const planes = nodes.filter((x) => x.role === "controlplane");
      const all = [...new Set(planes.flatMap((x) => x.vips))].sort();
      if (all.length === 0) return;
      for (const n of planes) {
        const same = n.vips.length === all.length && n.vips.every((v, i) => v === all[i]);
        if (!same) {
          report(n.apply, `${nodeLabel(n)} declares ${n.vips.length ? `VIP ${n.vips.join(", ")}` : "no VIP"} while the control planes share ${all.join(", ")}: the VIP only fails over to control planes that declare it, and two VIPs split the API endpoint; give every control plane the same single VIP patch.`);
        }
      }
    },
  });
}

const endpointHost = (endpoint: string): string => {
  const m = /^https?:\/\/(\[[^\]]+\]|[^/:]+)/.exec(endpoint);
  return m?.[1] ?? endpoint;
};

export function talosEndpointUsesVip(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "talos-endpoint-uses-vip",
    description: "Checks that every node's cluster endpoint is https://<VIP>:6443 when the control planes share a VIP (so the API survives any one control plane going down), and otherwise an address that a control plane or VIP actually holds; set cluster.controlPlane.endpoint to the VIP the control-plane patches declare.",
    level,
    check: (resources, report) => {
      const nodes = talosNodes(resources);
      const vip = clusterVip(resources);
      const planes = nodes.filter((n) => n.role === "controlplane").map((n) => n.address);
      // A node whose role is unknown (no machine.type, no VM tag) may be the control plane an endpoint names.
      const rolesKnown = nodes.every((n) => n.role !== undefined);
      const byEndpoint = new Map<string, TalosNodeView[]>();
      eachKnown(nodes, (n) => {
        const endpoint = endpointOf(n.apply);
        if (endpoint !== undefined) byEndpoint.set(endpoint, [...(byEndpoint.get(endpoint) ?? []), n]);
      });
      for (const [endpoint, group] of byEndpoint) {
        const host = endpointHost(endpoint);
        const who = `${group.map(nodeLabel).join(", ")} ${group.length === 1 ? "uses" : "use"} cluster endpoint ${endpoint}`;
        if (vip && host !== vip) {
          report(group[0]!.apply, `${who} although the control planes share VIP ${vip}: the node loses the API whenever ${host} is down; set cluster.controlPlane.endpoint to https://${vip}:6443.`);
        } else if (!vip && isIpv4(host) && !planes.includes(host) && rolesKnown) {
          report(group[0]!.apply, `${who}, but no control plane has that address and none declares it as a VIP: the nodes never reach the API and the cluster does not form; add the VIP patch to every control plane or point the endpoint at a control plane's address.`);
        }
      }
    },
  });
}

export function talosApiNotThroughVip(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "talos-api-not-through-vip",
    description: "Checks that configuration applies, the bootstrap and the kubeconfig reach the Talos API at node addresses, never the VIP, which answers only after etcd is bootstrapped and moves during failover; use the control planes' own addresses as node and endpoint.",
    level,
    check: (resources, report) => {
      const vip = clusterVip(resources);
      if (!vip) return;
      eachKnown(ofType(resources, TYPES.configurationApply, TYPES.bootstrap, TYPES.kubeconfig), (r) => {
        for (const field of ["node", "endpoint"] as const) {
          if (str(r.props[field]) === vip) {
            report(r, `${r.type.split(":").pop()} ${r.name} talks to the Talos API through the VIP ${vip} (${field}): the VIP exists only once etcd is bootstrapped and follows the etcd leader, so the first apply/bootstrap hangs and later ones hit a random node; use a control plane's own address.`);
          }
        }
      });
    },
  });
}

export function talosSingleBootstrap(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "talos-single-bootstrap",
    description: "Checks that each Talos cluster bootstraps etcd exactly once, on a control plane, after that node's configuration is applied; create one Bootstrap for the first control plane with dependsOn its ConfigurationApply.",
    level,
    check: (resources, report) => {
      const secrets = ofType(resources, TYPES.talosSecrets);
      const bootstraps = ofType(resources, TYPES.bootstrap);
      if (secrets.length === 0) return;
      if (bootstraps.length !== secrets.length) {
        const target = bootstraps[1] ?? secrets[0];
        report(target, `Expected ${secrets.length} Talos Bootstrap (one per cluster's machine secrets) but found ${bootstraps.length}: ${bootstraps.length === 0 ? "etcd never starts and the API never answers" : "bootstrapping a second node creates a second etcd cluster"}; bootstrap exactly one control plane.`);
      }
      const nodes = talosNodes(resources);
      eachKnown(bootstraps, (b) => {
        const node = nodes.find((n) => n.address === str(b.props.node));
        if (!node) return;
        if (node.role === "worker") {
          report(b, `Bootstrap ${b.name} targets worker ${node.address}: only a control plane runs etcd, so the bootstrap fails; bootstrap the first control plane.`);
        }
        if (!dependsOn(b, node.apply)) {
          report(b, `Bootstrap ${b.name} does not depend on ${node.apply.name}, the configuration apply of ${node.address}: it may run against a node still in maintenance mode and fail; add dependsOn: [that ConfigurationApply].`);
        }
      });
    },
  });
}

/** What losing each stateful resource costs. */
const STATEFUL: Readonly<Record<string, string>> = {
  [TYPES.talosSecrets]: "a delete or replace generates new CAs and tokens, and the running nodes no longer trust the cluster (it must be rebuilt)",
  [TYPES.vm]: "deleting the VM deletes the node's disk with etcd data or workloads on it",
};

export function statefulResourcesProtected(level: Level = "mandatory"): ResourceValidationPolicy {
  return {
    name: "stateful-resources-protected",
    description: "Checks that resources whose loss costs the cluster or its data (Talos machine secrets, Proxmox VMs and their disks) are protected against deletion; create them with protect: true and unprotect deliberately (pulumi state unprotect) only when retiring them.",
    enforcementLevel: level,
    validateResource: (args, report) => {
      const cost = STATEFUL[args.type];
      if (!cost || args.opts.protect) return;
      const what = args.type === TYPES.vm ? `Proxmox VM ${str(args.props.name) || args.name}` : `Talos machine secrets ${args.name}`;
      report(`${what} is not protected: ${cost}; set protect: true on the resource.`);
    },
  };
}

/** A change to these paths replaces a Proxmox VM; `ignoreChanges` entries that cover `path`. */
function covered(path: string, ignore: readonly string[]): boolean {
  const generic = path.replace(/\[\d+\]/g, "[*]");
  return ignore.some((i) => i === path || i === generic || path.startsWith(`${i}.`) || path.startsWith(`${i}[`) || generic.startsWith(`${i}.`) || generic.startsWith(`${i}[`));
}

export function proxmoxVmIgnoresImageChanges(level: Level = "mandatory"): ResourceValidationPolicy {
  return {
    name: "proxmox-vm-ignores-image-changes",
    description: "Checks that every Proxmox VM booted from a downloaded image ignores changes to that image reference, because a new Talos version or schematic changes it and a changed fileId rebuilds the VM (importFrom only seeds a new disk, but its change would still show in every plan); list the disk's importFrom or fileId and the CD-ROM's fileId in ignoreChanges and upgrade with talosctl instead.",
    enforcementLevel: level,
    validateResource: (args, report) => {
      if (args.type !== TYPES.vm) return;
      const paths: string[] = [];
      for (const [i, disk] of arr(args.props.disks).entries()) {
        for (const key of ["importFrom", "fileId"]) if (obj(disk)[key] !== undefined) paths.push(`disks[${i}].${key}`);
      }
      if (obj(args.props.cdrom).fileId !== undefined) paths.push("cdrom.fileId");
      const ignore = args.opts.ignoreChanges ?? [];
      for (const path of paths.filter((p) => !covered(p, ignore))) {
        const effect = path.endsWith(".importFrom")
          ? "every later plan shows a disk change that applying never carries out (the provider imports a disk only when it creates it)"
          : "Pulumi would replace the VM (and wipe the node)";
        report(`Proxmox VM ${str(args.props.name) || args.name} does not ignore changes to ${path}: the next Talos version or schematic changes the image and ${effect}; add "${path}" to ignoreChanges and upgrade with talosctl upgrade.`);
      }
    },
  };
}


export function proxmoxVmCpuType(level: Level = "mandatory"): ResourceValidationPolicy {
  return {
    name: "proxmox-vm-cpu-type",
    description: "Checks that every Proxmox VM uses a CPU type with x86-64-v2 (Proxmox defaults to qemu64, which lacks it and Talos does not boot); set cpu.type to host or x86-64-v2-AES.",
    enforcementLevel: level,
    validateResource: (args, report) => {
      if (args.type !== TYPES.vm) return;
      const type = str(obj(args.props.cpu).type) || "qemu64";
      if (CPU_TYPES_WITHOUT_X86_64_V2.includes(type)) {
        report(`Proxmox VM ${str(args.props.name) || args.name} has CPU type ${type}${obj(args.props.cpu).type ? "" : " (Proxmox's default)"}: it lacks x86-64-v2, so Talos halts at boot; set cpu.type to host or x86-64-v2-AES.`);
      }
    },
  };
}

export function talosImageNocloud(level: Level = "mandatory"): ResourceValidationPolicy {
  return {
    name: "talos-image-nocloud",
    description: "Checks that Talos images downloaded to Proxmox are the Image Factory's nocloud platform, the one that reads Proxmox's cloud-init drive (the metal image ignores it, so static addresses never apply); download …/nocloud-amd64.qcow2 instead.",
    enforcementLevel: level,
    validateResource: (args, report) => {
      if (args.type !== TYPES.download) return;
      const url = str(args.props.url);
      if (!/factory\.talos\.dev/.test(url)) return;
      if (!/\/nocloud-[a-z0-9]+\./.test(url)) {
        report(`Proxmox download ${args.name} fetches ${url}, not the nocloud image: the node ignores the cloud-init drive, comes up without its static address and the guest agent never reports; use the Image Factory's nocloud platform URL.`);
      }
    },
  };
}

export function talosKubeconfigRenewal(level: Level = "advisory"): ResourceValidationPolicy {
  return {
    name: "talos-kubeconfig-renewal",
    description: "Checks that the Talos kubeconfig sets certificateRenewalDuration, because its client certificate expires after a year and is renewed only by a pulumi up within that window; set it (e.g. 720h) and run pulumi up at least monthly.",
    enforcementLevel: level,
    validateResource: (args, report) => {
      if (args.type !== TYPES.kubeconfig) return;
      const renewal: unknown = args.props.certificateRenewalDuration;
      if (renewal === undefined || renewal === null || renewal === "") {
        report(`Talos kubeconfig ${args.name} sets no certificateRenewalDuration: its client certificate expires a year after creation and the stack then loses access to the cluster; set certificateRenewalDuration (e.g. "720h") so a routine pulumi up renews it.`);
      }
    },
  };
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
      const matching = rules.filter((r) => str(obj(r.portSelector).protocol) === protocol && arr(obj(r.portSelector).ports).some((e) => portMatches(e, port)));
      return matching.length ? matching.flatMap((r) => arr(r.ingress).map((i) => str(obj(i).subnet))) : undefined;
    },
  };
}

const isWholeInternet = (subnet: string): boolean => /\/0$/.test(subnet);

export function talosFirewallAdminAccess(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "talos-firewall-admin-access",
    description: `Checks that a Talos host firewall keeps the operator in and the internet out: no rule opens the Talos API (${TALOS_API_PORT}) to a /0, a blocking firewall admits the Talos API from some subnet, and a control plane admits the Kubernetes API (${KUBERNETES_API_PORT}) from every subnet it admits to the Talos API; list the admin subnets in both rules (cluster.firewall.adminSubnets).`,
    level,
    check: (resources, report) => {
      for (const node of talosNodes(resources)) {
        const fw = firewallOf(node.apply);
        const what = `Talos node ${node.address} (${node.apply.name})`;
        const talosApi = fw.sourcesOf(TALOS_API_PORT, "tcp");
        const open = talosApi?.filter(isWholeInternet) ?? [];
        if (open.length) report(node.apply, `${what} admits ${open.join(", ")} to the Talos API (${TALOS_API_PORT}): anyone who reaches the node may try its API; admit only the admin subnets.`);
        if (!fw.blocks) continue;
        if (!talosApi?.length) {
          report(node.apply, `${what} blocks inbound traffic by default and no rule admits the Talos API (${TALOS_API_PORT}): once applied, neither pulumi nor talosctl reaches the node again; add a rule for the admin subnets.`);
          continue;
        }
        if (node.role === "worker") continue;
        const kubeApi = fw.sourcesOf(KUBERNETES_API_PORT, "tcp") ?? [];
        const shut = talosApi.filter((s) => !isWholeInternet(s) && !withinAny(s, kubeApi));
        if (shut.length) report(node.apply, `${what} admits ${shut.join(", ")} to the Talos API but not to the Kubernetes API (${KUBERNETES_API_PORT}): the stack's Kubernetes provider and kubectl from there fail with timeouts; admit the admin subnets to ${KUBERNETES_API_PORT} too.`);
      }
    },
  });
}

export function talosFirewallClusterPorts(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "talos-firewall-cluster-ports",
    description: `Checks that a blocking Talos host firewall still lets the cluster talk to itself: every node admits the other nodes to the kubelet (${KUBELET_PORT}/tcp) and Flannel's VXLAN (${FLANNEL_VXLAN_PORT}/udp), and every control plane admits them to trustd (${TRUSTD_PORT}/tcp) and the Kubernetes API, and the control planes to etcd (${ETCD_PORTS}/tcp); add the missing NetworkRuleConfig.`,
    level,
    check: (resources, report) => {
      const nodes = talosNodes(resources);
      const all = nodes.map((n) => n.address).filter(isIpv4);
      const planes = nodes.filter((n) => n.role !== "worker").map((n) => n.address).filter(isIpv4);
      const etcdPort = Number(ETCD_PORTS.split("-")[0]);
      for (const node of nodes) {
        const fw = firewallOf(node.apply);
        if (!fw.blocks) continue;
        const needs: [string, number, "tcp" | "udp", readonly string[]][] = [
          ["the kubelet", KUBELET_PORT, "tcp", all],
          ["Flannel's VXLAN", FLANNEL_VXLAN_PORT, "udp", all],
          ...(node.role === "worker" ? [] : [
            ["trustd", TRUSTD_PORT, "tcp", all],
            ["the Kubernetes API", KUBERNETES_API_PORT, "tcp", all],
            ["etcd", etcdPort, "tcp", planes],
          ] as [string, number, "tcp" | "udp", readonly string[]][]),
        ];
        for (const [service, port, protocol, peers] of needs) {
          const sources = fw.sourcesOf(port, protocol) ?? [];
          const missing = peers.filter((ip) => ip !== node.address && !sources.some((s) => cidrWithin(ip, s)));
          if (missing.length) report(node.apply, `Talos node ${node.address} (${node.apply.name}) blocks inbound traffic by default and does not admit ${missing.join(", ")} to ${service} (${port}/${protocol}): the cluster breaks between its own nodes; add a NetworkRuleConfig admitting the nodes' addresses.`);
        }
      }
    },
  });
}
