/**
 * Runs the real program (index.ts) under the mocks with a stack's config.
 * Each run imports index.ts afresh, so one process can synthesize several stacks
 * (and the deployment twin can run one stack's successive deployments).
 */
import { recordProgram, type ProgramRun, type StackConfig } from "./recorder.ts";

const INDEX = new URL("../index.ts", import.meta.url).href;
let runs = 0;

/** The program as the language host runs it: a fresh evaluation of index.ts, its exports the stack's outputs. */
export function indexProgram(): () => Promise<Record<string, unknown>> {
  return async () => {
    runs += 1;
    return { ...(await import(`${INDEX}?run=${runs}`)) } as Record<string, unknown>;
  };
}

export function runStack(config: StackConfig, stack = "homelab"): Promise<ProgramRun<Record<string, unknown>>> {
  return recordProgram(indexProgram(), config, { stack });
}
