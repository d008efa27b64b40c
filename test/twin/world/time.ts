/**
 * The twin's world and its clock. Everything is plain JSON (the engine clones
 * it per run; a day-2 scenario may store and edit it). Time only moves forward:
 * a provider that waits (an apply retrying until the node answers, a health
 * check polling) advances the clock to when its condition holds or its timeout
 * ends, and the fake systems settle to that moment.
 */
import type { KubeWorld } from "./kubernetes.ts";
import type { TalosWorld } from "./talos.ts";
import type { ProxmoxWorld } from "./proxmox.ts";
import type { CloudflareWorld } from "./cloudflare.ts";
import type { CommandWorld } from "./command.ts";
import { settleTalos } from "./talos.ts";

export interface TwinWorld {
  /** Seconds since the first deployment started. */
  clock: number;
  kubernetes: KubeWorld;
  /** Absent for a stack on an existing cluster. */
  talos?: TalosWorld;
  proxmox: ProxmoxWorld;
  cloudflare: CloudflareWorld;
  command: CommandWorld;
  /** Per stage, when it started and ended (seconds), for the timings of docs/operations.md and the timeout scenarios. */
  stages: Record<string, { start: number; end: number }>;
}

export function advanceTo(world: TwinWorld, t: number): void {
  world.clock = Math.max(world.clock, t);
  if (world.talos) settleTalos(world);
}

/** Go durations as providers take them (`10m`, `1h30m`, `90s`), in seconds. */
export function goDuration(text: string | undefined, fallback: number): number {
  if (!text) return fallback;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g)) total += Number(n) * (unit === "h" ? 3600 : unit === "m" ? 60 : 1);
  return total;
}

/** The poll interval of the waits the twin models (the providers poll every few seconds). */
const POLL = 5;

/**
 * Polls `check` (undefined = done, else the current reason) until it passes or
 * `timeout` seconds went by; throws `fail(reason)` then, with the clock at the deadline.
 */
export function waitFor(world: TwinWorld, timeout: number, check: () => string | undefined, fail: (reason: string) => Error): void {
  const deadline = world.clock + timeout;
  for (;;) {
    advanceTo(world, world.clock);
    const reason = check();
    if (reason === undefined) return;
    if (world.clock >= deadline) throw fail(reason);
    advanceTo(world, Math.min(deadline, world.clock + POLL));
  }
}

/** Records a stage's span (the first start, the last end). */
export function stage(world: TwinWorld, name: string, start: number): void {
  const prior = world.stages[name];
  world.stages[name] = { start: Math.min(prior?.start ?? start, start), end: Math.max(prior?.end ?? world.clock, world.clock) };
}
