/**
 * What every rule file shares: resource and Helm release helpers, and the
 * two places where the real engine and the offline runner differ (unknown
 * values during preview, secret values).
 */
import type {
  EnforcementLevel,
  PolicyResource,
  ReportViolation,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { METALLB_LOAD_BALANCER_IPS_ANNOTATION } from "@homelab/contract/kubernetes";
import { arr, obj, str, strings, type Obj } from "@homelab/contract/props";
import { SECRET_MARKER, SECRET_MARKER_TAG, TYPES } from "@homelab/contract/tokens";

export type HomelabPolicy = ResourceValidationPolicy | StackValidationPolicy;

/** The levels a rule is created with; `disabled` and `remediate` come only from the pack's config. */
export type Level = Extract<EnforcementLevel, "advisory" | "mandatory">;

export const requestedLoadBalancerIps = (annotations: Readonly<Record<string, unknown>>): string[] =>
  str(annotations[METALLB_LOAD_BALANCER_IPS_ANNOTATION])
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** Whether a Kubernetes label selector (matchLabels and matchExpressions) selects these labels. */
export function labelsMatch(selector: Obj, labels: Readonly<Record<string, string>>): boolean {
  const matchLabels = obj(selector.matchLabels);
  const expressions = arr(selector.matchExpressions).map(obj);
  return (
    Object.entries(matchLabels).every(([k, v]) => labels[k] === v) &&
    expressions.every((e) => {
      const key = str(e.key);
      const values = strings(e.values);
      switch (str(e.operator)) {
        case "In":
          return values.includes(labels[key] ?? "\u0000");
        case "NotIn":
          return !values.includes(labels[key] ?? "\u0000");
        case "Exists":
          return key in labels;
        case "DoesNotExist":
          return !(key in labels);
        default:
          return false;
      }
    })
  );
}

// ── secrets ──────────────────────────────────────────────────────────────────

export const isSecretMarker = (v: unknown): boolean => v === SECRET_MARKER;
export const secretsVisible = (args: { stackTags: ReadonlyMap<string, string> }): boolean =>
  args.stackTags.get(SECRET_MARKER_TAG) === SECRET_MARKER;

/** True when any value nested in `v` is a secret marker. */
export function containsSecretMarker(v: unknown): boolean {
  if (isSecretMarker(v)) return true;
  if (Array.isArray(v)) return v.some(containsSecretMarker);
  if (v && typeof v === "object") return Object.values(v).some(containsSecretMarker);
  return false;
}

// ── unknown values during preview ─────────────────────────────────────────────

/**
 * The engine's props proxy throws `UnknownValueError` when a policy reads a
 * value only known after deploy, and reports the policy as an advisory "can't
 * run during preview". A stack rule goes on with the resources it can read and
 * rethrows the first such error at the end (stackPolicy), so the engine still
 * says what could not be checked while every knowable violation is reported.
 */
export function isUnknownValueError(e: unknown): boolean {
  return e instanceof Error && e.constructor.name === "UnknownValueError";
}

/** Unknown-value errors deferred while a stack rule runs; undefined outside one. */
let deferred: unknown[] | undefined;

/** Defers an unknown-value error inside a stack rule; anything else (or outside one) is rethrown. */
export function noteUnknown(e: unknown): void {
  if (!isUnknownValueError(e) || !deferred) throw e;
  deferred.push(e);
}

/** Runs `check` for each item; an item whose values are unknown during preview is deferred, not fatal. */
export function eachKnown<T>(items: Iterable<T>, check: (item: T) => void): void {
  for (const item of items) {
    try {
      check(item);
    } catch (e) {
      noteUnknown(e);
    }
  }
}

/** The value `read` returns, or undefined when it is unknown during preview (for optional evidence only). */
export function known<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch (e) {
    if (isUnknownValueError(e)) return undefined;
    throw e;
  }
}

// ── resources ─────────────────────────────────────────────────────────────────

export const ofType = (resources: readonly PolicyResource[], ...types: string[]): PolicyResource[] =>
  resources.filter((r) => types.includes(r.type));

export interface Meta {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export function metaOf(props: Obj): Meta {
  const m = obj(props.metadata);
  return {
    name: str(m.name),
    namespace: str(m.namespace),
    labels: obj(m.labels) as Record<string, string>,
    annotations: obj(m.annotations) as Record<string, string>,
  };
}

/**
 * `<namespace>/<service>` of every backend a route resource sends traffic to:
 * an Ingress's paths and default backend, an IngressRoute's services or a
 * Gateway API route's backendRefs (in the namespace they name, else the route's).
 */
export function routeBackends(route: PolicyResource): string[] {
  const ns = metaOf(route.props).namespace;
  const spec = obj(route.props.spec);
  if (route.type === TYPES.ingress) {
    const paths = arr(spec.rules).flatMap((rule) => arr(obj(obj(rule).http).paths));
    const services = [
      ...paths.map((p) => str(obj(obj(obj(p).backend).service).name)),
      str(obj(obj(spec.defaultBackend).service).name),
    ].filter(Boolean);
    return services.map((s) => `${ns}/${s}`);
  }
  if (route.type === TYPES.httpRoute || route.type === TYPES.grpcRoute)
    return gatewayRouteBackends(route).map((b) => `${b.namespace}/${b.name}`);
  return arr(spec.routes).flatMap((r) => arr(obj(r).services).map((s) => `${str(obj(s).namespace) || ns}/${str(obj(s).name)}`));
}

/** The Services an HTTPRoute's or GRPCRoute's rules send traffic to, in the namespace they name, else the route's. */
export function gatewayRouteBackends(route: PolicyResource): { namespace: string; name: string; kind: string }[] {
  const ns = metaOf(route.props).namespace;
  return arr(obj(route.props.spec).rules)
    .flatMap((rule) => arr(obj(rule).backendRefs).map(obj))
    .map((b) => ({ namespace: str(b.namespace) || ns, name: str(b.name), kind: str(b.kind) || "Service" }));
}

/** `Kind namespace/name` (or `Kind name` when cluster-scoped), the way an operator names an object. */
export function describeObject(props: Obj): string {
  const m = metaOf(props);
  const kind = str(props.kind) || "object";
  return m.namespace ? `${kind} ${m.namespace}/${m.name}` : `${kind} ${m.name}`;
}

/** A validateStack body gets the resources and a report bound to the offending resource. */
export type StackCheck = (
  resources: readonly PolicyResource[],
  report: (r: PolicyResource | undefined, message: string) => void,
  args: StackValidationArgs,
) => void;

export function stackPolicy(def: {
  name: string;
  description: string;
  level: Level;
  configSchema?: StackValidationPolicy["configSchema"];
  check: StackCheck;
}): StackValidationPolicy {
  return {
    name: def.name,
    description: def.description,
    enforcementLevel: def.level,
    ...(def.configSchema ? { configSchema: def.configSchema } : {}),
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
      const outer = deferred;
      const pending: unknown[] = [];
      deferred = pending;
      try {
        def.check(args.resources, (r, message) => (r ? reportViolation(message, r.urn) : reportViolation(message)), args);
      } finally {
        deferred = outer;
      }
      if (pending.length) throw pending[0];
    },
  };
}

/** Whether `r` reaches `target` through its dependencies (transitively). */
export function dependsOn(r: PolicyResource, target: PolicyResource): boolean {
  const seen = new Set<string>();
  const stack = [...r.dependencies];
  while (stack.length) {
    const d = stack.pop()!;
    if (d.urn === target.urn) return true;
    if (seen.has(d.urn)) continue;
    seen.add(d.urn);
    stack.push(...d.dependencies);
  }
  return false;
}

// ── Helm releases ─────────────────────────────────────────────────────────────

/** The chart's own name, whether given as `traefik`, `repo/traefik` or an `oci://…/traefik` reference. */
export function chartName(props: Obj): string {
  const chart = str(props.chart).replace(/:[^/:]*$/, "");
  return chart.split("/").pop() ?? "";
}

export const releasesOf = (resources: readonly PolicyResource[], chart: string): PolicyResource[] =>
  ofType(resources, TYPES.release).filter((r) => chartName(r.props) === chart);

/** The release's values as an object (empty when absent or hidden as a secret). */
export const valuesOf = (release: { readonly props: Obj }): Obj => obj(release.props.values);

/** `Helm release <namespace>/<name> (chart x)`. */
export function describeRelease(r: { readonly name: string; readonly props: Obj }): string {
  const name = str(r.props.name) || r.name;
  const ns = str(r.props.namespace);
  return `Helm release ${ns ? `${ns}/` : ""}${name} (chart ${chartName(r.props)})`;
}

/** The Namespace resources the stack creates, by metadata.name. */
export function namespacesByName(resources: readonly PolicyResource[]): Map<string, PolicyResource> {
  return new Map(ofType(resources, TYPES.namespace).map((r) => [metaOf(r.props).name, r]));
}
