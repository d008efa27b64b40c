/**
 * Runs the real program (index.ts) under the mocks with a stack's config.
 * Each run imports index.ts afresh, so one process can synthesize several stacks.
 */
import { recordProgram, type ProgramRun, type StackConfig } from "./recorder.ts";

const INDEX = new URL("../index.ts", import.meta.url).href;
let runs = 0;

export function runStack(config: StackConfig, stack = "homelab"): Promise<ProgramRun<Record<string, unknown>>> {
  runs += 1;
  return recordProgram(async () => ({ ...(await import(`${INDEX}?run=${runs}`)) }) as Record<string, unknown>, config, { stack });
}
