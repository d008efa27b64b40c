/**
 * The offline policy check of a generated stack, in a fresh process: every
 * rule of the pack evaluated on a synth document that `bench/synth-child.ts`
 * wrote (so the program run is not part of the figure).
 *
 *   node bench/policy-child.ts <doc.json>
 */
import { readFileSync } from "node:fs";
import { report } from "./report.ts";

const docPath = process.argv[2];
if (!docPath) throw new Error("usage: node bench/policy-child.ts <doc.json>");
const loadStart = performance.now();
const { checkStack } = await import("../policies/offline.ts");
const loadMs = performance.now() - loadStart;
const doc = JSON.parse(readFileSync(docPath, "utf8")) as Parameters<typeof checkStack>[0];
const start = performance.now();
const result = await checkStack(doc);
const ms = performance.now() - start;
report({
  loadMs,
  ms,
  resources: doc.resources.length,
  violations: result.violations.length,
  mandatory: result.violations.filter((v) => v.level === "mandatory").length,
});
