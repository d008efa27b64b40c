/**
 * npm run synth -- --stack <name> [--out <dir>]   one stack (default homelab)
 * npm run synth -- --all                          every Pulumi.<name>.yaml here
 * Renders out/<name>/ without credentials or network; exits 1 on an invalid stack.
 */
import { parseArgs } from "node:util";
import { synthStack } from "../synth/synth.ts";
import { writeFiles } from "../synth/write.ts";
import { stackNames } from "../synth/stack-file.ts";

const { values } = parseArgs({
  options: {
    stack: { type: "string", default: "homelab" },
    all: { type: "boolean", default: false },
    out: { type: "string", default: "out" },
  },
});
const stacks = values.all ? stackNames() : [values.stack!];

let failed = false;
for (const stack of stacks) {
  const result = await synthStack(stack, { env: process.env });
  if (!result.ok) {
    failed = true;
    console.error(`synth ${stack}: the stack cannot be deployed as configured (${result.errors.length} problem${result.errors.length === 1 ? "" : "s"}):`);
    for (const e of result.errors) console.error(`  - ${e}`);
    continue;
  }
  const dir = `${values.out}/${stack}`;
  writeFiles(dir, result.files);
  const manifests = [...result.files.keys()].filter((p) => p.startsWith("manifests/")).length;
  console.log(`synth ${stack}: ${result.doc.resources.length} resources, ${manifests} Kubernetes objects (validated) → ${dir}/`);
}
process.exit(failed ? 1 : 0);
