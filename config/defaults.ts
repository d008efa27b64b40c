/**
 * Every default the stack config falls back to, in one place: chart and image
 * versions included, so a version bump is a one-line change here (or a per-stack
 * override of the same key). Chart versions, the Talos pod network and the CPU
 * types Talos refuses come from policies/platform, which the pack reads too.
 */
import { PINNED_CHARTS } from "../policies/platform/charts.ts";
import { CPU_TYPES_WITHOUT_X86_64_V2, TALOS_DEFAULT_POD_SUBNET } from "../policies/platform/talos.ts";
export const DEFAULTS = {
  talos: {
    /** Newest stable Talos the pulumiverse provider (v0.8.1, Talos 1.13 machinery) supports. */
    version: "v1.13.9",
    /** Image Factory extensions baked into the nocloud image. */
    extensions: ["siderolabs/qemu-guest-agent"],
    installDisk: "/dev/vda",
    imageDatastore: "local",
    interface: "eth0",
    podSubnet: TALOS_DEFAULT_POD_SUBNET,
  },
  node: {
    cores: 2,
    sockets: 1,
    /** Talos needs x86-64-v2; Proxmox's default `qemu64` lacks it. */
    cpuType: "host",
    memory: 4096,
    diskDatastore: "local-lvm",
    diskSize: 32,
    diskInterface: "virtio0",
    bridge: "vmbr0",
  },
  nameservers: ["1.1.1.1", "9.9.9.9"],
  charts: PINNED_CHARTS,
  traefik: {
    deploymentReplicas: 2,
    /**
     * Traefik's CRDs come from the chart's own git tag (v<chart version>): the
     * separate traefik-crds chart was deprecated in chart 38.0.2 and removed
     * before 40.1.0 (last release 1.18.0, older than chart 41's CRDs).
     */
    crdsSource: "https://raw.githubusercontent.com/traefik/traefik-helm-chart",
    resources: {
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { memory: "256Mi" },
    },
  },
  certManager: {
    issuers: {
      "letsencrypt-staging": { environment: "staging" },
      "letsencrypt-production": { environment: "production" },
    },
    defaultIssuer: "letsencrypt-production",
    recursiveNameservers: ["1.1.1.1:53", "9.9.9.9:53"],
  },
  dns: {
    proxied: true,
    /** Seconds, for records Cloudflare does not proxy (proxied records are always automatic). */
    ttl: 300,
  },
} as const;

export const LETS_ENCRYPT_SERVERS = {
  staging: "https://acme-staging-v02.api.letsencrypt.org/directory",
  production: "https://acme-v02.api.letsencrypt.org/directory",
} as const;

export { CPU_TYPES_WITHOUT_X86_64_V2 };
