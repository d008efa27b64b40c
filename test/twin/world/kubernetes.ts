/**
 * The twin's Kubernetes: objects, served kinds (CRDs), Helm releases and
 * admission webhooks, with the awaits of pulumi-kubernetes and what the
 * platform's controllers write. Sources (pulumi/pulumi-kubernetes v4.32.0, the
 * newest tag stored; the SDK is 4.34.2):
 * - `provider/pkg/await/await.go` (`Creation`): a create is retried only while
 *   the API answers NotFound or NoMatch (a namespace or a CRD still missing);
 *   any other error, such as a webhook's "connection refused", fails the step.
 *   The twin runs steps in dependency order, so a kind or namespace missing
 *   when its object's step runs fails it: the program must order them.
 * - `provider/pkg/await/ingress.go`: an Ingress is awaited (10 min) until
 *   `.status.loadBalancer.ingress` is set, unless annotated
 *   `pulumi.com/skipAwait: "true"`; on timeout the object exists and the step
 *   fails ("was successfully created, but … failed to fully initialize",
 *   provider/pkg/provider/provider.go).
 * - `provider/pkg/await/service.go`: a Service with a selector waits for a Pod
 *   behind it; a LoadBalancer Service for its ingress address.
 * - Helm v3 Release (`provider/pkg/provider/helm_release.go`): waits like
 *   `helm --wait` (workloads ready, a LoadBalancer Service's address) within
 *   `timeout`; `atomic` uninstalls a failed install.
 * What writes an Ingress's status: Traefik v3.7 (traefik/traefik
 * `pkg/provider/kubernetes/ingress/kubernetes.go`, `updateIngressStatus`) only
 * with `ingressEndpoint.publishedService` (copied from that Service's
 * LoadBalancer status) or `ingressEndpoint.ip`/`hostname`; the chart
 * (traefik-helm-chart v41.3.0 `templates/_podtemplate.tpl`) passes the
 * published Service only when `service.enabled`, and `ingressEndpoint.ip` as given.
 * MetalLB v0.16.1 (chart `templates/webhooks.yaml`, `values.yaml`): one
 * ValidatingWebhookConfiguration for its kinds with `failurePolicy:
 * crds.validationFailurePolicy` (default Fail); the controller's readiness is a
 * plain ping and the webhook serves only after its certificate rotation
 * (metallb `internal/k8s/k8s.go`; issues 1597, 2566): the twin lets it serve
 * from the next deployment on. cert-manager v1.21.1's chart runs the
 * `startupapicheck` post-install hook, so its Release completes once its
 * webhook serves.
 */
import type { Props, ResourceModel, StepContext } from "../engine.ts";
import { StepError } from "../engine.ts";
import { advanceTo, type TwinWorld } from "./time.ts";
import { TYPES } from "../../../contract/tokens.ts";

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly annotations?: Record<string, string>;
    readonly labels?: Record<string, string>;
  };
  readonly spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

export interface HelmReleaseState {
  readonly chart: string;
  readonly version: string;
  readonly namespace: string;
  readonly values: Record<string, unknown>;
  /** Pod labels of the workloads the chart runs (what a Service selector can find). */
  readonly podLabels: readonly Record<string, string>[];
}

export interface Webhook {
  readonly name: string;
  /** `group/Kind` of the objects it validates. */
  readonly kinds: readonly string[];
  readonly failurePolicy: "Fail" | "Ignore";
  readonly service: string;
  serving: boolean;
}

export interface KubeWorld {
  /** An existing cluster's API is up from the start; a Talos cluster's once its control plane runs. */
  readonly external: boolean;
  objects: Record<string, KubeObject>;
  /** Kinds served by CRDs, `group/Kind`. */
  crds: string[];
  releases: Record<string, HelmReleaseState>;
  webhooks: Webhook[];
  /** LoadBalancer addresses MetalLB handed out: `namespace/name` → IP. */
  loadBalancerIPs: Record<string, string>;
}

export function emptyKubeWorld(external: boolean): KubeWorld {
  return { external, objects: {}, crds: [], releases: {}, webhooks: [], loadBalancerIPs: {} };
}

/** API groups every API server serves (the kinds the program uses from them). */
const BUILT_IN_GROUPS = new Set([
  "",
  "apps",
  "batch",
  "policy",
  "networking.k8s.io",
  "discovery.k8s.io",
  "rbac.authorization.k8s.io",
  "apiextensions.k8s.io",
  "admissionregistration.k8s.io",
]);
/** The namespaces every cluster starts with. */
const BUILT_IN_NAMESPACES = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);
const CLUSTER_SCOPED = new Set([
  "Namespace",
  "ClusterIssuer",
  "CustomResourceDefinition",
  "GatewayClass",
  "IngressClass",
  "ClusterRole",
  "ClusterRoleBinding",
]);

const groupOf = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.split("/")[0]! : "");
const keyOf = (o: Pick<KubeObject, "kind" | "metadata"> & { apiVersion: string }) =>
  `${groupOf(o.apiVersion)}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;

export function findObject(k: KubeWorld, group: string, kind: string, namespace: string | undefined, name: string): KubeObject | undefined {
  return k.objects[`${group}/${kind}/${namespace ?? ""}/${name}`];
}

const API_UNREACHABLE =
  'configured Kubernetes cluster is unreachable: unable to load schema information from the API server: Get "https://…/openapi/v2": dial tcp: connect: connection refused';

function apiServerUp(world: TwinWorld): boolean {
  if (world.kubernetes.external) return true;
  return world.talos?.apiServerAt !== undefined && world.talos.apiServerAt <= world.clock;
}

/** The checks every create and update passes: the API answers, the kind and namespace exist, admission admits. */
function admit(world: TwinWorld, o: KubeObject): void {
  if (!apiServerUp(world)) throw new StepError(API_UNREACHABLE);
  const k = world.kubernetes;
  const group = groupOf(o.apiVersion);
  if (!BUILT_IN_GROUPS.has(group) && !k.crds.includes(`${group}/${o.kind}`)) {
    throw new StepError(
      `creation of resource ${o.metadata.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata.name} failed because the Kubernetes API server reported that the apiVersion for this resource does not exist. Verify that any required CRDs have been created: no matches for kind "${o.kind}" in version "${o.apiVersion}"`,
    );
  }
  const ns = o.metadata.namespace;
  if (ns && !CLUSTER_SCOPED.has(o.kind) && !BUILT_IN_NAMESPACES.has(ns) && !findObject(k, "", "Namespace", undefined, ns)) {
    throw new StepError(`namespaces "${ns}" not found`);
  }
  for (const hook of k.webhooks) {
    if (!hook.kinds.includes(`${group}/${o.kind}`) || hook.serving || hook.failurePolicy === "Ignore") continue;
    const path = `validate-${group.replaceAll(".", "-")}-${o.apiVersion.split("/")[1]}-${o.kind.toLowerCase()}`;
    throw new StepError(
      `Internal error occurred: failed calling webhook "${o.kind.toLowerCase()}validationwebhook.${group}": failed to call webhook: Post "https://${hook.service}:443/${path}?timeout=10s": dial tcp 10.96.0.10:443: connect: connection refused`,
    );
  }
}

const skipsAwait = (o: KubeObject) => o.metadata.annotations?.["pulumi.com/skipAwait"] === "true";

/** The Ingress status Traefik writes for this class, per its configuration; undefined when it writes none. */
function ingressStatusFor(world: TwinWorld, ingress: KubeObject): { ip: string } | undefined {
  const className = (ingress.spec as { ingressClassName?: string } | undefined)?.ingressClassName;
  for (const release of Object.values(world.kubernetes.releases)) {
    if (release.chart !== "traefik") continue;
    const v = release.values as TraefikValuesView;
    if ((v.ingressClass?.name ?? "traefik") !== (className ?? v.ingressClass?.name ?? "traefik")) continue;
    const ki = v.providers?.kubernetesIngress ?? {};
    const serviceEnabled = v.service?.enabled !== false;
    const published = (ki.publishedService?.enabled ?? true) && serviceEnabled;
    if (published) {
      const ip = world.kubernetes.loadBalancerIPs[`${release.namespace}/traefik`];
      if (ip) return { ip };
    }
    if (ki.ingressEndpoint?.ip) return { ip: ki.ingressEndpoint.ip };
    return undefined;
  }
  return undefined;
}

interface TraefikValuesView {
  ingressClass?: { name?: string };
  service?: { enabled?: boolean; annotations?: Record<string, string>; spec?: { type?: string; loadBalancerIP?: string } };
  providers?: { kubernetesIngress?: { publishedService?: { enabled?: boolean }; ingressEndpoint?: { ip?: string; hostname?: string } } };
  deployment?: { podLabels?: Record<string, string> };
}

const INGRESS_TIMEOUT = 10 * 60;

function awaitReady(world: TwinWorld, o: KubeObject, urn: string): void {
  if (skipsAwait(o)) return;
  if (o.kind === "Ingress") {
    const status = ingressStatusFor(world, o);
    if (!status) {
      advanceTo(world, world.clock + INGRESS_TIMEOUT);
      throw new StepError(
        `resource "${urn}" was successfully created, but the Kubernetes API server reported that it failed to fully initialize or become live: '${o.metadata.name}' timed out waiting to be Ready\n` +
          "    * Ingress .status.loadBalancer field was not updated with a hostname/IP address. \n    for more information about this error, see https://pulumi.io/xdv72s",
        { status: {} },
      );
    }
    o.status = { loadBalancer: { ingress: [status] } };
  }
  if (o.kind === "Service") {
    const spec = (o.spec ?? {}) as { selector?: Record<string, string>; type?: string };
    if (spec.selector && spec.type !== "ExternalName" && !podsMatch(world, o.metadata.namespace ?? "", spec.selector)) {
      advanceTo(world, world.clock + INGRESS_TIMEOUT);
      throw new StepError(
        `resource "${urn}" was successfully created, but the Kubernetes API server reported that it failed to fully initialize or become live: '${o.metadata.name}' timed out waiting to be Ready\n    * Service does not target any Pods. Selected Pods may not be ready, or field '.spec.selector' may not match labels on any Pods`,
        { status: {} },
      );
    }
  }
}

/** Pods with these labels in this namespace: the charts' workloads and the program's Deployments. */
function podsMatch(world: TwinWorld, namespace: string, selector: Record<string, string>): boolean {
  const k = world.kubernetes;
  const candidates = [
    ...Object.values(k.releases)
      .filter((r) => r.namespace === namespace)
      .flatMap((r) => r.podLabels),
    ...Object.values(k.objects)
      .filter((o) => o.kind === "Deployment" && o.metadata.namespace === namespace)
      .map((o) => (o.spec as { template?: { metadata?: { labels?: Record<string, string> } } }).template?.metadata?.labels ?? {}),
  ];
  return candidates.some((labels) => Object.entries(selector).every(([key, value]) => labels[key] === value));
}

/** Any Kubernetes object the program declares (custom resources too): admitted, stored, awaited. */
export const kubernetesObjectModel: ResourceModel<TwinWorld> = objectModel();

function objectModel(): ResourceModel<TwinWorld> {
  const apply = (c: StepContext<TwinWorld>): Props => {
    const o = structuredClone(c.inputs) as unknown as KubeObject;
    admit(c.world, o);
    const key = keyOf(o);
    c.world.kubernetes.objects[key] = o;
    awaitReady(c.world, o, c.urn);
    return { ...(o.status ? { status: o.status } : {}) };
  };
  return {
    create: (c) => ({
      id: `${(c.inputs.metadata as { namespace?: string }).namespace ?? ""}/${(c.inputs.metadata as { name: string }).name}`.replace(
        /^\//,
        "",
      ),
      ...apply(c),
    }),
    update: (c) => {
      const old = c.old!.inputs as unknown as KubeObject;
      delete c.world.kubernetes.objects[keyOf(old)];
      return apply(c);
    },
    delete: (c) => {
      delete c.world.kubernetes.objects[keyOf(c.old!.inputs as unknown as KubeObject)];
    },
  };
}

// ── Helm ────────────────────────────────────────────────────────────────────

const TRAEFIK_CRD_KINDS: Record<string, string> = {
  ingressroutes: "IngressRoute",
  ingressroutetcps: "IngressRouteTCP",
  ingressrouteudps: "IngressRouteUDP",
  middlewares: "Middleware",
  middlewaretcps: "MiddlewareTCP",
  serverstransports: "ServersTransport",
  serverstransporttcps: "ServersTransportTCP",
  tlsoptions: "TLSOption",
  tlsstores: "TLSStore",
  traefikservices: "TraefikService",
};
/** What Gateway API's standard-install.yaml defines (kubernetes-sigs/gateway-api, config/crd/standard). */
const GATEWAY_API_KINDS = [
  "GatewayClass",
  "Gateway",
  "HTTPRoute",
  "GRPCRoute",
  "ReferenceGrant",
  "BackendTLSPolicy",
  "ListenerSet",
  "TLSRoute",
];
const CERT_MANAGER_KINDS = [
  "cert-manager.io/Certificate",
  "cert-manager.io/CertificateRequest",
  "cert-manager.io/Issuer",
  "cert-manager.io/ClusterIssuer",
  "acme.cert-manager.io/Order",
  "acme.cert-manager.io/Challenge",
];
const METALLB_KINDS = [
  "IPAddressPool",
  "L2Advertisement",
  "BGPPeer",
  "BGPAdvertisement",
  "BFDProfile",
  "Community",
  "ServiceL2Status",
  "ServiceBGPStatus",
  "ConfigurationState",
].map((k) => `metallb.io/${k}`);

/** The CRDs a ConfigGroup's files define, by their upstream URLs. */
function crdKindsOfFiles(files: readonly string[]): string[] {
  return files.flatMap((url) => {
    const traefik = /\/(traefik\.io|hub\.traefik\.io)_([a-z]+)\.yaml$/.exec(url);
    if (traefik) return TRAEFIK_CRD_KINDS[traefik[2]!] ? [`${traefik[1]}/${TRAEFIK_CRD_KINDS[traefik[2]!]}`] : [];
    if (/kubernetes-sigs\/gateway-api\/releases\/download\/v[\d.]+\/standard-install\.yaml$/.test(url))
      return GATEWAY_API_KINDS.map((k) => `gateway.networking.k8s.io/${k}`);
    throw new Error(`the twin does not know which kinds ${url} defines`);
  });
}

const addCrds = (k: KubeWorld, kinds: readonly string[]) => {
  k.crds = [...new Set([...k.crds, ...kinds])].sort();
};

interface ReleaseInputs {
  name: string;
  namespace: string;
  chart: string;
  version: string;
  values?: Record<string, unknown>;
  timeout?: number;
  atomic?: boolean;
  skipCrds?: boolean;
}

/** Assigns a LoadBalancer Service its address from MetalLB's pools, as MetalLB's controller would. */
function metallbAddressFor(world: TwinWorld, requested: string | undefined): string | undefined {
  const k = world.kubernetes;
  if (!Object.values(k.releases).some((r) => r.chart === "metallb")) return undefined;
  const pools = Object.values(k.objects).filter((o) => o.kind === "IPAddressPool");
  const advertised = new Set(
    Object.values(k.objects)
      .filter((o) => o.kind === "L2Advertisement")
      .flatMap((o) => (o.spec as { ipAddressPools?: string[] }).ipAddressPools ?? []),
  );
  for (const pool of pools) {
    if (!advertised.has(pool.metadata.name)) continue;
    const ranges = (pool.spec as { addresses?: string[] }).addresses ?? [];
    if (requested && ranges.some((r) => inRange(requested, r))) return requested;
  }
  return undefined;
}

const ipNum = (ip: string) => ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
function inRange(ip: string, range: string): boolean {
  if (range.includes("-")) {
    const [a, b] = range.split("-").map((s) => ipNum(s.trim()));
    return ipNum(ip) >= a! && ipNum(ip) <= b!;
  }
  const [base, bits = "32"] = range.split("/");
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  return (ipNum(ip) & mask) >>> 0 === (ipNum(base!) & mask) >>> 0;
}

function releaseModel(): ResourceModel<TwinWorld> {
  const install = (c: StepContext<TwinWorld>): Props => {
    const r = c.inputs as unknown as ReleaseInputs;
    const world = c.world;
    if (!apiServerUp(world)) throw new StepError(API_UNREACHABLE);
    const k = world.kubernetes;
    if (!findObject(k, "", "Namespace", undefined, r.namespace))
      throw new StepError(`create: failed to create: namespaces "${r.namespace}" not found`);
    const values = (r.values ?? {}) as Record<string, unknown>;
    const timeout = r.timeout ?? 300;
    const fail = (why: string) => {
      advanceTo(world, world.clock + timeout);
      delete k.releases[`${r.namespace}/${r.name}`];
      throw new StepError(`release ${r.name} failed, and has been uninstalled due to atomic being set: ${why}`);
    };
    let podLabels: Record<string, string>[] = [];
    switch (r.chart) {
      case "cert-manager":
        if ((values.crds as { enabled?: boolean } | undefined)?.enabled) addCrds(k, CERT_MANAGER_KINDS);
        // startupapicheck (a post-install hook) waits until the webhook answers, so the release ends with it serving.
        k.webhooks = [
          ...k.webhooks.filter((w) => w.name !== "cert-manager-webhook"),
          {
            name: "cert-manager-webhook",
            kinds: CERT_MANAGER_KINDS,
            failurePolicy: "Fail",
            service: "cert-manager-webhook.cert-manager.svc",
            serving: true,
          },
        ];
        podLabels = [{ "app.kubernetes.io/name": "cert-manager" }];
        break;
      case "metallb": {
        if ((values.crds as { enabled?: boolean } | undefined)?.enabled !== false) addCrds(k, METALLB_KINDS);
        const policy = (values.crds as { validationFailurePolicy?: "Fail" | "Ignore" } | undefined)?.validationFailurePolicy ?? "Fail";
        // Ready on a plain ping: the webhook starts serving after its certificate rotation, later.
        k.webhooks = [
          ...k.webhooks.filter((w) => w.name !== "metallb-webhook-configuration"),
          {
            name: "metallb-webhook-configuration",
            kinds: METALLB_KINDS,
            failurePolicy: policy,
            service: "metallb-webhook-service.metallb-system.svc",
            serving: false,
          },
        ];
        podLabels = [{ "app.kubernetes.io/name": "metallb", "app.kubernetes.io/component": "controller" }];
        break;
      }
      case "traefik": {
        const v = values as TraefikValuesView;
        podLabels = [
          {
            "app.kubernetes.io/name": "traefik",
            "app.kubernetes.io/instance": `${r.name}-${r.namespace}`,
            ...(v.deployment?.podLabels ?? {}),
          },
        ];
        const service = v.service ?? {};
        if (service.enabled !== false && (service.spec?.type ?? "LoadBalancer") === "LoadBalancer") {
          const requested = service.annotations?.["metallb.io/loadBalancerIPs"] ?? service.spec?.loadBalancerIP;
          const ip = metallbAddressFor(world, requested);
          // helm --wait: a LoadBalancer Service is ready only once it has an ingress address.
          if (!ip) fail("context deadline exceeded (Service traefik/traefik has no LoadBalancer ingress address)");
          k.loadBalancerIPs[`${r.namespace}/traefik`] = ip!;
        }
        break;
      }
      default:
        throw new Error(`the twin does not know chart ${r.chart}`);
    }
    k.releases[`${r.namespace}/${r.name}`] = { chart: r.chart, version: r.version, namespace: r.namespace, values, podLabels };
    return { status: { status: "deployed", namespace: r.namespace, name: r.name, version: r.version, chart: r.chart } };
  };
  return {
    replaceKeys: ["name", "namespace"],
    create: (c) => ({ id: `${(c.inputs as { namespace: string }).namespace}/${(c.inputs as { name: string }).name}`, ...install(c) }),
    update: install,
    delete: (c) => {
      const r = c.old!.inputs as unknown as ReleaseInputs;
      delete c.world.kubernetes.releases[`${r.namespace}/${r.name}`];
    },
  };
}

/**
 * yaml/v2 ConfigGroup: a remote component whose children are the files' objects (here: CRDs).
 * Its outputs are what the provider's Construct returns, `resources` (pulumi-kubernetes
 * provider/pkg/provider/yaml/v2/configgroup.go), not the files: the twin lists the CRDs.
 */
const configGroupModel: ResourceModel<TwinWorld> = {
  create: (c) => applyConfigGroup(c),
  update: (c) => applyConfigGroup(c),
};

function applyConfigGroup(c: StepContext<TwinWorld>): Props {
  if (!apiServerUp(c.world)) throw new StepError(API_UNREACHABLE);
  const kinds = crdKindsOfFiles((c.inputs.files as string[] | undefined) ?? []);
  addCrds(c.world.kubernetes, kinds);
  return { resources: kinds.map((k) => `apiextensions.k8s.io/CustomResourceDefinition/${k}`) };
}

/** Between deployments time passes: MetalLB's certificate rotation completes and its webhook serves. */
export function kubernetesBetweenRuns(world: TwinWorld): void {
  for (const hook of world.kubernetes.webhooks) hook.serving = true;
}

const KUBERNETES_TYPES = [
  TYPES.namespace,
  TYPES.secret,
  TYPES.service,
  TYPES.serviceAccount,
  TYPES.deployment,
  TYPES.cronJob,
  TYPES.job,
  TYPES.podDisruptionBudget,
  TYPES.ingress,
  TYPES.networkPolicy,
  TYPES.endpointSlice,
];

/** Models for the Kubernetes types: Helm releases, yaml/v2 ConfigGroups and every object kind (built-in or custom). */
export function kubernetesModels(): Record<string, ResourceModel<TwinWorld>> {
  return {
    [TYPES.release]: releaseModel(),
    [TYPES.configGroup]: configGroupModel,
    ...Object.fromEntries(KUBERNETES_TYPES.map((t) => [t, kubernetesObjectModel])),
  };
}
