/**
 * npm run synth -- --stack <name> [--out <dir>]
 * Renders out/<name>/ from Pulumi.<name>.yaml without credentials or network.
 */
import { parseArgs } from "node:util";
import { synthStack } from "../synth/synth.ts";
import { writeFiles } from "../synth/write.ts";

const { values } = parseArgs({ options: { stack: { type: "string", default: "homelab" }, out: { type: "string", default: "out" } } });
const stack = values.stack!;
const result = await synthStack(stack);
if (!result.ok) {
  console.error(`synth ${stack}: the stack cannot be deployed as configured (${result.errors.length} problem${result.errors.length === 1 ? "" : "s"}):`);
  for (const e of result.errors) console.error(`  - ${e}`);
  process.exit(1);
}
const dir = `${values.out}/${stack}`;
writeFiles(dir, result.files);
const manifests = [...result.files.keys()].filter((p) => p.startsWith("manifests/")).length;
console.log(`synth ${stack}: ${result.doc.resources.length} resources, ${manifests} Kubernetes objects (validated) → ${dir}/`);
