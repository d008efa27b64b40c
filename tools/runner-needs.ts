/**
 * What a CI runner needs for one stack's `pulumi preview` or `pulumi up`, read
 * from the stack's own config at run time, so a stack added or bumped in a
 * pull request is served by the same workflow without editing it: the
 * talosctl release, and the homelab endpoints the runner must reach.
 */
import type { HomelabConfig } from "../model/resolve.ts";
import { KUBERNETES_API_PORT, TALOS_API_PORT } from "../contract/talos.ts";

/**
 * The talosctl release the stack's rolling upgrade needs: exactly the stack's
 * cluster.talos.version. The upgrade commands (scripts/talos-upgrade.ts) drive
 * `talosctl upgrade` to that release and refuse a talosctl older than it
 * before touching a node, so an older client fails `pulumi up` after the
 * machine configs are applied. None for a stack on an existing cluster:
 * nothing there runs talosctl.
 */
export function talosctlRelease(config: HomelabConfig): string | undefined {
  return config.cluster.provider === "talos" ? config.cluster.talos.version : undefined;
}

export interface Endpoint {
  /** What answers there, for the message: "Proxmox VE API (proxmoxve:endpoint)". */
  readonly what: string;
  readonly host: string;
  readonly port: number;
  /**
   * What the runner needs of this kind: `proxmox`, the API itself; `kubernetes`,
   * any one of the cluster's API endpoints; `talos`, nothing yet: the Talos
   * nodes exist only after the first `pulumi up`, and before it the Proxmox API
   * alone proves the runner is inside.
   */
  readonly kind: "proxmox" | "kubernetes" | "talos";
}

function urlEndpoint(what: string, url: string): Endpoint | undefined {
  try {
    const u = new URL(url);
    return { what, host: u.hostname, port: Number(u.port || (u.protocol === "http:" ? 80 : 443)), kind: "proxmox" };
  } catch {
    return undefined;
  }
}

/**
 * The endpoints a preview or an up of this stack talks to from the runner.
 * Talos: the Proxmox VE API (the provider's endpoint, from the stack or
 * PROXMOX_VE_ENDPOINT as the provider itself reads it) and each control
 * plane's Talos API. An existing cluster: its Kubernetes API on the VIP and
 * the control planes the config lists (its kubeconfig is a secret the runner
 * cannot read before Pulumi decrypts it).
 */
export function homelabEndpoints(
  config: HomelabConfig,
  stackValues: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>>,
): Endpoint[] {
  const cluster = config.cluster;
  if (cluster.provider === "talos") {
    const endpoint = stackValues["proxmoxve:endpoint"] ?? env.PROXMOX_VE_ENDPOINT;
    const proxmox = endpoint ? urlEndpoint("Proxmox VE API (proxmoxve:endpoint)", endpoint) : undefined;
    const talos = cluster.nodes
      .filter((n) => n.role === "controlplane")
      .map(
        (n): Endpoint => ({ what: `Talos API of ${n.name} (cluster.nodes.${n.name}.ip)`, host: n.ip, port: TALOS_API_PORT, kind: "talos" }),
      );
    return [...(proxmox ? [proxmox] : []), ...talos];
  }
  const vip: Endpoint[] = cluster.network.vip
    ? [
        {
          what: "Kubernetes API on the VIP (cluster.network.vip)",
          host: cluster.network.vip,
          port: KUBERNETES_API_PORT,
          kind: "kubernetes",
        },
      ]
    : [];
  return [
    ...vip,
    ...cluster.nodes
      .filter((n) => n.role === "controlplane")
      .map(
        (n): Endpoint => ({
          what: `Kubernetes API of ${n.name} (cluster.nodes.${n.name}.ip)`,
          host: n.ip,
          port: KUBERNETES_API_PORT,
          kind: "kubernetes",
        }),
      ),
  ];
}

/** One endpoint as tried: `failure` is why no TCP connection opened (the socket error's code), undefined when one did. */
export type Tried = Endpoint & { readonly failure?: string };

export interface ReachVerdict {
  /** One line per endpoint tried. */
  readonly lines: readonly string[];
  /** Why the job must stop: the Proxmox API, or every Kubernetes API endpoint, did not answer. */
  readonly error?: string;
  /** Talos APIs that did not answer: expected before the first up, so reported, not required. */
  readonly warning?: string;
}

/** What the preview and up jobs' first check says of the endpoints it tried (scripts/homelab-reachable.ts). */
export function reachVerdict(stack: string, tried: readonly Tried[]): ReachVerdict {
  const lines = tried.map(
    (r) => `${r.failure ? "unreachable" : "reachable"}: ${r.what} ${r.host}:${r.port}${r.failure ? ` (${r.failure})` : ""}`,
  );
  const kubernetes = tried.filter((r) => r.kind === "kubernetes");
  const missing = [
    ...tried.filter((r) => r.failure && r.kind === "proxmox"),
    ...(kubernetes.length > 0 && kubernetes.every((r) => r.failure) ? kubernetes : []),
  ];
  if (missing.length > 0) {
    return {
      lines,
      error: `${stack}: this runner cannot reach the homelab (${missing.map((r) => `${r.what} ${r.host}:${r.port}: ${r.failure}`).join("; ")}). Pulumi's providers call these from the runner: run the preview and up jobs inside the homelab's network, on a self-hosted runner on the LAN (repository variable PULUMI_RUNS_ON, e.g. ["self-hosted","homelab"]) or on a hosted runner joined through Tailscale (repository variable TAILSCALE_OAUTH_CLIENT_ID, secret TAILSCALE_OAUTH_SECRET); docs/workflows.md, "Workflow set-up".`,
    };
  }
  const talos = tried.filter((r) => r.kind === "talos");
  if (talos.length > 0 && talos.every((r) => r.failure)) {
    return {
      lines,
      warning: `${stack}: no control plane answers on its Talos API. Expected before the first pulumi up creates the VMs; on a running cluster the Talos health check of the preview will fail (are the VMs up, and does cluster.firewall.adminSubnets admit this runner?).`,
    };
  }
  return { lines };
}
