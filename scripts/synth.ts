/**
 * npm run synth -- --stack <name> [--out <dir>]   one stack (default homelab)
 * npm run synth -- --all                          every Pulumi.<name>.yaml here
 * Renders out/<name>/ without credentials or network; exits 1 on an invalid stack.
 */
import { parseCommandLine } from "./cli.ts";

const USAGE = `usage: npm run synth -- [--stack <name> | --all] [--out <dir>]
  --stack <name>  synthesize Pulumi.<name>.yaml (default homelab)
  --all           synthesize every Pulumi.<name>.yaml in this directory
  --out <dir>     write out/<name>/ under <dir> (default out)`;
const values = parseCommandLine("synth", USAGE, {
  stack: { type: "string", default: "homelab" },
  all: { type: "boolean", default: false },
  out: { type: "string", default: "out" },
});
// Loaded after the command line is read, so --help and a typo answer at once.
const { synthStack } = await import("../synth/synth.ts");
const { writeFiles } = await import("../synth/write.ts");
const { StackFileError, stackNames } = await import("../synth/stack-file.ts");
const stacks = values.all ? stackNames() : [values.stack!];
if (stacks.length === 0) {
  console.error("synth: no Pulumi.<name>.yaml in this directory; run it from the project root.");
  process.exit(2);
}

let failed = false;
for (const stack of stacks) {
  let result: Awaited<ReturnType<typeof synthStack>>;
  try {
    result = await synthStack(stack, { env: process.env });
  } catch (err) {
    if (!(err instanceof StackFileError)) throw err;
    failed = true;
    console.error(`synth ${stack}: ${err.message}`);
    continue;
  }
  if (!result.ok) {
    failed = true;
    console.error(
      `synth ${stack}: the stack cannot be deployed as configured (${result.errors.length} problem${result.errors.length === 1 ? "" : "s"}):`,
    );
    for (const e of result.errors) console.error(`  - ${e}`);
    continue;
  }
  const dir = `${values.out}/${stack}`;
  writeFiles(dir, result.files);
  const manifests = [...result.files.keys()].filter((p) => p.startsWith("manifests/")).length;
  console.log(`synth ${stack}: ${result.doc.resources.length} resources, ${manifests} Kubernetes objects (validated) → ${dir}/`);
  for (const w of result.offlineWarnings) console.log(`  warning: ${w}`);
}
process.exit(failed ? 1 : 0);
