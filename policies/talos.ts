/**
 * Talos on Proxmox: the VIP lives on control planes only and is the cluster
 * endpoint, talosctl never goes through it, etcd is bootstrapped once, the
 * machine secrets survive, and VMs are built so Talos can boot and upgrade.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import {
  CPU_TYPES_WITHOUT_X86_64_V2,
  ETCD_PORTS,
  FLANNEL_VXLAN_PORT,
  KUBELET_PORT,
  KUBERNETES_API_PORT,
  PROVIDER_CONFIG_CONTRACT,
  RETIRING_TAG,
  TALOS_API_PORT,
  TRUSTD_PORT,
} from "../contract/talos.ts";
import { compareMinor, parseTalosRelease } from "../contract/talos-versions.ts";
import { isIpv4 } from "../contract/net.ts";
import { TYPES, arr, dependsOn, eachKnown, known, obj, ofType, stackPolicy, str, type HomelabPolicy, type Level } from "./common.ts";
import { clusterVip, endpointOf, firewallOf, installedRelease, isWholeInternet, talosNodes, type TalosNodeView } from "./helpers/talos.ts";
import { cidrWithin, withinAny } from "./net.ts";

const nodeLabel = (n: TalosNodeView) => `Talos node ${n.address} (${n.apply.name})`;

export function talosVipControlPlanesOnly(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "talos-vip-control-planes-only",
    description:
      "Checks that the shared VIP is declared on every control plane and on no worker, because Talos refuses a shared IP on workers and the VIP can only move to nodes that declare it; put the VIP patch (Layer2VIPConfig, or the interface's vip up to Talos 1.11) on control planes only.",
    level,
    check: (resources, report) => {
      const nodes = talosNodes(resources);
      for (const n of nodes.filter((x) => x.role === "worker" && x.vips.length > 0)) {
        report(
          n.apply,
          `${nodeLabel(n)} is a worker but its patches declare the shared VIP ${n.vips.join(", ")}: Talos rejects the config ("virtual (shared) IP is not allowed on non-controlplane nodes"); apply the VIP patch to control-plane nodes only.`,
        );
      }
      const planes = nodes.filter((x) => x.role === "controlplane");
      const all = [...new Set(planes.flatMap((x) => x.vips))].sort();
      if (all.length === 0) return;
      for (const n of planes) {
        const same = n.vips.length === all.length && n.vips.every((v, i) => v === all[i]);
        if (!same) {
          report(
            n.apply,
            `${nodeLabel(n)} declares ${n.vips.length ? `VIP ${n.vips.join(", ")}` : "no VIP"} while the control planes share ${all.join(", ")}: the VIP only fails over to control planes that declare it, and two VIPs split the API endpoint; give every control plane the same single VIP patch.`,
          );
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
    description:
      "Checks that every node's cluster endpoint is https://<VIP>:6443 when the control planes share a VIP (so the API survives any one control plane going down), and otherwise an address that a control plane or VIP actually holds; set cluster.controlPlane.endpoint to the VIP the control-plane patches declare.",
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
          report(
            group[0]!.apply,
            `${who} although the control planes share VIP ${vip}: the node loses the API whenever ${host} is down; set cluster.controlPlane.endpoint to https://${vip}:6443.`,
          );
        } else if (!vip && isIpv4(host) && !planes.includes(host) && rolesKnown) {
          report(
            group[0]!.apply,
            `${who}, but no control plane has that address and none declares it as a VIP: the nodes never reach the API and the cluster does not form; add the VIP patch to every control plane or point the endpoint at a control plane's address.`,
          );
        }
      }
    },
  });
}

export function talosApiNotThroughVip(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "talos-api-not-through-vip",
    description:
      "Checks that configuration applies, the bootstrap and the kubeconfig reach the Talos API at node addresses, never the VIP, which answers only after etcd is bootstrapped and moves during failover; use the control planes' own addresses as node and endpoint.",
    level,
    check: (resources, report) => {
      const vip = clusterVip(resources);
      if (!vip) return;
      eachKnown(ofType(resources, TYPES.configurationApply, TYPES.bootstrap, TYPES.kubeconfig), (r) => {
        for (const field of ["node", "endpoint"] as const) {
          if (str(r.props[field]) === vip) {
            report(
              r,
              `${r.type.split(":").pop()} ${r.name} talks to the Talos API through the VIP ${vip} (${field}): the VIP exists only once etcd is bootstrapped and follows the etcd leader, so the first apply/bootstrap hangs and later ones hit a random node; use a control plane's own address.`,
            );
          }
        }
      });
    },
  });
}

export function talosSingleBootstrap(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "talos-single-bootstrap",
    description:
      "Checks that each Talos cluster bootstraps etcd exactly once, on a control plane, after that node's configuration is applied; create one Bootstrap for the first control plane with dependsOn its ConfigurationApply.",
    level,
    check: (resources, report) => {
      const secrets = ofType(resources, TYPES.talosSecrets);
      const bootstraps = ofType(resources, TYPES.bootstrap);
      if (secrets.length === 0) return;
      if (bootstraps.length !== secrets.length) {
        const target = bootstraps[1] ?? secrets[0];
        report(
          target,
          `Expected ${secrets.length} Talos Bootstrap (one per cluster's machine secrets) but found ${bootstraps.length}: ${bootstraps.length === 0 ? "etcd never starts and the API never answers" : "bootstrapping a second node creates a second etcd cluster"}; bootstrap exactly one control plane.`,
        );
      }
      const nodes = talosNodes(resources);
      eachKnown(bootstraps, (b) => {
        const node = nodes.find((n) => n.address === str(b.props.node));
        if (!node) return;
        if (node.role === "worker") {
          report(
            b,
            `Bootstrap ${b.name} targets worker ${node.address}: only a control plane runs etcd, so the bootstrap fails; bootstrap the first control plane.`,
          );
        }
        if (!dependsOn(b, node.apply)) {
          report(
            b,
            `Bootstrap ${b.name} does not depend on ${node.apply.name}, the configuration apply of ${node.address}: it may run against a node still in maintenance mode and fail; add dependsOn: [that ConfigurationApply].`,
          );
        }
      });
    },
  });
}

/** What losing each stateful resource costs. */
const STATEFUL: Readonly<Record<string, string>> = {
  [TYPES.talosSecrets]:
    "a delete or replace generates new CAs and tokens, and the running nodes no longer trust the cluster (it must be rebuilt)",
  [TYPES.vm]: "deleting the VM deletes the node's disk with etcd data or workloads on it",
};

export function statefulResourcesProtected(level: Level = "mandatory"): ResourceValidationPolicy {
  return {
    name: "stateful-resources-protected",
    description:
      "Checks that resources whose loss costs the cluster or its data (Talos machine secrets, Proxmox VMs and their disks) are protected against deletion; create them with protect: true and unprotect deliberately only when retiring them (a VM tagged retiring, which cluster.nodes.<name>.retire sets).",
    enforcementLevel: level,
    validateResource: (args, report) => {
      const cost = STATEFUL[args.type];
      if (!cost || args.opts.protect) return;
      if (args.type === TYPES.vm && arr(args.props.tags).includes(RETIRING_TAG)) return;
      const what = args.type === TYPES.vm ? `Proxmox VM ${str(args.props.name) || args.name}` : `Talos machine secrets ${args.name}`;
      report(`${what} is not protected: ${cost}; set protect: true on the resource.`);
    },
  };
}

/** A change to these paths replaces a Proxmox VM; `ignoreChanges` entries that cover `path`. */
function covered(path: string, ignore: readonly string[]): boolean {
  const generic = path.replace(/\[\d+\]/g, "[*]");
  return ignore.some(
    (i) =>
      i === path ||
      i === generic ||
      path.startsWith(`${i}.`) ||
      path.startsWith(`${i}[`) ||
      generic.startsWith(`${i}.`) ||
      generic.startsWith(`${i}[`),
  );
}

export function proxmoxVmIgnoresImageChanges(level: Level = "mandatory"): ResourceValidationPolicy {
  return {
    name: "proxmox-vm-ignores-image-changes",
    description:
      "Checks that every Proxmox VM booted from a downloaded image ignores changes to that image reference, because a new Talos version or schematic changes it and a changed fileId rebuilds the VM (importFrom only seeds a new disk, but its change would still show in every plan); list the disk's importFrom or fileId (and a CD-ROM's fileId when it holds an image) in ignoreChanges and upgrade with talosctl instead.",
    enforcementLevel: level,
    validateResource: (args, report) => {
      if (args.type !== TYPES.vm) return;
      const paths: string[] = [];
      for (const [i, disk] of arr(args.props.disks).entries()) {
        for (const key of ["importFrom", "fileId"]) if (obj(disk)[key] !== undefined) paths.push(`disks[${i}].${key}`);
      }
      // "none" (no drive) and "cdrom" (an empty one) reference no image; a VM must set one of them to migrate.
      const cdrom = obj(args.props.cdrom).fileId;
      if (cdrom !== undefined && cdrom !== "none" && cdrom !== "cdrom") paths.push("cdrom.fileId");
      const ignore = args.opts.ignoreChanges ?? [];
      for (const path of paths.filter((p) => !covered(p, ignore))) {
        const effect = path.endsWith(".importFrom")
          ? "every later plan shows a disk change that applying never carries out (the provider imports a disk only when it creates it)"
          : "Pulumi would replace the VM (and wipe the node)";
        report(
          `Proxmox VM ${str(args.props.name) || args.name} does not ignore changes to ${path}: the next Talos version or schematic changes the image and ${effect}; add "${path}" to ignoreChanges and upgrade with talosctl upgrade.`,
        );
      }
    },
  };
}

export function proxmoxVmCpuType(level: Level = "mandatory"): ResourceValidationPolicy {
  return {
    name: "proxmox-vm-cpu-type",
    description:
      "Checks that every Proxmox VM uses a CPU type with x86-64-v2 (Proxmox defaults to qemu64, which lacks it and Talos does not boot); set cpu.type to host or x86-64-v2-AES.",
    enforcementLevel: level,
    validateResource: (args, report) => {
      if (args.type !== TYPES.vm) return;
      const type = str(obj(args.props.cpu).type) || "qemu64";
      if (CPU_TYPES_WITHOUT_X86_64_V2.includes(type)) {
        report(
          `Proxmox VM ${str(args.props.name) || args.name} has CPU type ${type}${obj(args.props.cpu).type ? "" : " (Proxmox's default)"}: it lacks x86-64-v2, so Talos halts at boot; set cpu.type to host or x86-64-v2-AES.`,
        );
      }
    },
  };
}

export function talosImageNocloud(level: Level = "mandatory"): ResourceValidationPolicy {
  return {
    name: "talos-image-nocloud",
    description:
      "Checks that Talos images downloaded to Proxmox are the Image Factory's nocloud platform, the one that reads Proxmox's cloud-init drive (the metal image ignores it, so static addresses never apply); download …/nocloud-amd64.qcow2 instead.",
    enforcementLevel: level,
    validateResource: (args, report) => {
      if (args.type !== TYPES.download) return;
      const url = str(args.props.url);
      if (!/factory\.talos\.dev/.test(url)) return;
      if (!/\/nocloud-[a-z0-9]+\./.test(url)) {
        report(
          `Proxmox download ${args.name} fetches ${url}, not the nocloud image: the node ignores the cloud-init drive, comes up without its static address and the guest agent never reports; use the Image Factory's nocloud platform URL.`,
        );
      }
    },
  };
}

export function talosKubeconfigRenewal(level: Level = "advisory"): ResourceValidationPolicy {
  return {
    name: "talos-kubeconfig-renewal",
    description:
      "Checks that the Talos kubeconfig sets certificateRenewalDuration, because its client certificate expires after a year and is renewed only by a pulumi up within that window; set it (e.g. 720h) and run pulumi up at least monthly.",
    enforcementLevel: level,
    validateResource: (args, report) => {
      if (args.type !== TYPES.kubeconfig) return;
      const renewal: unknown = args.props.certificateRenewalDuration;
      if (renewal === undefined || renewal === null || renewal === "") {
        report(
          `Talos kubeconfig ${args.name} sets no certificateRenewalDuration: its client certificate expires a year after creation and the stack then loses access to the cluster; set certificateRenewalDuration (e.g. "720h") so a routine pulumi up renews it.`,
        );
      }
    },
  };
}

export function talosConfigContract(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "talos-config-contract",
    description: `Checks that the Talos machine secrets carry a pinned config contract (e.g. ${PROVIDER_CONFIG_CONTRACT}) no newer than the provider's machinery (${PROVIDER_CONFIG_CONTRACT}) and no newer than the release any node installs; set cluster.talos.configContract once, at creation, and keep it through upgrades.`,
    level,
    check: (resources, report) => {
      eachKnown(ofType(resources, TYPES.talosSecrets), (secrets) => {
        const contract = str(secrets.props.talosVersion);
        const parsed = /^v?\d+\.\d+(\.\d+)?$/.test(contract) ? parseTalosRelease(contract) : undefined;
        if (!parsed) {
          report(
            secrets,
            `Talos secrets ${secrets.name} have talosVersion "${contract}", not a pinned contract: without one the provider takes its own machinery's, which moves with provider upgrades and regenerates every node's config; pin cluster.talos.configContract (e.g. ${PROVIDER_CONFIG_CONTRACT}).`,
          );
          return;
        }
        if (compareMinor(parsed, parseTalosRelease(PROVIDER_CONFIG_CONTRACT)!) > 0) {
          report(
            secrets,
            `Talos secrets ${secrets.name} have contract ${contract}, newer than the provider's Talos machinery ${PROVIDER_CONFIG_CONTRACT}: it cannot generate those configs; keep the contract at most ${PROVIDER_CONFIG_CONTRACT}.`,
          );
        }
        eachKnown(ofType(resources, TYPES.configurationApply), (apply) => {
          const installed = installedRelease(apply);
          const release = installed ? parseTalosRelease(installed) : undefined;
          if (release && compareMinor(release, parsed) < 0) {
            report(
              apply,
              `${apply.name} installs Talos ${installed}, older than the config contract ${contract}: the node rejects a config of a newer contract; upgrade cluster.talos.version to a v${parsed.major}.${parsed.minor}.x release or later first.`,
            );
          }
        });
      });
    },
  });
}

/** Apply modes that never reboot a node on a config change (a needed reboot is staged or refused). */
const NON_REBOOTING_APPLY = new Set(["staged", "staged_if_needing_reboot", "no_reboot"]);

export function talosConfigChangesRebootOneControlPlane(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "talos-config-changes-reboot-one-control-plane",
    description:
      "Checks that a machine-config change can never reboot two control planes at once: every ConfigurationApply uses a mode that stages or refuses a needed reboot (staged_if_needing_reboot), and control-plane applies run one after another (each dependsOn the previous), since the provider falls back to auto where its dry run cannot reach a node.",
    level,
    check: (resources, report) => {
      const nodes = talosNodes(resources);
      const planes = nodes.filter((n) => n.role === "controlplane");
      for (const n of nodes) {
        const mode = str(known(() => n.apply.props.applyMode)) || "auto";
        if (!NON_REBOOTING_APPLY.has(mode)) {
          report(
            n.apply,
            `${n.apply.name} applies with mode ${mode}: a change that needs a reboot reboots the node at once, and parallel applies reboot every control plane together (etcd loses quorum); set applyMode: staged_if_needing_reboot.`,
          );
        }
      }
      if (planes.length < 2) return;
      const unchained = planes.filter((n) => !planes.some((other) => other !== n && dependsOn(n.apply, other.apply)));
      for (const n of unchained.slice(1)) {
        report(
          n.apply,
          `${n.apply.name} (control plane ${n.address}) does not wait for another control plane's apply: with ${unchained.map((u) => u.address).join(", ")} applied in parallel, an auto fallback reboots them together; chain the control-plane applies (dependsOn the previous one).`,
        );
      }
    },
  });
}

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
        if (open.length)
          report(
            node.apply,
            `${what} admits ${open.join(", ")} to the Talos API (${TALOS_API_PORT}): anyone who reaches the node may try its API; admit only the admin subnets.`,
          );
        if (!fw.blocks) continue;
        if (!talosApi?.length) {
          report(
            node.apply,
            `${what} blocks inbound traffic by default and no rule admits the Talos API (${TALOS_API_PORT}): once applied, neither pulumi nor talosctl reaches the node again; add a rule for the admin subnets.`,
          );
          continue;
        }
        if (node.role === "worker") continue;
        const kubeApi = fw.sourcesOf(KUBERNETES_API_PORT, "tcp") ?? [];
        const shut = talosApi.filter((s) => !isWholeInternet(s) && !withinAny(s, kubeApi));
        if (shut.length)
          report(
            node.apply,
            `${what} admits ${shut.join(", ")} to the Talos API but not to the Kubernetes API (${KUBERNETES_API_PORT}): the stack's Kubernetes provider and kubectl from there fail with timeouts; admit the admin subnets to ${KUBERNETES_API_PORT} too.`,
          );
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
      const planes = nodes
        .filter((n) => n.role !== "worker")
        .map((n) => n.address)
        .filter(isIpv4);
      const etcdPort = Number(ETCD_PORTS.split("-")[0]);
      for (const node of nodes) {
        const fw = firewallOf(node.apply);
        if (!fw.blocks) continue;
        const needs: [string, number, "tcp" | "udp", readonly string[]][] = [
          ["the kubelet", KUBELET_PORT, "tcp", all],
          ["Flannel's VXLAN", FLANNEL_VXLAN_PORT, "udp", all],
          ...(node.role === "worker"
            ? []
            : ([
                ["trustd", TRUSTD_PORT, "tcp", all],
                ["the Kubernetes API", KUBERNETES_API_PORT, "tcp", all],
                ["etcd", etcdPort, "tcp", planes],
              ] as [string, number, "tcp" | "udp", readonly string[]][])),
        ];
        for (const [service, port, protocol, peers] of needs) {
          const sources = fw.sourcesOf(port, protocol) ?? [];
          const missing = peers.filter((ip) => ip !== node.address && !sources.some((s) => cidrWithin(ip, s)));
          if (missing.length)
            report(
              node.apply,
              `Talos node ${node.address} (${node.apply.name}) blocks inbound traffic by default and does not admit ${missing.join(", ")} to ${service} (${port}/${protocol}): the cluster breaks between its own nodes; add a NetworkRuleConfig admitting the nodes' addresses.`,
            );
        }
      }
    },
  });
}
