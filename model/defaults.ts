/**
 * Every default the stack config falls back to, in one place: chart and image
 * versions included, so a version bump is a one-line change here (or a per-stack
 * override of the same key). Chart versions, the Talos pod network and the CPU
 * types Talos refuses come from contract, which the pack reads too.
 */
import { PINNED_CHARTS } from "../contract/charts.ts";
import { PROVIDER_CONFIG_CONTRACT, TALOS_DEFAULT_POD_SUBNET } from "../contract/talos.ts";
export const DEFAULTS = {
  talos: {
    /** Newest stable Talos the pulumiverse provider (v0.8.1, Talos 1.13 machinery) supports. */
    version: "v1.13.9",
    /**
     * The contract new stacks start with, and the newest the provider can generate
     * configs for: pulumiverse/talos 0.8.1 builds them with Talos 1.13 machinery.
     */
    configContract: PROVIDER_CONFIG_CONTRACT,
    /** Talos 1.13.9's own Kubernetes default (pkg/machinery/constants DefaultKubernetesVersion): what a new stack pins in cluster.talos.kubernetesVersion. */
    kubernetesDefault: "1.36.3",
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
  backup: {
    /**
     * Sidero's talos-backup, the newest release (v0.1.0-beta.3, 2025-02-10). Tag
     * only: its digest could not be read from ghcr.io where this was written.
     */
    image: "ghcr.io/siderolabs/talos-backup:v0.1.0-beta.3",
    /** Four snapshots a day, off the hour most CronJobs pick. */
    schedule: "30 */6 * * *",
    retentionDays: 30,
    region: "us-east-1",
    accessKeyIdSecret: "etcdBackupAccessKeyId",
    secretAccessKeySecret: "etcdBackupSecretAccessKey",
  },
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
  tunnel: {
    /**
     * cloudflared's release tag on Docker Hub (distroless, non-root 65532);
     * pinned, because the tunnel protocol and flags change between releases.
     */
    image: "cloudflare/cloudflared:2026.5.0",
    replicas: 2,
    namespace: "cloudflared",
    /** cloudflared serves /ready and /metrics here (its --metrics address). */
    metricsPort: 2000,
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

/**
 * Releases the machine configs are validated against (the Talos schemas of
 * these versions) and the rollout is exercised with; a 1.14 node runs the v1.13
 * contract unchanged.
 */
export const TESTED_TALOS = ["v1.13.9", "v1.14.x on contract v1.13"] as const;
export const TESTED_KUBERNETES = ["1.36.3 (Talos 1.13.9's default)"] as const;
