/**
 * Runs the program under Pulumi's mocks and records every registration as the
 * engine would see it: type, name, parent, inputs (each leaf of a secret as
 * "[secret]", its keys kept) and
 * the options that matter. The offline synth, the tests and the benchmarks all
 * use this one recorder.
 */
import * as pulumi from "@pulumi/pulumi";
import resproto from "@pulumi/pulumi/proto/resource_pb.js";
import rpc from "@pulumi/pulumi/runtime/rpc.js";
import { PROJECT, homelabMocks } from "./mocks.ts";
// The offline policy runner recognises secrets and unknowns in the synth document by these markers.
import { SECRET_MARKER, UNKNOWN_MARKER } from "../contract/tokens.ts";
import type { RecordedInvoke, RecordedResource, ResourceOptionsRecord } from "../contract/synth-document.ts";

export type { RecordedInvoke, RecordedResource, ResourceOptionsRecord };

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";
const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * What a state-aware mocks object (the deployment twin, test/twin/engine.ts)
 * learns of each registration besides what Pulumi's mocks hand `newResource`:
 * its URN, parent, options and dependencies. `registering` is called
 * synchronously right before the mock monitor calls `newResource` for the same
 * registration, so a mocks object can pair the two.
 */
export interface RunHooks {
  registering?(registration: Registration): void;
  /** A component's `registerOutputs`, in wire form (secrets wrapped, unknowns as the wire marker). */
  outputsRegistered?(urn: string, outputs: Record<string, unknown>): void;
  /**
   * Before an invoke reaches `mocks.call`; `"unknown"` answers it as the engine answers an
   * invoke whose dependencies are pending creation in a preview (the whole result unknown).
   */
  invoking?(invoke: { readonly token: string; readonly dependsOn: readonly string[] }): "unknown" | undefined;
}

/** How a state-aware mocks object tells the recorder its deployment stopped (a failed step). */
export interface RunStop {
  readonly signal: Promise<void>;
  readonly stopped: () => boolean;
}

export interface Registration {
  readonly urn: string;
  readonly parentUrn?: string;
  readonly record: RecordedResource;
  /** Full URNs of every resource this one depends on (dependsOn and its inputs' resources). */
  readonly dependencies: readonly string[];
}

export interface ProgramRun<T> {
  readonly resources: readonly RecordedResource[];
  readonly invokes: readonly RecordedInvoke[];
  /** What the program returned, with every Output resolved (secrets as "[secret]"). */
  readonly outputs: unknown;
  /** The program's return value itself, for tests that inspect Outputs. */
  readonly result: T;
}

export interface StackConfig {
  /** Full keys (`homelab:cluster`) to their raw string values (JSON for objects). */
  readonly values: Record<string, string>;
  readonly secretKeys: readonly string[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The URN the mock monitor gives a registration (its parent's type chain, then its own type). */
function urnOf(parent: string, type: string, name: string, stack: string): string {
  const qualified = parent ? `${parent.split("::")[2]!.split("$").pop()!}$${type}` : type;
  return `urn:pulumi:${stack}::${PROJECT}::${qualified}::${name}`;
}

/** `urn:pulumi:stack::project::a$b$type::name` → `type::name` */
function urnTail(urn: string): string {
  const parts = urn.split("::");
  const type = parts[2]!.split("$").pop()!;
  return `${type}::${parts.slice(3).join("::")}`;
}

/**
 * A secret keeps its shape: keys (a Secret's stringData names, a client
 * configuration's fields) stay visible and every leaf becomes the marker, so a
 * written manifest is still a valid object and a reviewer sees what changed.
 */
function masked(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(masked);
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, masked(v)]));
  return SECRET_MARKER;
}

/** Every string inside a secret of a wire-format value. */
function secretStrings(value: unknown, into: Set<string>, inSecret = false): void {
  if (typeof value === "string") {
    if (inSecret) into.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) secretStrings(v, into, inSecret);
  } else if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SECRET_SIG] === SECRET_VALUE) secretStrings(obj.value, into, true);
    else for (const v of Object.values(obj)) secretStrings(v, into, inSecret);
  }
}

/** `value` with every string of `secrets` replaced by the secret marker, keys kept. */
function maskStrings(value: unknown, secrets: ReadonlySet<string>): unknown {
  if (typeof value === "string") return secrets.has(value) ? SECRET_MARKER : value;
  if (Array.isArray(value)) return value.map((v) => maskStrings(v, secrets));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskStrings(v, secrets)]));
  return value;
}

/** Replaces secret and unknown markers of the wire format with readable placeholders (as synth records values). */
export function sanitize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sanitize);
  if (value === UNKNOWN_VALUE) return UNKNOWN_MARKER;
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SECRET_SIG] === SECRET_VALUE) return masked(sanitize(obj.value));
    if (obj[SECRET_SIG] !== undefined) return `[${String(obj[SECRET_SIG])}]`;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) out[k] = sanitize(v);
    return out;
  }
  return value;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getProtect(): boolean;
  getDependenciesList(): string[];
  getIgnorechangesList(): string[];
  getReplaceonchangesList(): string[];
  getProvider(): string;
  getVersion(): string;
  getPlugindownloadurl(): string;
  getAdditionalsecretoutputsList(): string[];
  getDeletebeforereplace(): boolean;
  getRetainondelete(): boolean;
  getAliasesList(): unknown[];
}

function optionsOf(req: RegisterRequest): ResourceOptionsRecord {
  const o: Record<string, unknown> = {};
  if (req.getProtect()) o.protect = true;
  const deps = req.getDependenciesList().map(urnTail).sort();
  if (deps.length) o.dependsOn = deps;
  const ignore = req.getIgnorechangesList();
  if (ignore.length) o.ignoreChanges = [...ignore].sort();
  const replaceOn = req.getReplaceonchangesList();
  if (replaceOn.length) o.replaceOnChanges = [...replaceOn].sort();
  const provider = req.getProvider();
  if (provider) o.provider = urnTail(provider.split("::").slice(0, -1).join("::"));
  if (req.getVersion()) o.version = req.getVersion();
  if (req.getPlugindownloadurl()) o.pluginDownloadURL = req.getPlugindownloadurl();
  const secretOutputs = req.getAdditionalsecretoutputsList();
  if (secretOutputs.length) o.additionalSecretOutputs = [...secretOutputs].sort();
  if (req.getDeletebeforereplace()) o.deleteBeforeReplace = true;
  if (req.getRetainondelete()) o.retainOnDelete = true;
  if (req.getAliasesList().length) o.aliases = req.getAliasesList().length;
  return o as ResourceOptionsRecord;
}

/** Resolves every Output inside a value; a secret's leaves become "[secret]", its keys stay. */
async function resolveOutputs(value: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(value)) {
    // The Output's own promise (internal to the SDK, stable since 2.x): unlike `apply`, it settles
    // for an unknown value (a preview's) and rejects when a registration failed.
    const o = value as pulumi.Output<unknown> & { isKnown: Promise<boolean>; promise(withUnknowns?: boolean): Promise<unknown> };
    if (!(await o.isKnown)) return UNKNOWN_MARKER;
    const resolved = await resolveOutputs(await o.promise(true));
    return (await pulumi.isSecret(o)) ? masked(resolved) : resolved;
  }
  if (value instanceof Promise) return resolveOutputs(await value);
  if (pulumi.Resource.isInstance(value)) return undefined;
  if (Array.isArray(value)) return Promise.all(value.map(resolveOutputs));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = await resolveOutputs(v);
    return out;
  }
  return value;
}

/**
 * Sets the mocks and the stack config, runs `program`, waits for every
 * registration and returns what was recorded. Each call starts from a fresh
 * mock monitor, so one process can run several configs in turn.
 */
export async function recordProgram<T>(
  program: () => T | Promise<T>,
  config: StackConfig,
  opts: { stack?: string; mocks?: pulumi.runtime.Mocks; preview?: boolean; hooks?: RunHooks; stop?: RunStop } = {},
): Promise<ProgramRun<T>> {
  await pulumi.runtime.setMocks(opts.mocks ?? homelabMocks, PROJECT, opts.stack ?? "homelab", opts.preview ?? false);
  pulumi.runtime.setAllConfig({ ...config.values }, [...config.secretKeys]);
  const resources: RecordedResource[] = [];
  const invokes: RecordedInvoke[] = [];
  const byUrn = new Map<string, Mutable<RecordedResource>>();
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: unknown): unknown;
    invoke(
      req: { getTok(): string; getArgs(): { toJavaScript(): Record<string, unknown> } | undefined; getDependsonList?(): string[] },
      cb: unknown,
    ): unknown;
    registerResourceOutputs(
      req: { getUrn(): string; getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined },
      cb: unknown,
    ): unknown;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const parent = req.getParent();
    const record: Mutable<RecordedResource> = {
      type: req.getType(),
      name: req.getName(),
      ...(parent ? { parent: urnTail(parent) } : {}),
      custom: req.getCustom(),
      inputs: sanitize(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
      options: optionsOf(req),
    };
    resources.push(record);
    // Only components register outputs; only a state-aware mocks object needs every URN.
    if (!record.custom || opts.hooks?.registering) {
      const urn = urnOf(parent, req.getType(), req.getName(), opts.stack ?? "homelab");
      if (!record.custom) byUrn.set(urn, record);
      opts.hooks?.registering?.({ urn, ...(parent ? { parentUrn: parent } : {}), record, dependencies: req.getDependenciesList() });
    }
    return register(req, cb);
  };
  const invoke = monitor.invoke.bind(monitor);
  monitor.invoke = (req, cb) => {
    invokes.push({
      token: req.getTok(),
      args: maskStrings(sanitize(req.getArgs()?.toJavaScript() ?? {}), invokeSecrets) as Record<string, unknown>,
    });
    if (opts.hooks?.invoking?.({ token: req.getTok(), dependsOn: req.getDependsonList?.() ?? [] }) === "unknown") {
      const response = new resproto.ResourceInvokeResponse();
      response.setUnknown(true);
      return (cb as (err: unknown, resp: unknown) => void)(null, response);
    }
    return invoke(req, cb);
  };
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, cb) => {
    const outputs = req.getOutputs()?.toJavaScript() ?? {};
    const record = byUrn.get(req.getUrn());
    if (record) record.outputs = sanitize(outputs) as Record<string, unknown>;
    opts.hooks?.outputsRegistered?.(req.getUrn(), outputs);
    return registerOutputs(req, cb);
  };

  // The SDK strips secret markers from an invoke's arguments before it reaches the monitor
  // (runtime/invoke.js calls rpc.unwrapSecretValues): what was secret is noted on the way, so the
  // recorded arguments mask it (a machine-config request's secrets, the health gate's client key).
  const invokeSecrets = new Set<string>();
  const sdkRpc = rpc as unknown as { unwrapSecretValues(value: unknown): [unknown, boolean] };
  const unwrapSecretValues = sdkRpc.unwrapSecretValues;
  sdkRpc.unwrapSecretValues = (value: unknown) => {
    secretStrings(value, invokeSecrets);
    return unwrapSecretValues(value);
  };
  try {
    return await run();
  } finally {
    sdkRpc.unwrapSecretValues = unwrapSecretValues;
  }

  async function run(): Promise<ProgramRun<T>> {
    let result: T | undefined;
    let outputs: unknown;
    try {
      result = await program();
      // A deployment that stopped at a failed step leaves outputs that never settle, or reject, as
      // the real engine leaves the program it stops: `stop` ends the wait.
      outputs = await (opts.stop ? Promise.race([resolveOutputs(result), opts.stop.signal.then(() => undefined)]) : resolveOutputs(result));
    } catch (err) {
      if (!opts.stop?.stopped()) {
        await pulumi.runtime.disconnect();
        throw err;
      }
    }
    // The engine steps on after the program returned (and may fail then): registrations waiting on a
    // failed resource never complete, so waiting for every RPC would never end.
    if (!opts.stop?.stopped())
      await (opts.stop ? Promise.race([pulumi.runtime.disconnect(), opts.stop.signal]) : pulumi.runtime.disconnect());
    if (opts.stop?.stopped()) {
      pulumi.runtime.disconnectSync();
      return { resources, invokes, outputs: undefined, result: result as T };
    }
    return { resources, invokes, outputs, result: result as T };
  }
}

/** The recorded resources of one type, e.g. `kubernetes:helm.sh/v3:Release`. */
export function ofType(run: { resources: readonly RecordedResource[] }, type: string): RecordedResource[] {
  return run.resources.filter((r) => r.type === type);
}

/** The one recorded resource with this type and name; throws with the candidates when absent. */
export function findResource(run: { resources: readonly RecordedResource[] }, type: string, name: string): RecordedResource {
  const found = run.resources.find((r) => r.type === type && r.name === name);
  if (!found) {
    const names = ofType(run, type).map((r) => r.name);
    throw new Error(`No ${type} named ${name}; registered: ${names.join(", ") || "(none of this type)"}`);
  }
  return found;
}
