/**
 * One synth measurement in a fresh process: the example cluster with N
 * generated apps.
 *
 *   node bench/synth-child.ts <apps> program [doc.json]   runStack: index.ts under the mocks and the recorder
 *   node bench/synth-child.ts <apps> synth                synthStack: the whole offline synth (npm run synth)
 *
 * <apps> is a number of generated apps, or `example` for the example stack as it is.
 *
 * The program's modules are loaded first and timed apart (loadMs), so the
 * figure that scales with the apps is the program run itself. With doc.json,
 * the program mode also writes the synth document (after timing) for the
 * policy benchmark.
 */
import { writeFileSync } from "node:fs";
import { readStackConfig } from "../synth/stack-file.ts";
import { runStack } from "../synth/run-stack.ts";
import { PROJECT } from "../synth/mocks.ts";
import { synthStack } from "../synth/synth.ts";
import { synthDocument } from "../synth/write.ts";
import { withGeneratedApps } from "./generate.ts";
import { report } from "./report.ts";

const ROOT = new URL("..", import.meta.url).pathname;
/** The process's peak resident memory so far (the kernel's maxrss), in MB. */
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;
const [appsArg, mode = "program", docPath] = process.argv.slice(2);
const apps = appsArg === "example" ? appsArg : Number(appsArg);
if ((apps !== "example" && (!Number.isInteger(apps) || apps < 0)) || (mode !== "program" && mode !== "synth")) {
  throw new Error("usage: node bench/synth-child.ts <apps>|example program [doc.json] | <apps>|example synth");
}

const example = readStackConfig("homelab", ROOT);
const config = apps === "example" ? example : withGeneratedApps(example, apps);
const loadStart = performance.now();
await import("../platform.ts");
const loadMs = performance.now() - loadStart;

const start = performance.now();
if (mode === "program") {
  const run = await runStack(config, "bench");
  const ms = performance.now() - start;
  const types: Record<string, number> = {};
  for (const r of run.resources) types[r.type] = (types[r.type] ?? 0) + 1;
  if (docPath) writeFileSync(docPath, JSON.stringify(synthDocument("bench", PROJECT, run.resources, run.outputs)));
  report({ apps, mode, loadMs, ms, resources: run.resources.length, types, peakRssMb: peakRssMb() });
} else {
  const result = await synthStack("bench", { config });
  if (!result.ok) throw new Error(`synth failed:\n${result.errors.join("\n")}`);
  report({
    apps,
    mode,
    loadMs,
    ms: performance.now() - start,
    resources: result.doc.resources.length,
    files: result.files.size,
    peakRssMb: peakRssMb(),
  });
}
process.exit(0);
