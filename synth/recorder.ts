/**
 * Runs the program under Pulumi's mocks and records every registration as the
 * engine would see it: type, name, parent, inputs (each leaf of a secret as
 * "[secret]", its keys kept) and
 * the options that matter. The offline synth, the tests and the benchmarks all
 * use this one recorder.
 */
import * as pulumi from "@pulumi/pulumi";
import { PROJECT, homelabMocks } from "./mocks.ts";
// The offline policy runner recognises secrets and unknowns in the synth document by these markers.
import { SECRET_MARKER as SECRET, UNKNOWN_MARKER as UNKNOWN } from "../policies/common.ts";
import type { RecordedResource, ResourceOptionsRecord } from "../policies/platform/synth-document.ts";

export type { RecordedResource, ResourceOptionsRecord };

export { SECRET, UNKNOWN };
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";
const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface RecordedInvoke {
  readonly token: string;
  readonly args: Record<string, unknown>;
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
  return SECRET;
}

/** Replaces secret and unknown markers of the wire format with readable placeholders. */
function sanitize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sanitize);
  if (value === UNKNOWN_VALUE) return UNKNOWN;
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
    const o = value as pulumi.Output<unknown>;
    const resolved = await resolveOutputs(await new Promise((resolve) => o.apply((v) => resolve(v))));
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
  opts: { stack?: string } = {},
): Promise<ProgramRun<T>> {
  await pulumi.runtime.setMocks(homelabMocks, PROJECT, opts.stack ?? "homelab", false);
  pulumi.runtime.setAllConfig({ ...config.values }, [...config.secretKeys]);
  const resources: RecordedResource[] = [];
  const invokes: RecordedInvoke[] = [];
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: unknown): unknown;
    invoke(req: { getTok(): string; getArgs(): { toJavaScript(): Record<string, unknown> } | undefined }, cb: unknown): unknown;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const parent = req.getParent();
    resources.push({
      type: req.getType(),
      name: req.getName(),
      ...(parent ? { parent: urnTail(parent) } : {}),
      custom: req.getCustom(),
      inputs: sanitize(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
      options: optionsOf(req),
    });
    return register(req, cb);
  };
  const invoke = monitor.invoke.bind(monitor);
  monitor.invoke = (req, cb) => {
    invokes.push({ token: req.getTok(), args: sanitize(req.getArgs()?.toJavaScript() ?? {}) as Record<string, unknown> });
    return invoke(req, cb);
  };

  let result: T;
  try {
    result = await program();
  } catch (err) {
    await pulumi.runtime.disconnect();
    throw err;
  }
  const outputs = await resolveOutputs(result);
  await pulumi.runtime.disconnect();
  return { resources, invokes, outputs, result };
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
