/**
 * npm run golden — rewrites test/golden/ from a fresh synth of every example
 * stack (examples/Pulumi.<stack>.yaml): summary.md, helm/ and talos/. The
 * directory is replaced whole, so files of a renamed or removed stack, node or
 * release go too. Review the diff, then commit it.
 */
import { parseCommandLine } from "./cli.ts";

parseCommandLine(
  "golden",
  `usage: npm run golden
Rewrites test/golden/<stack>/ (summary.md, helm/, talos/) from a fresh synth of every example stack; takes no options.`,
  {},
);
// Loaded after the command line is read, so --help and a typo write nothing.
const { writeFiles } = await import("../synth/write.ts");
const { rmSync } = await import("node:fs");
const { GOLDEN_DIR, goldenFiles } = await import("../synth/golden.ts");

const ROOT = new URL("..", import.meta.url).pathname;
const golden = await goldenFiles(ROOT);
if ("errors" in golden) {
  console.error(`golden: an example stack does not synthesize, nothing written:\n  - ${golden.errors.join("\n  - ")}`);
  process.exit(1);
}
rmSync(`${ROOT}${GOLDEN_DIR}`, { recursive: true, force: true });
for (const [stack, files] of golden) {
  writeFiles(`${ROOT}${GOLDEN_DIR}/${stack}`, files);
  console.log(`golden ${stack}: ${files.size} files → ${GOLDEN_DIR}/${stack}/`);
}
