/**
 * Starts a program the way Pulumi's nodejs language host does for this project
 * (`type: module`, runtime option `typescript: false`): the launcher loads its
 * preamble (tracing hooks, source-map support, the SDK runtime) as CommonJS,
 * then `import()`s the program's main file, which Node type-strips. Here the
 * engine is replaced by the project's mocks, and the figure is the time from
 * process start (performance.timeOrigin) to the first resource registration,
 * and the process's CPU time (user + system) by then, which other load on the
 * machine disturbs far less.
 *
 *   node bench/startup-launcher.ts <program.ts>   (stack config JSON in BENCH_STACK_CONFIG)
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";
import { PROJECT, homelabMocks } from "../synth/mocks.ts";
import { report } from "./report.ts";
import type { StackConfig } from "../synth/recorder.ts";

const program = process.argv[2];
if (!program) throw new Error("usage: node bench/startup-launcher.ts <program.ts>");

const require = createRequire(import.meta.url);
const sdkRun = require.resolve("@pulumi/pulumi/cmd/run/run.js");
const fromSdk = createRequire(sdkRun);
fromSdk("./instrumentation");
fromSdk("source-map-support/register");
const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
const launcherReadyMs = performance.now();

const config = JSON.parse(process.env.BENCH_STACK_CONFIG ?? '{"values":{},"secretKeys":[]}') as StackConfig;
await pulumi.runtime.setMocks(homelabMocks, PROJECT, "homelab", false);
pulumi.runtime.setAllConfig({ ...config.values }, [...config.secretKeys]);

let firstResourceMs = 0;
let firstResourceCpuMs = 0;
let firstResource = "";
const registered = new Promise<void>((done) => {
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: { getType(): string; getName(): string }, cb: unknown): unknown;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    if (!firstResourceMs) {
      firstResourceMs = performance.now();
      const cpu = process.cpuUsage();
      firstResourceCpuMs = (cpu.user + cpu.system) / 1000;
      firstResource = `${req.getType()}::${req.getName()}`;
      done();
    }
    return register(req, cb);
  };
});

await import(pathToFileURL(resolve(program)).href);
const programLoadedMs = performance.now();
await registered;
// Every registration must finish before exit, or the SDK's leak check fails the process.
await pulumi.runtime.disconnect();
report({ launcherReadyMs, programLoadedMs, firstResourceMs, firstResourceCpuMs, firstResource, doneMs: performance.now() });
