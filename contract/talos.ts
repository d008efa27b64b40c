/** Talos and Proxmox facts the config and the pack's rules share. */

/**
 * Talos' own default pod network (machine config cluster.network.podSubnets),
 * which the program does not change; a host-network Traefik's NetworkPolicy
 * peers include it.
 */
export const TALOS_DEFAULT_POD_SUBNET = "10.244.0.0/16";

/** Proxmox CPU models without x86-64-v2 (SSE4.2, POPCNT), which Talos requires to boot. */
export const CPU_TYPES_WITHOUT_X86_64_V2: readonly string[] = [
  "qemu64",
  "qemu32",
  "kvm64",
  "kvm32",
  "486",
  "pentium",
  "pentium2",
  "pentium3",
  "athlon",
  "phenom",
  "coreduo",
  "core2duo",
  "conroe",
  "penryn",
  "x86-64-v2-AES-disabled",
];

/**
 * The Proxmox tag of a retiring node's VM: shows it in the Proxmox UI, and tells
 * the policy pack that the VM's missing protection is deliberate.
 */
export const RETIRING_TAG = "retiring";

/**
 * The newest Talos config contract the provider can generate configs for
 * (pulumiverse/talos 0.8.1 builds them with Talos 1.13 machinery), and the one new stacks start with.
 */
export const PROVIDER_CONFIG_CONTRACT = "v1.13";

/** The ports a Talos cluster serves between its nodes and to its operator (the host firewall admits them). */
export const TALOS_API_PORT = 50000;
export const TRUSTD_PORT = 50001;
export const KUBELET_PORT = 10250;
export const ETCD_PORTS = "2379-2380";
/** Talos' Flannel runs VXLAN on the IANA port, not the Linux kernel's 8472. */
export const FLANNEL_VXLAN_PORT = 4789;
export const METALLB_MEMBERLIST_PORT = 7946;
export const KUBERNETES_API_PORT = 6443;
