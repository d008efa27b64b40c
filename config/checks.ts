/**
 * Cross-field rules: what Talos, Kubernetes or a chart would only reject at
 * deploy time, caught on the parsed config. Every rule reports on the key the
 * user should edit, names the other key of a conflict, and says what to do.
 * All problems are collected; nothing throws.
 */
import type { ParsedConfig } from "../model/schema.ts";
import { DEFAULTS } from "../model/defaults.ts";
import {
  gatewayApiEnabled,
  isGatewayHttpRoute,
  isGatewayRoute,
  isPassthrough,
  isProxied,
  podNetworkOf,
  traefikPoolName,
  trustsCloudflare,
  type HomelabConfig,
} from "../model/resolve.ts";
import { entryAddresses } from "../builders/traefik-values.ts";
import { originAddresses } from "../builders/dns.ts";
import { solverZones } from "../builders/cert-manager.ts";
import { admitsTraefik, backendSlug } from "../builders/routes.ts";
import { checkEntry, entryWarnings } from "./entry-checks.ts";
import { checkPrivateAndPassthrough, privateWarnings } from "./private-checks.ts";
import { compareMinor, parseTalosRelease } from "../contract/talos-versions.ts";
import { networkPolicyEnforcer } from "../builders/network-policies.ts";
import { hasHostFirewall } from "../builders/talos-patches.ts";
import { TALOS_API_PORT } from "../contract/talos.ts";
import { checkKubernetesPin } from "./day2-checks.ts";
import { gatewayHosts, gatewayListeners, MAX_LISTENERS } from "../builders/gateway.ts";
import { GRPC_PATH, stripsOwnPrefix } from "../builders/http-routes.ts";
import {
  isPublicIpv4,
  addressRange,
  cidrRange,
  firstHost,
  hasHostBits,
  networkOf,
  prefixLength,
  rangeContains,
  rangesOverlap,
  rangeWithin,
  type Ipv4Range,
} from "../contract/net.ts";
import { own } from "../model/own.ts";
import { K8S_LIMITS } from "../model/formats.ts";
import { checkEffects, effectWarnings } from "./effect-checks.ts";

export type KeyPath = readonly (string | number)[];

export interface ConfigIssue {
  readonly path: KeyPath;
  readonly message: string;
}

/** `cluster.nodes.cp1.ip`, `apps.grafana.hosts[0]` */
export function formatPath(path: KeyPath): string {
  return path.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), "");
}

interface Claim {
  readonly path: KeyPath;
  readonly range: Ipv4Range;
  readonly label: string;
}

export function checkConfig(c: ParsedConfig, secretKeys: ReadonlySet<string>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: KeyPath, message: string) => issues.push({ path, message });
  checkCluster(c, secretKeys, add);
  checkAddressClaims(c, add);
  checkPodNetwork(c, add);
  checkTraefik(c, add);
  checkCertManager(c, add);
  checkApps(c, secretKeys, add);
  checkEntry(c, add);
  checkTalosVersions(c, add);
  checkKubernetesPin(c, add);
  checkNetworkPolicyEnforcement(c, add);
  checkEffects(c, add);
  checkPrivateAndPassthrough(c, add);
  return issues;
}

type Add = (path: KeyPath, message: string) => void;

function checkCluster(c: ParsedConfig, secretKeys: ReadonlySet<string>, add: Add): void {
  const cl = c.cluster;
  if (cl.provider === "existing") {
    const key = cl.kubeconfigSecret;
    if (Object.hasOwn(c, key) || !secretKeys.has(key)) {
      add(
        ["cluster", "kubeconfigSecret"],
        `homelab:${key} is not a secret config value; store the cluster's kubeconfig with: pulumi config set --secret homelab:${key} < ~/.kube/config`,
      );
    }
    return;
  }
  const nodes = Object.entries(cl.nodes);
  const controlPlanes = nodes.filter(([, n]) => n.role === "controlplane");
  if (controlPlanes.length === 0) {
    add(["cluster", "nodes"], "needs at least one node with role controlplane; Talos cannot bootstrap etcd without one");
  }
  if (nodes.length > 0 && nodes.every(([, n]) => n.role === "controlplane") && !cl.allowSchedulingOnControlPlanes) {
    add(
      ["cluster", "allowSchedulingOnControlPlanes"],
      "every node is a control plane, so no workload could be scheduled; set it to true (Talos then also lets MetalLB announce from control planes) or add a worker node",
    );
  }
  if (hasHostBits(cl.network.subnet)) {
    add(["cluster", "network", "subnet"], `${cl.network.subnet} has host bits set; did you mean ${networkOf(cl.network.subnet)}?`);
  }
  const subnet = cidrRange(cl.network.subnet);
  const outside = (path: KeyPath, ip: string, what: string) => {
    if (!rangeContains(subnet, ip))
      add(
        path,
        `${what} ${ip} is outside cluster.network.subnet ${cl.network.subnet}; use an address inside the subnet or widen the subnet`,
      );
  };
  if (cl.network.gateway) outside(["cluster", "network", "gateway"], cl.network.gateway, "gateway");
  if (cl.network.vip) outside(["cluster", "network", "vip"], cl.network.vip, "VIP");
  for (const [name, n] of nodes) outside(["cluster", "nodes", name, "ip"], n.ip, "node address");
  checkFirewall(cl, add);

  const firstOwner = new Map<string, string>();
  for (const [name, n] of nodes) {
    const key = `vm:${n.vmId}`;
    const owner = firstOwner.get(key);
    if (owner)
      add(
        ["cluster", "nodes", name, "vmId"],
        `VM id ${n.vmId} is also used by cluster.nodes.${owner}.vmId; Proxmox VM ids are unique across the whole Proxmox cluster`,
      );
    else firstOwner.set(key, name);
    if (n.macAddress) {
      const macKey = `mac:${n.macAddress.toUpperCase()}`;
      const macOwner = firstOwner.get(macKey);
      if (macOwner)
        add(
          ["cluster", "nodes", name, "macAddress"],
          `MAC ${n.macAddress} is also used by cluster.nodes.${macOwner}.macAddress; give each VM its own MAC or leave it unset`,
        );
      else firstOwner.set(macKey, name);
    }
  }
  checkNodeLifecycle(cl, add);
  checkEtcdBackup(c, cl, secretKeys, add);
}

type TalosConfigOf = Extract<ParsedConfig["cluster"], { provider: "talos" }>;

/**
 * Node removal and moves, as far as the config shows them. etcd loses quorum when
 * more than half of its members are gone, and a member leaves only when its node
 * is reset gracefully: one control plane per deploy, never the last, never the
 * node everything else points at.
 */
function checkNodeLifecycle(cl: TalosConfigOf, add: Add): void {
  const nodes = Object.entries(cl.nodes).sort(([a], [b]) => (a < b ? -1 : 1));
  const controlPlanes = nodes.filter(([, n]) => n.role === "controlplane");
  const staying = controlPlanes.filter(([, n]) => !n.retire).map(([name]) => name);
  const retiring = controlPlanes.filter(([, n]) => n.retire);
  const bootstrap = cl.bootstrapNode ?? controlPlanes[0]?.[0];

  if (cl.bootstrapNode && !controlPlanes.some(([name]) => name === cl.bootstrapNode)) {
    add(
      ["cluster", "bootstrapNode"],
      `names no control plane of cluster.nodes; use one of ${controlPlanes.map(([name]) => name).join(", ") || "(none: add a control plane)"}`,
    );
  }
  if (controlPlanes.length > 0 && staying.length === 0) {
    add(
      ["cluster", "nodes"],
      "every control plane is retiring, which would leave etcd without a member and the cluster without its state; add a control plane (and deploy it) before retiring the last one",
    );
  }
  retiring.slice(1).forEach(([name]) => {
    add(
      ["cluster", "nodes", name, "retire"],
      `${retiring[0]![0]} is retiring too, and etcd loses quorum if members leave together; retire one control plane per deploy: remove ${retiring[0]![0]} first, then set retire on this one`,
    );
  });
  for (const [name, n] of retiring) {
    if (n.retire === "forget" && controlPlanes.length < 3) {
      add(
        ["cluster", "nodes", name, "retire"],
        `etcd with ${controlPlanes.length} member${controlPlanes.length === 1 ? "" : "s"} has no quorum once one is dead, and forgetting the member cannot restore it; recover the control plane from an etcd snapshot (README, Operations: recover a lost control plane)`,
      );
    }
    if (name !== bootstrap || staying.length === 0) continue;
    if (!cl.network.vip) {
      add(
        ["cluster", "nodes", name, "retire"],
        `without cluster.network.vip the Kubernetes endpoint is this node's address (${n.ip}), which every node's config points at; keep this node, or rebuild the cluster with a VIP`,
      );
    } else {
      add(
        ["cluster", "nodes", name, "retire"],
        `it is the bootstrap node, which the kubeconfig is fetched from; set cluster.bootstrapNode to a control plane that stays (${staying[0]}) and deploy that first`,
      );
    }
  }

  const hosts = cl.proxmox.hosts;
  if (hosts) {
    for (const [name, n] of nodes) {
      if (!hosts.includes(n.proxmoxNode))
        add(
          ["cluster", "nodes", name, "proxmoxNode"],
          `${n.proxmoxNode} is not in cluster.proxmox.hosts (${hosts.join(", ")}); use one of them, or add the host to that list once it has joined the Proxmox cluster`,
        );
    }
  }
}

/** The backup's S3 credentials must be secret config values: the CronJob reads them from a Kubernetes Secret. */
function checkEtcdBackup(c: ParsedConfig, cl: TalosConfigOf, secretKeys: ReadonlySet<string>, add: Add): void {
  const s3 = cl.backup?.s3;
  if (!s3) return;
  const keys = [
    ["accessKeyIdSecret", s3.accessKeyIdSecret, "the access key id"],
    ["secretAccessKeySecret", s3.secretAccessKeySecret, "the secret access key"],
  ] as const;
  for (const [field, key, what] of keys) {
    if (Object.hasOwn(c, key) || !secretKeys.has(key)) {
      add(
        ["cluster", "backup", "s3", field],
        `homelab:${key} is not a secret config value; store ${what} of the backup bucket with: pulumi config set --secret homelab:${key} <value>`,
      );
    }
  }
  if (s3.accessKeyIdSecret === s3.secretAccessKeySecret) {
    add(
      ["cluster", "backup", "s3", "secretAccessKeySecret"],
      `is the same key as accessKeyIdSecret (homelab:${s3.accessKeyIdSecret}); give the access key id and the secret access key a secret config value each`,
    );
  }
}

type TalosConfig = Extract<ParsedConfig["cluster"], { provider: "talos" }>;

/**
 * `pulumi up` applies each node's configuration through that node's Talos API
 * (:50000) from the machine it runs on. A firewall that does not admit that
 * machine is installed by the last apply that ever succeeds: afterwards
 * neither Pulumi nor talosctl reaches the node, and only its console can undo
 * it. The program cannot see the operator's address behind NAT or a VPN, so
 * it insists on an explicit, non-empty list that is not the whole internet.
 */
function checkFirewall(cl: TalosConfig, add: Add): void {
  const fw = cl.firewall;
  if (!fw.enabled) return;
  if (!hasHostFirewall(cl)) {
    // The patches follow the contract, not the installed release, so the contract decides.
    add(
      ["cluster", "firewall", "enabled"],
      `cluster.talos.configContract ${cl.talos.configContract} has no host firewall (NetworkRuleConfig arrived in contract v1.6); turn the firewall off, or raise cluster.talos.configContract to v1.6 or newer (with cluster.talos.allowConfigContractChange: true)`,
    );
  }
  const at: KeyPath = ["cluster", "firewall", "adminSubnets"];
  if (fw.adminSubnets?.length === 0) {
    add(
      at,
      `an empty list admits nobody to the Talos API (${TALOS_API_PORT}): the apply that installs the firewall would be the last that reaches the nodes; list the subnet pulumi up and talosctl run from (e.g. the node subnet ${cl.network.subnet} or your VPN's), or remove adminSubnets to default to the node subnet`,
    );
  }
  fw.adminSubnets?.forEach((subnet, i) => {
    if (prefixLength(subnet) === 0)
      add(
        [...at, i],
        `${subnet} opens the Talos API (${TALOS_API_PORT}) and the Kubernetes API to the whole internet, which is the firewall's whole point to prevent; list the subnets you administer the cluster from`,
      );
  });
}

/** Every address the config hands out, so pools, VIP, gateway and nodes never collide. */
function addressClaims(c: ParsedConfig): Claim[] {
  const claims: Claim[] = [];
  const single = (path: KeyPath, ip: string): Claim => ({ path, range: addressRange(ip), label: `${formatPath(path)} ${ip}` });
  const cl = c.cluster;
  if (cl.provider === "talos") {
    const gateway = cl.network.gateway ?? firstHost(cl.network.subnet);
    claims.push(single(["cluster", "network", "gateway"], gateway));
  }
  if (cl.network.vip) claims.push(single(["cluster", "network", "vip"], cl.network.vip));
  for (const [name, n] of Object.entries(cl.nodes)) claims.push(single(["cluster", "nodes", name, "ip"], n.ip));
  return claims;
}

function checkAddressClaims(c: ParsedConfig, add: Add): void {
  const claims = addressClaims(c);
  for (let i = 0; i < claims.length; i++) {
    for (let j = 0; j < i; j++) {
      if (rangesOverlap(claims[i]!.range, claims[j]!.range)) {
        add(claims[i]!.path, `${claims[i]!.label} is also ${claims[j]!.label}; every node, the VIP and the gateway need their own address`);
      }
    }
  }
  const subnet = c.cluster.network.subnet ? cidrRange(c.cluster.network.subnet) : undefined;
  const pools = poolClaims(c);
  pools.forEach(({ path, range, pool, entry }, i) => {
    if (subnet && !rangeWithin(range, subnet)) {
      add(
        path,
        `${entry} is not inside cluster.network.subnet ${c.cluster.network.subnet}; MetalLB L2 only answers ARP for addresses on the node subnet`,
      );
    }
    for (const claim of claims) {
      if (rangesOverlap(range, claim.range))
        add(path, `metallb.pools.${pool} ${entry} overlaps ${claim.label}; move the pool or the address`);
    }
    for (const other of pools.slice(0, i)) {
      if (rangesOverlap(range, other.range))
        add(path, `metallb.pools.${pool} ${entry} overlaps ${other.label}; pools must not share addresses`);
    }
  });
}

/** Every MetalLB pool entry, labelled by its key path and value. */
function poolClaims(c: ParsedConfig): (Claim & { readonly pool: string; readonly entry: string })[] {
  return Object.entries(c.metallb.pools).flatMap(([pool, p]) =>
    p.addresses.map((entry, i) => {
      const path = ["metallb", "pools", pool, "addresses", i];
      return { path, range: addressRange(entry), label: `${formatPath(path)} ${entry}`, pool, entry };
    }),
  );
}

/** Apps whose namespace gets the allow-traefik NetworkPolicy for them (every in-cluster app that does not opt out), sorted. */
function appsWithNetworkPolicy(c: ParsedConfig): string[] {
  return Object.entries(c.apps)
    .filter(([, a]) => admitsTraefik(a))
    .map(([name]) => name)
    .sort();
}

/**
 * A host-network Traefik reaches pods on other nodes from the CNI's tunnel
 * address, which lies in the pod network, so the allow-traefik NetworkPolicies
 * must admit that network and the config must know it. Pod and node addresses
 * must not overlap: pod routes would shadow the nodes, the VIP or MetalLB's
 * addresses, and the policies would admit those as if they were pod traffic.
 */
function checkPodNetwork(c: ParsedConfig, add: Add): void {
  const cl = c.cluster;
  const policyApps = appsWithNetworkPolicy(c);
  const placement = c.traefik.placement;
  if (cl.provider === "talos") {
    const pods = DEFAULTS.talos.podSubnet;
    if (rangesOverlap(cidrRange(cl.network.subnet), cidrRange(pods))) {
      add(
        ["cluster", "network", "subnet"],
        `${cl.network.subnet} overlaps ${pods}, the pod network Talos gives pods (its default, which this stack keeps): pod routes would shadow node addresses; use a node subnet outside ${pods}`,
      );
    }
    return;
  }
  const at: KeyPath = ["cluster", "network", "podSubnet"];
  if (placement === "controlplane" && policyApps.length > 0 && !Object.values(cl.nodes).some((n) => n.role === "controlplane")) {
    add(
      ["cluster", "nodes"],
      `placement controlplane: the allow-traefik NetworkPolicies (for apps ${policyApps.join(", ")}) admit Traefik by the addresses of the control planes it runs on; list the cluster's control-plane nodes (role: controlplane, ip)`,
    );
  }
  const pods = cl.network.podSubnet;
  if (!pods) {
    if (placement !== "deployment" && policyApps.length > 0) {
      add(
        at,
        `placement ${placement} runs Traefik on the host network, and its connections to pods on other nodes come from the CNI's tunnel address inside the pod network (10.42.x.0 with k3s' flannel), which the allow-traefik NetworkPolicies (for apps ${policyApps.join(", ")}) must admit; set cluster.network.podSubnet to your CNI's pod CIDR, e.g. 10.42.0.0/16 on k3s`,
      );
    }
    return;
  }
  if (hasHostBits(pods)) add(at, `${pods} has host bits set; did you mean ${networkOf(pods)}?`);
  const range = cidrRange(pods);
  const conflicts: string[] = [];
  if (cl.network.subnet && rangesOverlap(range, cidrRange(cl.network.subnet))) {
    conflicts.push(`cluster.network.subnet ${cl.network.subnet}`);
  } else {
    for (const claim of [...addressClaims(c), ...poolClaims(c)]) if (rangesOverlap(range, claim.range)) conflicts.push(claim.label);
  }
  if (conflicts.length > 0) {
    add(
      at,
      `${pods} overlaps ${conflicts.join(", ")}: pods and the node network cannot share addresses; set it to your CNI's pod CIDR (kubectl get nodes -o jsonpath='{.items[*].spec.podCIDR}' lists each node's share of it)`,
    );
  }
}

/** Why the cluster enforces no NetworkPolicy, and how to make it, for messages. */
function missingEnforcement(c: ParsedConfig): string | undefined {
  if (networkPolicyEnforcer(c.cluster)) return undefined;
  return c.cluster.provider === "talos"
    ? `cluster.talos.configContract ${c.cluster.talos.configContract} runs Flannel without kube-network-policies (contract v1.13 deploys it beside Flannel on request), so no NetworkPolicy is enforced`
    : "cluster.enforcesNetworkPolicies is false, so the cluster enforces no NetworkPolicy";
}

/**
 * Default deny on a CNI that ignores NetworkPolicies denies nothing, while the
 * config reads as if the namespace were isolated.
 */
function checkNetworkPolicyEnforcement(c: ParsedConfig, add: Add): void {
  const missing = missingEnforcement(c);
  if (!missing) return;
  const fix =
    c.cluster.provider === "talos"
      ? "remove defaultDeny, or raise cluster.talos.configContract to v1.13 (with cluster.talos.allowConfigContractChange: true, on Talos v1.13.0 or newer; the stack then turns kube-network-policies on)"
      : "remove defaultDeny, or, if the CNI does enforce NetworkPolicies (k3s' embedded controller, Calico, Cilium), set cluster.enforcesNetworkPolicies: true";
  for (const [name, n] of Object.entries(c.namespaces)) {
    if (n.defaultDeny) add(["namespaces", name, "defaultDeny"], `${missing}: default deny would deny nothing; ${fix}`);
  }
}

function checkTraefik(c: ParsedConfig, add: Add): void {
  const t = c.traefik;
  if (t.placement === "deployment") {
    if (t.replicas !== undefined && t.replicas < 2) {
      add(
        ["traefik", "replicas"],
        `${t.replicas} replica cannot roll without downtime and its PodDisruptionBudget would block node drains; use at least 2, or placement controlplane for a single replica`,
      );
    }
    if (c.metallb.enabled === false) {
      add(
        ["metallb", "enabled"],
        "placement deployment needs MetalLB for its LoadBalancer IP; remove metallb.enabled: false or choose placement daemonset/controlplane",
      );
    }
    const poolName = traefikPoolName(c);
    if (t.pool && !own(c.metallb.pools, t.pool)) {
      add(
        ["traefik", "pool"],
        `pool ${t.pool} is not defined; define metallb.pools.${t.pool} or use one of: ${Object.keys(c.metallb.pools).join(", ") || "(no pools)"}`,
      );
    } else if (!poolName) {
      add(
        ["metallb", "pools"],
        "placement deployment needs a MetalLB address pool for Traefik's LoadBalancer IP; add one, e.g. metallb.pools.default.addresses: [10.0.10.240/28]",
      );
    } else if (t.loadBalancerIP) {
      const pool = own(c.metallb.pools, poolName)!;
      if (!pool.addresses.some((e) => rangeContains(addressRange(e), t.loadBalancerIP!))) {
        add(
          ["traefik", "loadBalancerIP"],
          `${t.loadBalancerIP} is not in metallb.pools.${poolName} (${pool.addresses.join(", ")}); MetalLB would never assign it; pick an address from the pool`,
        );
      }
    }
  } else {
    if (t.replicas !== undefined && t.placement === "controlplane") {
      add(
        ["traefik", "replicas"],
        `placement controlplane runs one Traefik on each control plane, so whichever holds the VIP answers; remove replicas (got ${t.replicas}) or use placement deployment`,
      );
    }
    if (t.replicas !== undefined && t.placement === "daemonset") {
      add(["traefik", "replicas"], `placement daemonset runs one Traefik per node; remove replicas (got ${t.replicas})`);
    }
    if (t.loadBalancerIP)
      add(
        ["traefik", "loadBalancerIP"],
        `placement ${t.placement} uses host networking and no LoadBalancer Service; remove loadBalancerIP or use placement deployment`,
      );
    if (t.pool) add(["traefik", "pool"], `placement ${t.placement} takes no MetalLB pool; remove traefik.pool or use placement deployment`);
  }
  if (t.placement === "controlplane" && !c.cluster.network.vip) {
    add(
      ["cluster", "network", "vip"],
      "placement controlplane sends traffic to the Talos VIP; set cluster.network.vip to a free address in the node subnet",
    );
  }
  if (t.placement === "daemonset" && Object.keys(c.cluster.nodes).length === 0) {
    add(["cluster", "nodes"], "placement daemonset points DNS at every node's address; list the cluster's nodes (name, role, ip)");
  }
  if (t.acme.enabled) {
    // One pod only, counted as the policy pack counts it (traefik-acme-single-replica):
    // a controlplane DaemonSet runs on each listed control plane, a daemonset on every node.
    const controlPlanes = Object.values(c.cluster.nodes).filter((n) => n.role === "controlplane").length;
    const pods =
      t.placement === "deployment"
        ? (t.replicas ?? DEFAULTS.traefik.deploymentReplicas)
        : t.placement === "controlplane"
          ? controlPlanes
          : undefined;
    if (pods !== 1) {
      const sharers =
        t.placement === "daemonset"
          ? "DaemonSet pods"
          : t.placement === "controlplane"
            ? `the Traefik pods of ${controlPlanes || "an unlisted number of"} control planes`
            : `${pods} replicas`;
      add(
        ["traefik", "acme", "enabled"],
        `Traefik's ACME storage cannot be shared between ${sharers}; leave acme disabled (cert-manager issues certificates) or run exactly one Traefik pod (placement controlplane with one control plane listed)`,
      );
    }
    if (!t.acme.email) add(["traefik", "acme", "email"], "Traefik's ACME resolver needs an account e-mail; set traefik.acme.email");
  }
  if (t.proxyProtocol && !trustsCloudflare(c)) {
    add(
      ["traefik", "proxyProtocol"],
      "PROXY protocol is trusted only from Cloudflare's ranges; enable traefik.trustCloudflare (or dns.proxied) or turn proxyProtocol off",
    );
  }
}

function checkCertManager(c: ParsedConfig, add: Add): void {
  const cm = c.certManager;
  if (!own(cm.issuers, cm.defaultIssuer)) {
    add(
      ["certManager", "defaultIssuer"],
      `issuer ${cm.defaultIssuer} is not defined; use one of: ${Object.keys(cm.issuers).join(", ") || "(none)"} or add certManager.issuers.${cm.defaultIssuer}`,
    );
  }
  for (const [name, issuer] of Object.entries(cm.issuers)) {
    issuer.dnsZones?.forEach((zone, i) => {
      if (!inZone(zone, c.dns.zone))
        add(
          ["certManager", "issuers", name, "dnsZones", i],
          `${zone} is not dns.zone ${c.dns.zone} or a subdomain of it; the Cloudflare token can only answer DNS-01 for the configured zone`,
        );
    });
  }
}

function inZone(host: string, zone: string): boolean {
  return host === zone || host.endsWith(`.${zone}`);
}

function checkApps(c: ParsedConfig, secretKeys: ReadonlySet<string>, add: Add): void {
  const routes = new Map<string, string>();
  const topLevelKeys = new Set(Object.keys(c));
  // Sorted, so which of two conflicting apps gets the error never depends on file order.
  for (const [name, app] of Object.entries(c.apps).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const at = (...rest: (string | number)[]) => ["apps", name, ...rest];
    const issuerName = app.issuer ?? c.certManager.defaultIssuer;
    const issuer = own(c.certManager.issuers, issuerName);
    app.hosts.forEach((host, i) => {
      if (!inZone(host, c.dns.zone)) add(at("hosts", i), `${host} is outside dns.zone ${c.dns.zone}; use a host ending in .${c.dns.zone}`);
      else if (issuer && !solverZones(issuer, c.dns.zone).some((z) => inZone(host, z))) {
        add(
          at("hosts", i),
          `${host} is outside the zones issuer ${issuerName} solves DNS-01 for (${solverZones(issuer, c.dns.zone).join(", ")}), so its certificate is never issued; add the zone to certManager.issuers.${issuerName}.dnsZones or use another issuer`,
        );
      }
      const hostIndex = app.hosts.indexOf(host);
      if (hostIndex !== i) add(at("hosts", i), `${host} is listed twice (also apps.${name}.hosts[${hostIndex}]); remove one`);
    });
    const seenPaths = new Map<string, number>();
    app.backends.forEach((b, i) => {
      const earlier = seenPaths.get(b.path);
      if (earlier !== undefined)
        add(
          at("backends", i, "path"),
          `path ${b.path} is also apps.${name}.backends[${earlier}].path; each path of an app goes to one backend`,
        );
      else seenPaths.set(b.path, i);
      // Keyed like the policy pack's route-host-path-unique: an Exact and a Prefix route on one path coexist (builders/routes.ts routePriority).
      for (const host of new Set(app.hosts)) {
        const key = `${host}${b.path} (${b.pathType})`;
        const owner = routes.get(key);
        if (owner && owner !== name)
          add(at("backends", i, "path"), `route ${key} is also claimed by apps.${owner}; give one of them another host or path`);
        else routes.set(key, name);
      }
    });
    if (app.issuer && !own(c.certManager.issuers, app.issuer)) {
      add(
        at("issuer"),
        `issuer ${app.issuer} is not defined; use one of: ${Object.keys(c.certManager.issuers).join(", ")} or add certManager.issuers.${app.issuer}`,
      );
    }
    if (app.kind === "external" && !app.external) {
      add(at("external"), "kind external needs external.addresses or external.externalName and external.port");
    }
    if (app.external) {
      if (app.kind === "ingress" || app.kind === "ingressRoute")
        add(
          at("external"),
          `only kinds external, httpRoute and grpcRoute take an external block (kind is ${app.kind}); set kind: external or remove it`,
        );
      const hasAddresses = (app.external.addresses?.length ?? 0) > 0;
      if (hasAddresses === Boolean(app.external.externalName))
        add(at("external"), "set exactly one of external.addresses (IPs) or external.externalName (a DNS name)");
    }
    const proxied = isProxied(app, c.dns);
    const allow = app.middlewares?.ipAllowList;
    if (allow?.cloudflare && !proxied) {
      add(
        at("middlewares", "ipAllowList", "cloudflare"),
        "allowing only Cloudflare's ranges on an unproxied host blocks every visitor; set proxied: true or drop cloudflare from the allow-list",
      );
    }
    if (allow && !allow.cloudflare && allow.ranges.length === 0) {
      add(at("middlewares", "ipAllowList"), "an empty allow-list blocks everyone; add ranges or cloudflare: true");
    }
    const usersSecret = app.middlewares?.basicAuth?.usersSecret;
    if (usersSecret) {
      if (topLevelKeys.has(usersSecret) || !secretKeys.has(usersSecret)) {
        add(
          at("middlewares", "basicAuth", "usersSecret"),
          `homelab:${usersSecret} is not a secret config value; set it with: pulumi config set --secret homelab:${usersSecret} 'user:$apr1$…' (htpasswd lines)`,
        );
      }
    }
    if (app.sticky && app.sticky.sameSite === "none" && !app.sticky.secure) {
      add(at("sticky", "secure"), "browsers drop SameSite=None cookies that are not Secure; set secure: true or another sameSite");
    }
    checkAppRoute(c, name, app, add);
  }
  checkIngressNames(c, add);
  checkGatewayHosts(c, add);
}

type AppConfigOf = ParsedConfig["apps"][string];

/** Rules of the route manifests builders/routes.ts renders from an app. */
function checkAppRoute(c: ParsedConfig, name: string, app: AppConfigOf, add: Add): void {
  const at = (...rest: (string | number)[]) => ["apps", name, ...rest];
  if (app.sticky && app.kind === "ingress") {
    add(
      at("sticky"),
      "Traefik reads an Ingress's sticky cookie from annotations on the app's Service, which this stack does not own; set kind: ingressRoute (the cookie is set on the route) or drop sticky",
    );
  }
  const ext = app.external;
  if (ext) {
    const service = app.backends[0]!.service;
    app.backends.forEach((b, i) => {
      if (b.service !== service)
        add(
          at("backends", i, "service"),
          `an external app routes to the one Service this stack creates, ${service} (apps.${name}.backends[0].service); use ${service} here too`,
        );
      if (b.port !== ext.port)
        add(
          at("backends", i, "port"),
          `the Service this stack creates for apps.${name} listens on external.port ${ext.port}; use port ${ext.port}`,
        );
    });
    if (ext.insecureSkipVerify && ext.scheme !== "https")
      add(
        at("external", "insecureSkipVerify"),
        "only an https backend has a certificate to verify; set scheme: https or remove insecureSkipVerify",
      );
  }
  const cors = app.middlewares?.cors;
  if (cors?.credentials && cors.origins.includes("*")) {
    add(
      at("middlewares", "cors", "origins"),
      "browsers reject credentialed CORS responses for the origin *; list the allowed origins or set credentials: false",
    );
  }
  const namespace = own(c.namespaces, app.namespace);
  if (namespace?.defaultDeny && !app.networkPolicy && !app.external) {
    add(
      at("networkPolicy"),
      `namespaces.${app.namespace}.defaultDeny blocks Traefik from the app's pods unless the namespace's allow-traefik policy admits it, which networkPolicy: false opts out of; remove networkPolicy: false or turn defaultDeny off`,
    );
  }
  if (isGatewayHttpRoute(app)) checkGatewayRoute(c, name, app, add);
}

/** The HTTP methods a Gateway API CORS filter can allow (its CRD's enum). */
const CORS_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH", "*"]);
/** A CORS origin as the Gateway API CRD accepts it: `*` or scheme://host[:port]. */
const CORS_ORIGIN = /^\*$|^https?:\/\/((\*\.)?([a-zA-Z0-9-]+\.)*[a-zA-Z0-9-]+|\*)(:[0-9]{1,5})?$/;

/** What a Gateway API route can express, and what Traefik's Gateway provider and cert-manager's gateway-shim need. */
function checkGatewayRoute(c: ParsedConfig, name: string, app: AppConfigOf, add: Add): void {
  const at = (...rest: (string | number)[]) => ["apps", name, ...rest];
  const grpc = app.kind === "grpcRoute";
  if (c.traefik.gatewayApi.enabled === false) {
    add(
      at("kind"),
      `kind ${app.kind} attaches to the Gateway, which traefik.gatewayApi.enabled: false turns off; remove that setting or use kind ingress`,
    );
  }
  if (app.issuer && app.issuer !== c.certManager.defaultIssuer) {
    add(
      at("issuer"),
      `the Gateway's certificates come from cert-manager's gateway-shim, which takes one issuer per Gateway: certManager.defaultIssuer (${c.certManager.defaultIssuer}); remove issuer, make ${app.issuer} the default issuer, or use kind ingress`,
    );
  }
  if (app.sticky) {
    add(
      at("sticky"),
      "Gateway API v1.5.1's standard channel has no session persistence (sessionPersistence is experimental) and Traefik's Gateway provider reads no sticky cookie; use kind ingressRoute or drop sticky",
    );
  }
  app.backends.forEach((b, i) => {
    if (b.path.length > K8S_LIMITS.gatewayPath)
      add(
        at("backends", i, "path"),
        `Gateway API takes a path match of at most ${K8S_LIMITS.gatewayPath} characters (this one has ${b.path.length}); shorten it`,
      );
    if (typeof b.port !== "number")
      add(at("backends", i, "port"), `Gateway API backendRefs name a Service port by number, not by name (${b.port}); use the port number`);
    if (grpc && !GRPC_PATH.test(b.path))
      add(
        at("backends", i, "path"),
        `a GRPCRoute matches gRPC services and methods, not URL paths: use /, /<package.Service> or /<package.Service>/<Method> (${b.path} is none of them)`,
      );
    if (grpc && !app.external && (b.protocol ?? "http") === "http") {
      add(
        at("backends", i, "protocol"),
        "a GRPCRoute speaks HTTP/2 to its backend, which a plain-HTTP (HTTP/1.1) Service port does not; set protocol: h2c (with appProtocol: kubernetes.io/h2c on the Service port) or https, or use kind httpRoute",
      );
    }
  });
  const ext = app.external;
  if (ext?.externalName)
    add(
      at("external", "externalName"),
      "Gateway API routes reach an external service through the EndpointSlice this stack owns, so they need its addresses; set external.addresses or use kind external",
    );
  if (ext?.scheme === "https")
    add(
      at("external", "scheme"),
      "an https backend of a Gateway API route needs a BackendTLSPolicy with the CA to verify it, which this stack does not build; use kind external (Ingress) for https services",
    );
  if (grpc && ext?.scheme === "http")
    add(
      at("external", "scheme"),
      "a GRPCRoute speaks HTTP/2 to its backend; set scheme: h2c for a cleartext gRPC server, or use kind httpRoute",
    );
  const m = app.middlewares;
  if (!m) return;
  if (grpc) {
    for (const key of ["stripPrefix", "cors", "redirect"] as const) {
      if (m[key])
        add(
          at("middlewares", key),
          `GRPCRoute has no filter for ${key} (its filters are header modifiers, request mirror and ExtensionRef, and a gRPC path is a method name); remove it or use kind httpRoute`,
        );
    }
    return;
  }
  m.stripPrefix?.forEach((prefix, i) => {
    if (!app.backends.some((b) => b.path === prefix && stripsOwnPrefix(app, b))) {
      add(
        at("middlewares", "stripPrefix", i),
        `Gateway API's URLRewrite replaces only the prefix a rule matched, and no Prefix backend has path ${prefix}; strip a backend's own path, or use kind ingress`,
      );
    }
  });
  m.cors?.origins.forEach((origin, i) => {
    if (!CORS_ORIGIN.test(origin))
      add(at("middlewares", "cors", "origins", i), `Gateway API's CORS filter takes * or an origin scheme://host[:port], not ${origin}`);
  });
  m.cors?.methods.forEach((method, i) => {
    if (!CORS_METHODS.has(method))
      add(
        at("middlewares", "cors", "methods", i),
        `Gateway API's CORS filter allows the methods ${[...CORS_METHODS].join(", ")}, not ${method}`,
      );
  });
}

/**
 * The Gateway's listeners cover every host of its routes by construction, up
 * to the 64 listeners a Gateway holds; and a host is served by one route
 * kind: Traefik ranks a Gateway route and an Ingress on one host by
 * unrelated priorities, and Gateway API never merges an HTTPRoute with a
 * GRPCRoute on a hostname.
 */
function checkGatewayHosts(c: ParsedConfig, add: Add): void {
  if (!gatewayApiEnabled(c)) return;
  const apps = Object.entries(c.apps).map(([name, a]) => ({ name, ...a }));
  const listeners = gatewayListeners(c.traefik.gatewayApi, c.dns.zone, gatewayHosts(apps));
  if (listeners.length > MAX_LISTENERS) {
    add(
      ["traefik", "gatewayApi", "listeners"],
      `the Gateway would need ${listeners.length} HTTPS listeners for its hosts, and holds at most ${MAX_LISTENERS}, so the rest would have no listener; set listeners: wildcard`,
    );
  }
  const kindOfHost = new Map<string, { name: string; kind: string }>();
  // Passthrough hosts belong to one app whatever the kinds (private-checks.ts).
  for (const app of apps.filter((a) => !isPassthrough(a)).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const group = isGatewayRoute(app) ? app.kind : "ingress";
    app.hosts.forEach((host, i) => {
      const owner = kindOfHost.get(host);
      if (owner && owner.kind !== group && (isGatewayRoute(app) || owner.kind !== "ingress")) {
        add(
          ["apps", app.name, "hosts", i],
          `${host} is also a host of apps.${owner.name}, which is routed as ${owner.kind === "ingress" ? "an Ingress or IngressRoute" : `a ${owner.kind}`}: one host takes one route kind (Traefik does not rank an Ingress against a Gateway route, and Gateway API never merges HTTPRoutes with GRPCRoutes); give both apps the same kind or different hosts`,
        );
      } else if (!owner) kindOfHost.set(host, { name: app.name, kind: group });
    });
  }
}

/**
 * Ingresses are named <app>-<path slug>, so `/api/` and `/api`, or app `a` with
 * `/b` and app `a-b` with `/`, would claim one name in a namespace.
 */
function checkIngressNames(c: ParsedConfig, add: Add): void {
  const owners = new Map<string, string>();
  for (const [name, app] of Object.entries(c.apps)) {
    if (app.kind === "ingressRoute" || isGatewayRoute(app) || isPassthrough(app)) continue;
    app.backends.forEach((b, i) => {
      const ingress = `${name}-${backendSlug(b.path)}`;
      if (ingress.length > K8S_LIMITS.subdomain) {
        add(
          ["apps", name, "backends", i, "path"],
          `its Ingress would be named ${ingress.slice(0, 40)}… (the app's name and the path, ${ingress.length} characters), and Kubernetes names are at most ${K8S_LIMITS.subdomain}; shorten the path or the app's name`,
        );
      }
      const key = `${app.namespace}/${ingress}`;
      const owner = owners.get(key);
      if (owner)
        add(
          ["apps", name, "backends", i, "path"],
          `its Ingress would be named ${key.split("/")[1]} like the one of ${owner}; change one of the paths`,
        );
      else owners.set(key, `apps.${name}.backends[${i}].path`);
    });
  }
}

/**
 * Rules that need derived values (Traefik's entry addresses), checked on the
 * resolved config: a proxied host whose origin is private is unreachable for
 * Cloudflare's edge, which only shows up as error 1002/522 after deploy.
 */
/**
 * What a config can know about versions: not the nodes' installed release (the
 * rollout checks that against what each node reports), but how the installed
 * release relates to the pinned contract and what the provider can generate.
 */
function checkTalosVersions(c: ParsedConfig, add: Add): void {
  const cl = c.cluster;
  if (cl.provider !== "talos") return;
  const release = parseTalosRelease(cl.talos.version);
  const contract = parseTalosRelease(cl.talos.configContract);
  const machinery = parseTalosRelease(DEFAULTS.talos.configContract);
  if (!release || !contract || !machinery) return;
  if (compareMinor(contract, machinery) > 0) {
    add(
      ["cluster", "talos", "configContract"],
      `${cl.talos.configContract} is newer than the provider's Talos machinery (${DEFAULTS.talos.configContract}): it cannot generate configs for it; keep the contract the cluster was created with (at most ${DEFAULTS.talos.configContract})`,
    );
  }
  if (compareMinor(release, contract) < 0) {
    add(
      ["cluster", "talos", "version"],
      `${cl.talos.version} is older than cluster.talos.configContract ${cl.talos.configContract}: a node cannot run a config contract newer than its Talos; use a v${contract.major}.${contract.minor}.x release or later (Talos is never downgraded by this stack)`,
    );
  }
}

export function checkResolved(c: HomelabConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const proxied = c.apps.filter((a) => a.proxied).map((a) => a.name);
  // Through a tunnel Cloudflare reaches Traefik from inside the cluster: no origin address is published.
  if (proxied.length === 0 || c.tunnel) return issues;
  // A set public address is public: the schema refuses private ones.
  if (c.dns.publicAddress) return issues;
  const origins = originAddresses(true, entryAddresses(c.traefik, c.cluster), c.dns);
  const privateOrigins = origins.filter((ip) => !isPublicIpv4(ip));
  if (privateOrigins.length > 0) {
    issues.push({
      path: ["dns", "publicAddress"],
      message: `proxied apps (${proxied.join(", ")}) would point Cloudflare at the private entry address ${privateOrigins.join(", ")}, which its edge cannot reach; set dns.publicAddress to the public IPv4 that forwards :80/:443 to ${privateOrigins.join(", ")}, or set proxied: false (dns.proxied for all apps)`,
    });
  }
  return issues;
}

/** Problems worth a reviewer's attention that do not stop a deploy. */
export function configWarnings(c: ParsedConfig): ConfigIssue[] {
  const warnings: ConfigIssue[] = [];
  if (c.cluster.provider === "talos") {
    const cps = Object.values(c.cluster.nodes).filter((n) => n.role === "controlplane").length;
    if (cps > 1 && cps % 2 === 0) {
      warnings.push({
        path: ["cluster", "nodes"],
        message: `${cps} control planes: etcd quorum tolerates no more failures than ${cps - 1} would; an odd number is recommended`,
      });
    }
  }
  const policyApps = appsWithNetworkPolicy(c);
  const missing = missingEnforcement(c);
  if (missing && policyApps.length > 0) {
    warnings.push({
      path: ["apps"],
      message: `${missing}: the allow-traefik NetworkPolicies of apps ${policyApps.join(", ")} are not registered, and every pod the cluster runs can reach their pods`,
    });
  }
  if (c.traefik.placement !== "deployment") {
    for (const [ns, n] of Object.entries(c.namespaces)) {
      const apps = policyApps.filter((name) => own(c.apps, name)!.namespace === ns);
      if (!n.defaultDeny || apps.length === 0) continue;
      warnings.push({
        path: ["namespaces", ns, "defaultDeny"],
        message: `Traefik uses the host network (placement ${c.traefik.placement}), so the namespace's allow-traefik NetworkPolicy (for ${apps.join(", ")}) admits the node addresses and the whole pod network ${podNetworkOf(c.cluster) ?? "(cluster.network.podSubnet)"}: default deny still keeps out traffic from outside the cluster, but not from the cluster's other pods; use placement deployment to admit Traefik's pods alone`,
      });
    }
  }
  // The allow-traefik policy selects every pod of its namespace, so an opt-out
  // beside an app that keeps it leaves Traefik admitted all the same.
  for (const [name, app] of Object.entries(c.apps).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (app.networkPolicy || app.external) continue;
    const sharers = policyApps.filter((other) => own(c.apps, other)!.namespace === app.namespace);
    if (sharers.length === 0) continue;
    warnings.push({
      path: ["apps", name, "networkPolicy"],
      message: `namespace ${app.namespace} keeps its allow-traefik NetworkPolicy for ${sharers.join(", ")}, and it admits Traefik to every pod there, this app's too, so networkPolicy: false changes nothing; set networkPolicy: false on ${sharers.join(", ")} as well, or move the app to a namespace of its own`,
    });
  }
  const trust = trustsCloudflare(c);
  for (const [name, app] of Object.entries(c.apps)) {
    if (isProxied(app, c.dns) && !trust && !c.tunnel.enabled) {
      warnings.push({
        path: ["apps", name, "proxied"],
        message: "proxied through Cloudflare while traefik.trustCloudflare is false: the app sees Cloudflare's address as the client IP",
      });
    }
    const allow = app.middlewares?.ipAllowList;
    if (allow && !allow.cloudflare && isProxied(app, c.dns)) {
      warnings.push({
        path: ["apps", name, "middlewares", "ipAllowList", "ranges"],
        message:
          "the allow-list matches the connecting address, which for a proxied host is Cloudflare's edge: only clients reaching Traefik directly (split-horizon DNS) get in; add cloudflare: true or set proxied: false",
      });
    }
  }
  warnings.push(...entryWarnings(c), ...effectWarnings(c), ...privateWarnings(c));
  return warnings;
}
