/**
 * Every default the stack config falls back to, in one place: chart and image
 * versions included, so a version bump is a one-line change here (or a per-stack
 * override of the same key).
 */
export const DEFAULTS = {
  talos: {
    /** Newest stable Talos the pulumiverse provider (v0.8.1, Talos 1.13 machinery) supports. */
    version: "v1.13.9",
    /** Image Factory extensions baked into the nocloud image. */
    extensions: ["siderolabs/qemu-guest-agent"],
    installDisk: "/dev/vda",
    imageDatastore: "local",
    interface: "eth0",
    /**
     * Talos' own default pod network (machine config cluster.network.podSubnets),
     * which this stack does not change; a host-network Traefik's NetworkPolicy
     * peers include it.
     */
    podSubnet: "10.244.0.0/16",
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
  charts: {
    traefik: { chart: "traefik", version: "41.3.0", repository: "https://traefik.github.io/charts" },
    metallb: { chart: "metallb", version: "0.16.1", repository: "https://metallb.github.io/metallb" },
    certManager: { chart: "cert-manager", version: "v1.21.1", repository: "https://charts.jetstack.io" },
  },
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
  gatewayApi: {
    /** The standard channel Traefik chart 41.x documents and Traefik 3.7 implements (chart 43 needs v1.7). */
    version: "v1.5.1",
    /** kubernetes-sigs/gateway-api release assets: <source>/<version>/standard-install.yaml. */
    crdsSource: "https://github.com/kubernetes-sigs/gateway-api/releases/download",
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

/** Proxmox CPU models without x86-64-v2 (SSE4.2, POPCNT), which Talos requires to boot. */
export const CPU_TYPES_WITHOUT_X86_64_V2: readonly string[] = ["qemu64", "qemu32", "kvm64", "kvm32", "486", "pentium", "pentium2", "pentium3", "athlon", "phenom", "coreduo", "core2duo", "conroe", "penryn", "x86-64-v2-AES-disabled"];
