/**
 * Runs the pack's own policy objects against the offline synth output
 * (`out/<stack>/resources.json`), the way the Pulumi engine runs them during a
 * preview: the same args shape, the same enforcement-level config
 * (`--policy-pack-config` JSON), unknown values raising UnknownValueError and
 * turning the policy into an advisory "can't run during preview", and
 * notApplicable() recorded rather than reported.
 */
import type {
  EnforcementLevel,
  PolicyPackConfig,
  PolicyProviderResource,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { isUnknownValueError, type HomelabPolicy } from "./common.ts";
import { homelabPolicies } from "./rules.ts";
import type { SynthDocument, RecordedResource as SynthResource } from "@homelab/contract/synth-document";
import { SECRET_MARKER, SECRET_MARKER_TAG, UNKNOWN_MARKER } from "@homelab/contract/tokens";

/** The shape of `out/<stack>/resources.json`, as synth writes it. */

export type ReportedLevel = "advisory" | "mandatory";

export interface Violation {
  readonly policy: string;
  readonly level: ReportedLevel;
  /** `<type>::<name>` of the offending resource, or the stack's own `pulumi:pulumi:Stack::<project>-<stack>`. */
  readonly resource: string;
  readonly message: string;
}

export interface PolicyResult {
  readonly violations: readonly Violation[];
  /** How many rules ran (every rule not disabled by the config). */
  readonly rules: number;
  /** Rules that ran without a violation. */
  readonly passed: readonly string[];
  readonly disabled: readonly string[];
  readonly notApplicable: readonly { readonly policy: string; readonly reason: string }[];
}

/** Mirrors the engine's error for a property read that cannot be known during preview. */
class UnknownValueError extends Error {
  constructor(path: readonly PropertyKey[]) {
    super(`value at .${path.map(String).join(".")} can't be known during preview`);
  }
}

class NotApplicableError extends Error {
  readonly reason: string;
  constructor(reason: string | undefined) {
    super(reason ?? "not applicable");
    this.reason = reason ?? "";
  }
}

const notApplicable = (reason?: string): never => {
  throw new NotApplicableError(reason);
};

/** Props whose unknown markers throw on read, like the engine's unknown-checking proxy. */
function unknownChecking<T>(value: T, path: PropertyKey[] = []): T {
  if (!value || typeof value !== "object") return value;
  return new Proxy(value as object, {
    get(target, prop, receiver) {
      const field: unknown = Reflect.get(target, prop, receiver);
      if (field === UNKNOWN_MARKER) throw new UnknownValueError([...path, prop]);
      const desc = Object.getOwnPropertyDescriptor(target, prop);
      if (desc && "value" in desc && desc.configurable === false && desc.writable === false) return field;
      return unknownChecking(field, [...path, prop]);
    },
  }) as T;
}

// ── the pack's config ─────────────────────────────────────────────────────────

const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

interface NormalizedConfig {
  readonly level: EnforcementLevel | undefined;
  readonly properties: Record<string, unknown>;
}

/**
 * Validates a `--policy-pack-config` document against the pack's rules and
 * returns each rule's level and properties. `all` sets every rule's level,
 * a rule's own entry overrides it, as the Pulumi CLI does.
 */
export function normalizeConfig(config: PolicyPackConfig | undefined, policies: readonly HomelabPolicy[]): Map<string, NormalizedConfig> {
  const names = new Set(policies.map((p) => p.name));
  const problems: string[] = [];
  const parse = (key: string, raw: unknown): NormalizedConfig | undefined => {
    if (typeof raw === "string") {
      if (!LEVELS.includes(raw as EnforcementLevel)) problems.push(`${key}: "${raw}" is not an enforcement level (${LEVELS.join(", ")})`);
      return { level: raw as EnforcementLevel, properties: {} };
    }
    if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
      problems.push(`${key}: expected an enforcement level or an object with enforcementLevel and the rule's properties`);
      return undefined;
    }
    const { enforcementLevel, ...properties } = raw as Record<string, unknown>;
    if (enforcementLevel !== undefined && !LEVELS.includes(enforcementLevel as EnforcementLevel))
      problems.push(`${key}.enforcementLevel: "${String(enforcementLevel)}" is not an enforcement level (${LEVELS.join(", ")})`);
    const policy = policies.find((p) => p.name === key);
    const allowed = Object.keys(policy?.configSchema?.properties ?? {});
    for (const prop of Object.keys(properties).filter((k) => !allowed.includes(k))) {
      problems.push(
        `${key}.${prop}: unknown property; ${allowed.length ? `this rule accepts: ${allowed.join(", ")}` : "this rule takes no properties"}`,
      );
    }
    return { level: enforcementLevel as EnforcementLevel | undefined, properties };
  };
  const entries = Object.entries(config ?? {});
  const all = entries.find(([k]) => k === "all");
  const allLevel = all ? parse("all", all[1])?.level : undefined;
  const out = new Map<string, NormalizedConfig>();
  for (const p of policies) {
    const defaults = Object.fromEntries(
      Object.entries(p.configSchema?.properties ?? {})
        .filter(([, s]) => (s as { default?: unknown }).default !== undefined)
        .map(([k, s]) => [k, (s as { default?: unknown }).default]),
    );
    out.set(p.name, { level: allLevel, properties: defaults });
  }
  for (const [key, raw] of entries.filter(([k]) => k !== "all")) {
    if (!names.has(key)) {
      problems.push(`${key}: no such rule in the pack (rules: ${[...names].join(", ")})`);
      continue;
    }
    const parsed = parse(key, raw);
    if (!parsed) continue;
    const base = out.get(key)!;
    out.set(key, { level: parsed.level ?? base.level, properties: { ...base.properties, ...parsed.properties } });
  }
  if (problems.length) throw new Error(`Invalid policy pack config:\n - ${problems.join("\n - ")}`);
  return out;
}

// ── args the engine would build ───────────────────────────────────────────────

const ref = (r: { type: string; name: string }): string => `${r.type}::${r.name}`;

/** As the engine reports it: custom resources only, the default provider when none was given. */
function providerOf(r: SynthResource): PolicyProviderResource | undefined {
  if (!r.custom || r.type.startsWith("pulumi:providers:")) return undefined;
  const pkg = r.type.split(":")[0]!;
  const given = r.options.provider;
  const [type, ...rest] = given ? given.split("::") : [`pulumi:providers:${pkg}`, "default"];
  const name = rest.join("::");
  return { type: type!, name, urn: `::${type}::${name}`, props: {} };
}

function urnsOf(doc: SynthDocument): Map<string, string> {
  const byRef = new Map(doc.resources.map((r) => [ref(r), r]));
  const urns = new Map<string, string>();
  for (const r of doc.resources) {
    const chain = [r.type];
    const seen = new Set<string>();
    for (let p = r.parent ? byRef.get(r.parent) : undefined; p && !seen.has(ref(p)); p = p.parent ? byRef.get(p.parent) : undefined) {
      seen.add(ref(p));
      chain.unshift(p.type);
    }
    urns.set(ref(r), `urn:pulumi:${doc.stack}::${doc.project}::${chain.join("$")}::${r.name}`);
  }
  return urns;
}

function optionsOf(r: SynthResource, urns: ReadonlyMap<string, string>): PolicyResourceOptions {
  return {
    protect: r.options.protect === true,
    ignoreChanges: [...(r.options.ignoreChanges ?? [])],
    ...(r.options.deleteBeforeReplace ? { deleteBeforeReplace: true } : {}),
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [...(r.options.additionalSecretOutputs ?? [])],
    ...(r.parent && urns.has(r.parent) ? { parent: urns.get(r.parent)! } : {}),
  };
}

/** `isType(Class)`: the class's `__pulumiType` token is the resource's type (never true for CustomResource). */
const typeMatches = (type: string, cls: unknown): boolean => (cls as { __pulumiType?: string } | undefined)?.__pulumiType === type;

/**
 * The resources as the engine hands them to the pack, parents and dependencies
 * resolved to the objects themselves. Resource policies see each resource's
 * inputs; stack policies see its outputs, and a component's outputs are exactly
 * what it passed to `registerOutputs` (pulumi/pulumi pkg/resource/deploy/
 * step_executor.go, executeRegisterResourceOutputs), not its constructor's args.
 * A custom resource's outputs are its inputs here (synth cannot know what a
 * provider adds).
 */
function policyResources(doc: SynthDocument, view: "inputs" | "outputs", inputsView?: readonly PolicyResource[]): PolicyResource[] {
  const urns = urnsOf(doc);
  const resources = doc.resources.map((r, i) => {
    // A custom resource's props are the same in both views: the inputs view's (read-only) copy serves.
    const shared = view === "outputs" && r.custom ? inputsView?.[i]?.props : undefined;
    const props =
      shared ?? unknownChecking(structuredClone(view === "outputs" && !r.custom ? (r.outputs ?? {}) : r.inputs) as Record<string, unknown>);
    const isType = ((cls: unknown) => typeMatches(r.type, cls)) as PolicyResource["isType"];
    const provider = providerOf(r);
    const resource: PolicyResource = {
      type: r.type,
      name: r.name,
      urn: urns.get(ref(r))!,
      props,
      opts: optionsOf(r, urns),
      ...(provider ? { provider } : {}),
      dependencies: [],
      propertyDependencies: {},
      isType,
      asType: ((cls: unknown) => (typeMatches(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
    };
    return resource;
  });
  const byRef = new Map(doc.resources.map((r, i) => [ref(r), resources[i]!]));
  doc.resources.forEach((r, i) => {
    const resource = resources[i]!;
    const parent = r.parent ? byRef.get(r.parent) : undefined;
    if (parent) resource.parent = parent;
    resource.dependencies = (r.options.dependsOn ?? []).map((d) => byRef.get(d)).filter((d): d is PolicyResource => d !== undefined);
  });
  return resources;
}

// ── running the pack ──────────────────────────────────────────────────────────

const isStackPolicy = (p: HomelabPolicy): p is StackValidationPolicy => "validateStack" in p && typeof p.validateStack === "function";

/**
 * Evaluates `policies` (the pack's rules by default) against one stack's synth
 * output with the pack's config, exactly as `pulumi preview --policy-pack`
 * would on that plan.
 */
export async function checkStack(
  doc: SynthDocument,
  config?: PolicyPackConfig,
  policies: readonly HomelabPolicy[] = homelabPolicies(),
): Promise<PolicyResult> {
  const settings = normalizeConfig(config, policies);
  const resources = policyResources(doc, "inputs");
  const outputs = policies.some(isStackPolicy) ? policyResources(doc, "outputs", resources) : [];
  const stackRef = `pulumi:pulumi:Stack::${doc.project}-${doc.stack}`;
  const refByUrn = new Map(resources.map((r) => [r.urn, ref(r)]));
  const stackTags: ReadonlyMap<string, string> = new Map([[SECRET_MARKER_TAG, SECRET_MARKER]]);
  const violations: Violation[] = [];
  const passed: string[] = [];
  const disabled: string[] = [];
  const notApplicableList: { policy: string; reason: string }[] = [];

  for (const policy of policies) {
    const setting = settings.get(policy.name)!;
    const configured = setting.level ?? policy.enforcementLevel ?? "advisory";
    if (configured === "disabled") {
      disabled.push(policy.name);
      continue;
    }
    const level: ReportedLevel = configured === "advisory" ? "advisory" : "mandatory";
    const getConfig = <T extends object>() => ({ ...setting.properties }) as T;
    const before = violations.length;
    const run = async (fn: () => unknown, resource: string) => {
      try {
        await fn();
      } catch (e) {
        if (isUnknownValueError(e))
          violations.push({
            policy: policy.name,
            level: "advisory",
            resource,
            message: `can't run policy '${policy.name}' during preview: ${(e as Error).message}`,
          });
        else if (e instanceof NotApplicableError) notApplicableList.push({ policy: policy.name, reason: e.reason });
        else throw new Error(`policy ${policy.name} failed on ${resource}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
    };
    if (isStackPolicy(policy)) {
      const args: StackValidationArgs = { resources: outputs, stackTags, getConfig, notApplicable };
      await run(
        () =>
          policy.validateStack(args, (message, urn) => {
            violations.push({ policy: policy.name, level, resource: (urn && refByUrn.get(urn)) ?? stackRef, message });
          }),
        stackRef,
      );
    } else {
      const validations = [(policy as ResourceValidationPolicy).validateResource ?? []].flat();
      for (const r of resources) {
        const args: ResourceValidationArgs = {
          type: r.type,
          props: r.props,
          urn: r.urn,
          name: r.name,
          opts: r.opts,
          stackTags,
          ...(r.provider ? { provider: r.provider } : {}),
          isType: r.isType,
          asType: ((cls: unknown) => (typeMatches(r.type, cls) ? r.props : undefined)) as ResourceValidationArgs["asType"],
          getConfig,
          notApplicable,
        };
        for (const validate of validations) {
          await run(() => validate(args, (message) => violations.push({ policy: policy.name, level, resource: ref(r), message })), ref(r));
        }
      }
    }
    if (violations.length === before) passed.push(policy.name);
  }
  return {
    violations,
    rules: policies.length - disabled.length,
    passed,
    disabled,
    notApplicable: notApplicableList,
  };
}

/** Reads a `--policy-pack-config` JSON file. */
export function parsePolicyConfig(text: string, source: string): PolicyPackConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed))
    throw new Error(`${source}: expected a JSON object of rule name → level or settings`);
  return parsed as PolicyPackConfig;
}

/** One line per violation and a summary line, as `npm run policy` prints them. */
export function formatResult(stack: string, result: PolicyResult): string {
  const lines = result.violations.map(
    (v) => `${v.level === "mandatory" ? "✖" : "⚠"} [${v.level}] ${v.policy}  ${v.resource}\n    ${v.message}`,
  );
  const mandatory = result.violations.filter((v) => v.level === "mandatory").length;
  const advisory = result.violations.length - mandatory;
  const off = result.disabled.length ? `, ${result.disabled.length} disabled` : "";
  lines.push(
    `policy ${stack}: ${result.rules} rules checked${off}, ${result.passed.length} passed; ${mandatory} mandatory and ${advisory} advisory violation${advisory === 1 ? "" : "s"}${mandatory ? " (a deploy would be blocked)" : ""}`,
  );
  return lines.join("\n");
}
