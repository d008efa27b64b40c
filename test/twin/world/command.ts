/**
 * `command:local:Command` as @pulumi/command 1.2.1 runs it (pulumi/pulumi-command
 * v1.2.1 `provider/pkg/provider/local/commandController.go`, `commandOutputs.go`,
 * `provider/pkg/provider/common/inputs.go`): `create` runs on every create that
 * is not a preview, with `/bin/sh -c`, in `dir` (default the working
 * directory), with the provider's environment plus `environment`; an update
 * runs `update`, or `create` when `update` is unset; `triggers` replace
 * (`provider:"replaceOnChanges"`); `delete` runs on delete when set. A failed
 * command fails the step with `<exit error>: running "<command>":\n<output>`.
 * The twin really executes the command line; the world sets PATH and the environment.
 * The day-2 script's lines run the real script against the fake Talos cluster (./talosctl.ts).
 */
import { spawnSync } from "node:child_process";
import type { ResourceModel, StepContext } from "../engine.ts";
import { StepError } from "../engine.ts";
import type { TwinWorld } from "./time.ts";
import { DAY_TWO_PREFIX, runDayTwo } from "./talosctl.ts";

export interface CommandWorld {
  /** The environment the provider runs with (the operator's shell): PATH decides which tools exist. */
  env: Record<string, string>;
  /** The directory `pulumi up` runs in (the project root). */
  cwd: string;
  /** Every command line run, in order. */
  ran: string[];
}

export function commandWorld(cwd: string, env: Record<string, string>): CommandWorld {
  return { env, cwd, ran: [] };
}

function run(c: StepContext<TwinWorld>, command: string): { stdout: string; stderr: string } | Promise<{ stdout: string; stderr: string }> {
  // The day-2 script runs in this process against the fake Talos cluster (test/twin/world/talosctl.ts).
  if (command.startsWith(DAY_TWO_PREFIX)) return runDayTwo(c, command);
  const env = { ...c.world.command.env, ...((c.inputs.environment as Record<string, string> | undefined) ?? {}) };
  c.world.command.ran.push(command);
  const result = spawnSync("/bin/sh", ["-c", command], {
    cwd: String(c.inputs.dir ?? c.world.command.cwd),
    env,
    encoding: "utf8",
    timeout: 120_000,
  });
  if (result.status !== 0) {
    throw new StepError(`exit status ${result.status ?? "signal"}: running ${JSON.stringify(command)}:\n${result.stdout}${result.stderr}`);
  }
  return { stdout: result.stdout.trimEnd(), stderr: result.stderr.trimEnd() };
}

/** What a Command that ran nothing reports. */
const NOTHING_RAN = { stdout: "", stderr: "" };

export const commandModel: ResourceModel<TwinWorld> = {
  replaceKeys: ["triggers"],
  // With no command to run, Create still returns the outputs' zero values (stdout and stderr are
  // required fields of BaseOutputs in local/base.go): empty strings, known in a preview.
  create: (c) => (typeof c.inputs.create === "string" ? run(c, c.inputs.create) : NOTHING_RAN),
  update: (c) => {
    const command = (c.inputs.update ?? c.inputs.create) as string | undefined;
    // An update that runs nothing keeps the previous outputs (commandController.go: BaseOutputs of the old state).
    return command ? run(c, command) : {};
  },
  delete: (c) => {
    if (typeof c.old!.inputs.delete === "string") run({ ...c, inputs: c.old!.inputs }, c.old!.inputs.delete);
  },
};
