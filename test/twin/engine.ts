/**
 * The deployment twin's engine: runs the real program (index.ts, or any
 * program function) as one `pulumi up` or `pulumi preview` against a state and
 * a pluggable world, and returns the next state. Successive calls are
 * successive deployments.
 *
 * What it models, read in pulumi/pulumi at v3.259.0 (the newest v3 tag stored;
 * the SDK is 3.276.0):
 * - `pkg/resource/deploy/step_generator.go` (`GenerateSteps`, `processIgnoreChanges`):
 *   when a resource has old state, every `ignoreChanges` path of the new
 *   inputs is set back to its OLD value before the diff; those processed inputs
 *   are what an update or a replacement's create receives.
 * - same file (`generateStepsFromDiff`, `applyReplaceOnChanges`): a changed
 *   input the provider replaces on (a model's `replaceKeys`, a Command's
 *   `triggers`) or one `replaceOnChanges` names replaces the resource; a
 *   replacement of a resource protected in state and in the program fails the
 *   `up` at once ("unable to replace resource … as it is currently marked for
 *   protection") and marks a preview failed while it goes on listing steps.
 * - `pkg/resource/deploy/step.go` (`DeleteStep.Apply`, `deleteProtectedError`):
 *   deleting a protected resource fails ("cannot be deleted because it is protected").
 * - `pkg/resource/deploy/step_executor.go` (`cancelDueToError`): the first
 *   failed step cancels the deployment; no step starts after it.
 * - `pkg/resource/deploy/deployment_executor.go` (`Execute`): deletes of
 *   resources the program no longer registers, and of replaced resources
 *   (create-before-delete), run after the program finished and only when no
 *   step failed, in reverse dependency order; stack policies (`AnalyzeResources`)
 *   run only then, on the resources' OUTPUTS.
 * - Dependencies order steps: the SDK sends a registration only once the URNs
 *   of its dependencies resolved, which under the mock monitor is when their
 *   steps completed (`@pulumi/pulumi` runtime/resource.js, `prepareResource`).
 * - Preview: no create, update or delete runs; a created resource's outputs
 *   that are not inputs are unknown (the SDK marks a declared output missing
 *   from the response unknown during a dry run); an invoke whose dependsOn is
 *   pending creation or change answers unknown (runtime/invoke.js).
 *
 * ## API (for models; the day-2 scenarios add their own)
 *
 * ```ts
 * const models: Models<MyWorld> = {
 *   resources: {
 *     "pkg:mod:Type": {
 *       replaceKeys: ["name"],                  // the provider's ForceNew inputs
 *       create: (c) => ({ id: "…", status: "…" }), // outputs besides the inputs; throw StepError
 *       update: (c) => ({ … }),                 // optional: default keeps old outputs, takes new inputs
 *       delete: (c) => { … },                   // optional
 *     },
 *   },
 *   invokes: { "pkg:mod:getX": (args, c) => ({ … }) },
 * };
 * let r = await up({ program, config, stack: "single", world, models });      // first `up`
 * r = await up({ program, config, stack, world: r.world, models, state: r.state }); // the next one
 * const p = await up({ …, state: r.state, preview: true });  p.changes → [] for an empty preview
 * ```
 *
 * A model's context (`StepContext`) carries the inputs (revealed: secrets
 * unwrapped, ignoreChanges already applied), the old inputs and outputs on
 * update/replace/delete, the resource's URN and name, and the world, which
 * models mutate (the real systems). A model fails a step by throwing (use
 * `StepError` with the provider's own message; `new StepError(msg, outputs)`
 * when the object exists anyway, as after an await's timeout). The world must
 * stay plain JSON: each run works on a structuredClone of it, a preview's copy
 * is thrown away. More hooks on `Models`: `fallback(type)` for whole families of
 * types (every Kubernetes kind), `beforeRun(world)` for what happens between two
 * deployments (time passing: a webhook that now serves). A provider's remote
 * component (a yaml/v2 ConfigGroup) is stepped like a custom resource when it
 * has a model, with exactly the outputs the model returns (its Construct's).
 * `UpOptions.analyze` runs the policy pack on the new state (test/twin/stack.ts
 * passes the pack's offline runner on the state's outputs).
 *
 * test/twin/stack.ts wires the real program, the example stacks' config and
 * the world models of test/twin/world/ (Kubernetes, Talos, Proxmox, Cloudflare,
 * local Commands): `deploy(stack, config, world, state?, preview?)`.
 *
 * `RunResult`: `ok`, `error` (the failed step's URN and message, as the CLI
 * prints it), `steps` (op per URN in execution order, `changes` of each),
 * `state` (pass to the next run), `world`, the program's stack `outputs`, and
 * the recorded `run` (registrations, invokes, component outputs).
 */
import type * as pulumi from "@pulumi/pulumi";
import { recordProgram, type ProgramRun, type Registration, type StackConfig } from "../../synth/recorder.ts";
import type { ResourceOptionsRecord } from "../../contract/synth-document.ts";
import { capturingWarnings } from "../helpers/runtime-warnings.ts";

/** The wire markers of secrets and unknowns (@pulumi/pulumi runtime/rpc.js). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const WIRE_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type Props = Record<string, unknown>;

/** One resource in the state, as a checkpoint holds it: inputs and outputs in wire form. */
export interface StateEntry {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly parent?: string;
  readonly custom: boolean;
  readonly id: string;
  readonly inputs: Props;
  readonly outputs: Props;
  readonly protect: boolean;
  readonly dependencies: readonly string[];
  /** The registration's options, as the recorder records them (what resource policies read). */
  readonly options: ResourceOptionsRecord;
  /** Set when the resource was created but its step failed (the provider's "initialization" errors). */
  readonly initErrors?: readonly string[];
}

export interface StackState {
  readonly resources: readonly StateEntry[];
  /** The stack's exports after the last successful run. */
  readonly outputs: Props;
}

export const EMPTY_STATE: StackState = { resources: [], outputs: {} };

export interface StepContext<W> {
  readonly urn: string;
  readonly name: string;
  readonly type: string;
  /** The inputs the provider receives: secrets unwrapped, ignored paths at their old values. */
  readonly inputs: Props;
  readonly old?: { readonly inputs: Props; readonly outputs: Props; readonly id: string };
  readonly world: W;
}

export interface ResourceModel<W> {
  /** Inputs whose change the provider answers with a replacement (its ForceNew / replace keys). */
  readonly replaceKeys?: readonly string[];
  /** Outputs besides the inputs (an `id` here becomes the resource id). Throw to fail the step. */
  create(ctx: StepContext<W>): Props | Promise<Props>;
  update?(ctx: StepContext<W>): Props | Promise<Props>;
  delete?(ctx: StepContext<W>): void | Promise<void>;
}

export type InvokeModel<W> = (args: Props, ctx: { readonly world: W; readonly preview: boolean }) => Props | Promise<Props>;

export interface Models<W> {
  readonly resources: Readonly<Record<string, ResourceModel<W>>>;
  readonly invokes: Readonly<Record<string, InvokeModel<W>>>;
  /** Models for types `resources` does not list (e.g. every Kubernetes custom resource kind). */
  readonly fallback?: (type: string) => ResourceModel<W> | undefined;
  /** Time passes between deployments: called on the world before each run (a preview's copy too). */
  readonly beforeRun?: (world: W) => void;
}

/**
 * A provider's error for one step; its message is what the CLI would print
 * under the resource. `created`: the object exists although the step failed
 * (pulumi-kubernetes creates an Ingress, then its await times out): the state
 * keeps it with init errors and the next `up` updates it even when nothing
 * changed (step_generator.go: `hasInitErrors` makes the diff DiffSome).
 */
export class StepError extends Error {
  readonly created?: Props;
  constructor(message: string, created?: Props) {
    super(message);
    if (created) this.created = created;
  }
}

export type StepOp = "create" | "update" | "replace" | "delete" | "same" | "invoke";

export interface Step {
  readonly op: StepOp;
  readonly urn: string;
  /** Top-level inputs that differ (update/replace). */
  readonly changes?: readonly string[];
  readonly status: "done" | "failed" | "planned";
  readonly error?: string;
}

export interface RunResult<W> {
  readonly ok: boolean;
  /** `<urn>: <message>` of the first failure. */
  readonly error?: string;
  readonly steps: readonly Step[];
  /** Steps that change something: everything but `same` and `invoke`. */
  readonly changes: readonly Step[];
  readonly state: StackState;
  readonly world: W;
  readonly outputs: Props;
  readonly run?: ProgramRun<unknown>;
  /** What the program passed to `pulumi.log.warn`, which `pulumi up` shows as the stack's diagnostics. */
  readonly warnings: readonly string[];
}

export interface UpOptions<W> {
  readonly program: () => unknown;
  readonly config: StackConfig;
  readonly stack: string;
  readonly world: W;
  readonly models: Models<W>;
  readonly state?: StackState;
  readonly preview?: boolean;
  /**
   * The policy pack as the engine runs it after the last step of a deployment
   * that did not fail (`AnalyzeResources`): given the new state, the mandatory
   * violations; any fails the run.
   */
  readonly analyze?: (state: StackState) => Promise<readonly string[]>;
}

const isSecret = (v: unknown): v is { value: unknown } => !!v && typeof v === "object" && (v as Props)[SIG_KEY] === SECRET_SIG;

/** The plain value a provider receives: secret wrappers removed. */
export function reveal(value: unknown): unknown {
  if (isSecret(value)) return reveal(value.value);
  if (Array.isArray(value)) return value.map(reveal);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
  return value;
}

export function containsUnknown(value: unknown): boolean {
  if (value === WIRE_UNKNOWN) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (value && typeof value === "object") return Object.values(value).some(containsUnknown);
  return false;
}

const same = (a: unknown, b: unknown) => JSON.stringify(reveal(a)) === JSON.stringify(reveal(b));

/** `a.b[0]["c.d"]` → ["a", "b", 0, "c.d"] (the property path syntax of ignoreChanges). */
function parsePath(path: string): (string | number)[] {
  const keys: (string | number)[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\["([^"]*)"\]/g;
  for (const m of path.matchAll(re)) keys.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : m[3]!));
  return keys;
}

/**
 * The engine's processIgnoreChanges: each ignored path of `inputs` takes its
 * value in `oldInputs` (removed where the old inputs had none).
 */
export function processIgnoreChanges(inputs: Props, oldInputs: Props, ignoreChanges: readonly string[] = []): Props {
  const result = structuredClone(inputs);
  for (const path of ignoreChanges) {
    const keys = parsePath(path);
    let from: unknown = oldInputs;
    let to: unknown = result;
    for (const k of keys.slice(0, -1)) {
      from = (from as Record<string | number, unknown> | undefined)?.[k];
      to = (to as Record<string | number, unknown> | undefined)?.[k];
      if (isSecret(from)) from = from.value;
      if (isSecret(to)) to = to.value;
    }
    const last = keys[keys.length - 1]!;
    if (!to || typeof to !== "object") continue;
    const old = from && typeof from === "object" ? (from as Record<string | number, unknown>)[last] : undefined;
    if (old === undefined) delete (to as Record<string | number, unknown>)[last];
    else (to as Record<string | number, unknown>)[last] = structuredClone(old);
  }
  return result;
}

/** Does a replaceOnChanges path (`triggers[*]`, `spec.x`, `*`) cover this changed top-level input? */
const covers = (path: string, key: string) => path === "*" || parsePath(path)[0] === key;

/**
 * After a failure the engine cancels the deployment and the resource monitor
 * answers CANCELLED: the SDK then stops the program's RPCs without an
 * unhandled rejection per resource (@pulumi/pulumi runtime/resource.js,
 * `isGrpcError`, `terminateRpcs`). The twin reports the failure itself.
 */
function cancelled(message: string): Error {
  return Object.assign(new Error(message), { code: 1 /* grpc.status.CANCELLED */ });
}

const PROVIDER_PREFIX = "pulumi:providers:";

/** Provider resources: configuration the engine diffs and keeps; nothing in the world. */
const providerModel: ResourceModel<unknown> = { create: () => ({}) };

/**
 * One deployment: the program's registrations become steps against `state`
 * and the world. See the header for the semantics and their sources.
 */
export async function up<W>(opts: UpOptions<W>): Promise<RunResult<W>> {
  const preview = opts.preview ?? false;
  const world = structuredClone(opts.world);
  opts.models.beforeRun?.(world);
  const old = new Map((opts.state ?? EMPTY_STATE).resources.map((r) => [r.urn, r]));
  const next = new Map<string, StateEntry>();
  const steps: Step[] = [];
  /** URNs whose step in this run creates or changes them: a preview answers their dependants' invokes unknown. */
  const pending = new Set<string>();
  const replaced: StateEntry[] = [];
  let failure: string | undefined;
  let bailed = false;
  /** The registration the recorder just handed over, which the mock monitor's newResource call that follows belongs to. */
  let current: Registration | undefined;

  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const fail = (urn: string, message: string, bail: boolean) => {
    failure ??= `${urn}: ${message}`;
    if (bail) {
      bailed = true;
      stop();
    }
  };
  /** Steps still running; a failure elsewhere lets them finish, as the step executor's workers do. */
  const inflight = new Set<Promise<unknown>>();

  const modelOf = (type: string): ResourceModel<W> => {
    if (type.startsWith(PROVIDER_PREFIX)) return providerModel as ResourceModel<W>;
    const model = opts.models.resources[type] ?? opts.models.fallback?.(type);
    if (!model) throw new Error(`the twin has no world model for ${type}: add one to its models`);
    return model;
  };

  async function step(reg: Registration, inputs: Props): Promise<{ id: string; state: Props }> {
    const { urn, record } = reg;
    const prior = old.get(urn);
    const protect = record.options.protect === true;
    const entry = (id: string, ins: Props, outs: Props): StateEntry => ({
      urn,
      type: record.type,
      name: record.name,
      ...(reg.parentUrn ? { parent: reg.parentUrn } : {}),
      custom: record.custom,
      id,
      inputs: ins,
      outputs: outs,
      protect,
      dependencies: [...reg.dependencies],
      options: record.options,
    });
    if (bailed) throw cancelled(`${urn}: not run, the deployment stopped at an earlier failure`);

    // A component has no provider, unless it is a provider's remote component (a yaml/v2 ConfigGroup): then it has a model.
    if (!record.custom && !opts.models.resources[record.type]) {
      // A component has no provider: it is created or kept, its outputs are what it registers.
      next.set(urn, entry("", inputs, prior?.outputs ?? {}));
      steps.push({ op: prior ? "same" : "create", urn, status: preview ? "planned" : "done" });
      if (!prior) pending.add(urn);
      return { id: "", state: {} };
    }

    const model = modelOf(record.type);
    const processed = prior ? processIgnoreChanges(inputs, prior.inputs, record.options.ignoreChanges) : inputs;
    const ctx = (o?: StateEntry): StepContext<W> => ({
      urn,
      name: record.name,
      type: record.type,
      inputs: reveal(processed) as Props,
      world,
      ...(o ? { old: { inputs: reveal(o.inputs) as Props, outputs: reveal(o.outputs) as Props, id: o.id } } : {}),
    });
    const run = async (op: StepOp, changes: string[], fn: () => Promise<{ id: string; outputs: Props }>) => {
      if (op !== "same") pending.add(urn);
      if (preview) {
        steps.push({ op, urn, ...(changes.length ? { changes } : {}), status: "planned" });
        return undefined;
      }
      try {
        const done = await fn();
        steps.push({ op, urn, ...(changes.length ? { changes } : {}), status: "done" });
        return done;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        steps.push({ op, urn, ...(changes.length ? { changes } : {}), status: "failed", error: message });
        fail(urn, message, true);
        if (err instanceof StepError && err.created) {
          const id = String(err.created.id ?? prior?.id ?? `${record.name}-id`);
          next.set(urn, { ...entry(id, processed, { ...processed, ...err.created }), initErrors: [message] });
        }
        throw cancelled(`${urn}: ${message}`);
      }
    };
    // A provider's remote component (Construct) has exactly the outputs it returns; a custom
    // resource's outputs are its inputs and what the provider adds.
    const outputsOf = (outs: Props, base: Props) => (record.custom ? { ...base, ...outs } : outs);
    const created = async (o?: StateEntry) => {
      const outs = await model.create(ctx(o));
      return { id: String(outs.id ?? `${record.name}-id`), outputs: outputsOf(outs, processed) };
    };

    if (!prior) {
      const done = await run("create", [], () => created());
      const result = done ?? { id: "", outputs: processed };
      next.set(urn, entry(result.id, processed, result.outputs));
      return { id: result.id, state: result.outputs };
    }

    const keys = [...new Set([...Object.keys(prior.inputs), ...Object.keys(processed)])];
    const changes = keys.filter((k) => containsUnknown(processed[k]) || !same(prior.inputs[k], processed[k])).sort();
    if (prior.initErrors && changes.length === 0) changes.push("(init errors)");
    const replaces = changes.some(
      (k) => (model.replaceKeys ?? []).includes(k) || (record.options.replaceOnChanges ?? []).some((p) => covers(p, k)),
    );
    if (changes.length === 0) {
      steps.push({ op: "same", urn, status: preview ? "planned" : "done" });
      next.set(urn, entry(prior.id, processed, prior.outputs));
      return { id: prior.id, state: prior.outputs };
    }
    if (replaces) {
      if (protect && prior.protect) {
        const message = `unable to replace resource "${urn}"\nas it is currently marked for protection. To unprotect the resource, remove the \`protect\` flag from the resource in your Pulumi program and run \`pulumi up\``;
        steps.push({ op: "replace", urn, changes, status: "failed", error: message });
        fail(urn, message, !preview);
        if (!preview) throw cancelled(`${urn}: ${message}`);
        next.set(urn, entry(prior.id, prior.inputs, prior.outputs));
        return { id: prior.id, state: prior.outputs };
      }
      const done = await run("replace", changes, async () => {
        if (record.options.deleteBeforeReplace) await model.delete?.(ctx(prior));
        const result = await created(prior);
        if (!record.options.deleteBeforeReplace) replaced.push(prior);
        return result;
      });
      const result = done ?? { id: "", outputs: processed };
      next.set(urn, entry(result.id, processed, result.outputs));
      return { id: result.id, state: result.outputs };
    }
    const done = await run("update", changes, async () => {
      const outs = model.update ? await model.update(ctx(prior)) : {};
      return { id: prior.id, outputs: outputsOf(outs, { ...prior.outputs, ...processed }) };
    });
    const result = done ?? { id: prior.id, outputs: { ...prior.outputs, ...processed } };
    next.set(urn, entry(result.id, processed, result.outputs));
    return { id: result.id, state: result.outputs };
  }

  const mocks: pulumi.runtime.Mocks = {
    newResource: async (args) => {
      const reg = current;
      current = undefined;
      if (!reg || reg.record.name !== args.name || reg.record.type !== args.type) {
        throw new Error(`twin: registration of ${args.type}::${args.name} arrived without its options`);
      }
      const running = step(reg, args.inputs as Props);
      inflight.add(running);
      void running.catch(() => {}).finally(() => inflight.delete(running));
      return running;
    },
    call: async (args) => {
      // A stopped deployment's program is torn down with its invokes unanswered: an answer, even an
      // error, would surface in the program as an unhandled rejection the real language host never sees.
      if (bailed) return new Promise<never>(() => {});
      const model = opts.models.invokes[args.token];
      if (!model) throw new Error(`the twin has no model for invoke ${args.token}: add one to its models`);
      try {
        const result = await model(reveal(args.inputs) as Props, { world, preview });
        steps.push({ op: "invoke", urn: args.token, status: "done" });
        return result;
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        steps.push({ op: "invoke", urn: args.token, status: "failed", error: message });
        // A failed invoke fails the program, and with it the deployment.
        fail(args.token, message, true);
        return new Promise<never>(() => {});
      }
    },
  };

  const componentOutputs = new Map<string, Props>();
  const hooks = {
    registering: (registration: Registration) => {
      current = registration;
    },
    outputsRegistered: (urn: string, outputs: Props) => {
      componentOutputs.set(urn, outputs);
    },
    invoking: (invoke: { readonly dependsOn: readonly string[] }) =>
      preview && invoke.dependsOn.some((u) => pending.has(u)) ? ("unknown" as const) : undefined,
  };

  let run: ProgramRun<unknown> | undefined;
  const warnings: string[] = [];
  try {
    const captured = await capturingWarnings(() =>
      recordProgram(opts.program, opts.config, {
        stack: opts.stack,
        mocks,
        preview,
        hooks,
        stop: { signal: stopped, stopped: () => bailed },
      }),
    );
    run = captured.result;
    warnings.push(...captured.warnings);
  } catch (err) {
    failure ??= `program: ${err instanceof Error ? err.message : String(err)}`;
  }
  while (inflight.size) await Promise.allSettled([...inflight]);

  for (const [urn, outputs] of componentOutputs) {
    const e = next.get(urn);
    if (e) next.set(urn, { ...e, outputs });
  }

  const remaining = [...old.values()].filter((r) => !next.has(r.urn));
  if (!failure) {
    // Reverse dependency order: the state lists each resource after its dependencies.
    const deletes = [...replaced.map((r) => ({ r, replacing: true })), ...remaining.reverse().map((r) => ({ r, replacing: false }))];
    for (const { r, replacing } of deletes) {
      if (!replacing && r.protect) {
        const message = `resource "${r.urn}" cannot be deleted\nbecause it is protected. To unprotect the resource, either remove the \`protect\` flag from the resource in your Pulumi program and run \`pulumi up\`, or use the command:\n\`pulumi state unprotect '${r.urn}'\``;
        steps.push({ op: "delete", urn: r.urn, status: "failed", error: message });
        fail(r.urn, message, true);
        break;
      }
      if (preview) {
        steps.push({ op: "delete", urn: r.urn, status: "planned" });
        continue;
      }
      try {
        if (r.custom || opts.models.resources[r.type])
          await modelOf(r.type).delete?.({
            urn: r.urn,
            name: r.name,
            type: r.type,
            inputs: reveal(r.inputs) as Props,
            old: { inputs: reveal(r.inputs) as Props, outputs: reveal(r.outputs) as Props, id: r.id },
            world,
          });
        steps.push({ op: "delete", urn: r.urn, status: "done" });
        if (!replacing) old.delete(r.urn);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        steps.push({ op: "delete", urn: r.urn, status: "failed", error: message });
        fail(r.urn, message, true);
        break;
      }
    }
  }

  // The next state: what this run registered, in registration order, then what it did not delete.
  const resources = [...next.values(), ...[...old.values()].filter((r) => !next.has(r.urn))];
  const done = failure === undefined;
  const state: StackState = preview
    ? (opts.state ?? EMPTY_STATE)
    : { resources, outputs: done && run ? (run.outputs as Props) : (opts.state ?? EMPTY_STATE).outputs };
  if (done && opts.analyze) {
    const violations = await opts.analyze(preview ? { resources, outputs: (run?.outputs as Props | undefined) ?? {} } : state);
    if (violations.length) failure = `policy violations:\n${violations.join("\n")}`;
  }
  const ok = failure === undefined;
  return {
    ok,
    ...(failure ? { error: failure } : {}),
    steps,
    changes: steps.filter((s) => s.op !== "same" && s.op !== "invoke"),
    state,
    world: preview ? opts.world : world,
    outputs: run ? ((run.outputs as Props) ?? {}) : {},
    ...(run ? { run } : {}),
    warnings,
  };
}
