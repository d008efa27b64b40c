/**
 * npm run policy -- --stack <name> [--config policy-config.json] [--out <dir>]
 * Evaluates the policy pack offline against out/<name>/resources.json (from
 * `npm run synth`), with the same `--policy-pack-config` file the Pulumi CLI
 * takes. Exits non-zero on any mandatory violation.
 */
import { existsSync, readFileSync } from "node:fs";
import type { SynthDocument } from "../contract/synth-document.ts";
import { parseCommandLine } from "./cli.ts";

const USAGE = `usage: npm run policy -- [--stack <name>] [--config <policy-config.json>] [--out <dir>]
  --stack <name>     check <dir>/<name>/resources.json from npm run synth (default homelab)
  --config <file>    the --policy-pack-config JSON the Pulumi CLI would take
  --out <dir>        where synth wrote its output (default out)`;
const values = parseCommandLine("policy", USAGE, {
  stack: { type: "string", default: "homelab" },
  config: { type: "string" },
  out: { type: "string", default: "out" },
});
// Loaded after the command line is read, so --help and a typo answer at once.
const { checkStack, formatResult, parsePolicyConfig } = await import("../policies/offline.ts");
const { RESOURCES_FILE } = await import("../synth/write.ts");
const stack = values.stack!;
const file = `${values.out}/${stack}/${RESOURCES_FILE}`;
if (!existsSync(file)) {
  console.error(`policy ${stack}: ${file} does not exist; run \`npm run synth -- --stack ${stack}\` first.`);
  process.exit(2);
}
try {
  const doc = JSON.parse(readFileSync(file, "utf8")) as SynthDocument;
  const config = values.config ? parsePolicyConfig(readFileSync(values.config, "utf8"), values.config) : undefined;
  const result = await checkStack(doc, config);
  console.log(formatResult(stack, result));
  process.exit(result.violations.some((v) => v.level === "mandatory") ? 1 : 0);
} catch (e) {
  console.error(`policy ${stack}: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(2);
}
