/**
 * A stack in the twin: its config as the Pulumi CLI would hand it over (the
 * example stack files, credentials the operator sets in their shell filled in),
 * the world it deploys into (a Proxmox host per configured `proxmoxNode`, an
 * empty Cloudflare account, the fake Talos cluster or an existing cluster), and
 * `deploy`: one `pulumi up` (or preview) of index.ts.
 */
import assert from "node:assert/strict";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { indexProgram } from "../../synth/run-stack.ts";
import { configWarnings } from "../helpers/runtime-warnings.ts";
import { readStackConfig, secretPlaceholder } from "../../synth/stack-file.ts";
import { sanitize, type StackConfig } from "../../synth/recorder.ts";
import { PROJECT } from "../../synth/mocks.ts";
import { checkStack } from "../../policies/offline.ts";
import type { SynthDocument } from "../../contract/synth-document.ts";
import { unsetCredentials } from "../../config/stack-keys.ts";
import { parseStackConfig } from "../../config/validate.ts";
import { up, type Models, type RunResult, type StackState } from "./engine.ts";
import { emptyKubeWorld, kubernetesBetweenRuns, kubernetesModels, kubernetesObjectModel } from "./world/kubernetes.ts";
import { emptyTalosWorld, talosInvokes, talosModels, type TalosTimings } from "./world/talos.ts";
import { proxmoxModels, proxmoxWorld } from "./world/proxmox.ts";
import { cloudflareInvokes, cloudflareModels, cloudflareWorld } from "./world/cloudflare.ts";
import { commandModel, commandWorld } from "./world/command.ts";
import type { TwinWorld } from "./world/time.ts";
import { TYPES } from "../../contract/tokens.ts";

export type { TwinWorld };

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export const twinModels: Models<TwinWorld> = {
  resources: {
    ...kubernetesModels(),
    ...talosModels,
    ...proxmoxModels,
    ...cloudflareModels,
    [TYPES.command]: commandModel,
  },
  fallback: (type) => (type.startsWith("kubernetes:") ? kubernetesObjectModel : undefined),
  invokes: { ...talosInvokes, ...cloudflareInvokes },
  beforeRun: kubernetesBetweenRuns,
};

/** The stack file's config with every credential the program needs set (as `pulumi config set --secret` would). */
export function twinConfig(stack: string): StackConfig {
  let config = readStackConfig(stack, ROOT);
  for (const { key } of unsetCredentials(config.values, {}))
    config = { values: { ...config.values, [key]: secretPlaceholder(key) }, secretKeys: [...config.secretKeys, key] };
  return config;
}

export interface WorldOptions {
  /** How long the Talos nodes take (default: fast lab hardware). */
  readonly timings?: TalosTimings;
  /** Whether Proxmox remaps ide1/ide3 on q35 machines (newer qemu-server); default false, as on older releases. */
  readonly remapsIde?: boolean;
  /** The environment local Commands run with; default: node on PATH, nothing else (no talosctl). */
  readonly env?: Record<string, string>;
}

/** The empty world a stack's first `up` meets. */
export function twinWorld(config: StackConfig, opts: WorldOptions = {}): TwinWorld {
  const parsed = parseStackConfig(config.values, (k) => config.secretKeys.includes(k));
  if (!parsed.ok) throw new Error(`the stack config does not parse: ${parsed.errors.join("; ")}`);
  const cluster = parsed.config.cluster;
  const talos = cluster.provider === "talos";
  return {
    clock: 0,
    kubernetes: emptyKubeWorld(!talos),
    ...(talos ? { talos: emptyTalosWorld(opts.timings) } : {}),
    proxmox: proxmoxWorld(talos ? [...new Set(cluster.nodes.map((n) => n.proxmoxNode))] : [], opts.remapsIde ?? false),
    cloudflare: cloudflareWorld(),
    command: commandWorld(ROOT, opts.env ?? { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, HOME: process.env.HOME ?? "/tmp" }),
    stages: {},
  };
}

/** `urn:pulumi:s::p::a$b::name` → `b::name`, how synth names a parent. */
function urnTail(urn: string): string {
  const parts = urn.split("::");
  return `${parts[2]!.split("$").pop()!}::${parts.slice(3).join("::")}`;
}

/** The state as the policy pack's offline runner reads a plan: components carry their registered outputs. */
export function stateDocument(stack: string, state: StackState): SynthDocument {
  return {
    stack,
    project: PROJECT,
    outputs: state.outputs,
    resources: state.resources.map((r) => ({
      type: r.type,
      name: r.name,
      ...(r.parent ? { parent: urnTail(r.parent) } : {}),
      custom: r.custom,
      inputs: sanitize(r.inputs) as Record<string, unknown>,
      options: r.options,
      ...(r.custom ? {} : { outputs: sanitize(r.outputs) as Record<string, unknown> }),
    })),
  };
}

/** The policy pack with its default levels, as `pulumi up --policy-pack policies` runs it after the steps. */
async function analyze(stack: string, state: StackState): Promise<string[]> {
  const result = await checkStack(stateDocument(stack, state));
  return result.violations.filter((v) => v.level === "mandatory").map((v) => `${v.policy} (${v.resource}): ${v.message}`);
}

export async function deploy(
  stack: string,
  config: StackConfig,
  world: TwinWorld,
  state?: StackState,
  preview = false,
): Promise<RunResult<TwinWorld>> {
  const result = await up({
    program: indexProgram(),
    config,
    stack,
    world,
    models: twinModels,
    ...(state ? { state } : {}),
    preview,
    analyze: (s) => analyze(stack, s),
  });
  // A program that ran to its end warned with exactly its config's warnings, as `pulumi up` would show them.
  if (result.run) assert.deepEqual(result.warnings, configWarnings(config), `the program's warnings for ${stack}`);
  return result;
}
