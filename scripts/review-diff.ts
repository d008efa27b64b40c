/**
 * npm run review-diff -- <base-out> <head-out> [--previews <dir>] > comment.md
 * Renders the pull request's review comment from two synth outputs (each an
 * out/ directory of `npm run synth -- --all`) and, when given, Pulumi's preview
 * text per stack (<dir>/<stack>.txt).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseCommandLineWithArguments } from "./cli.ts";
import { reviewComment } from "../tools/review-diff.ts";
import type { OutTree } from "../tools/review-files.ts";

const USAGE = `usage: npm run review-diff -- <base-out> <head-out> [--previews <dir>] > comment.md
  <base-out>        out/ of \`npm run synth -- --all\` on the base (a missing one: every stack is new)
  <head-out>        the same on the head
  --previews <dir>  Pulumi's preview output per stack, <dir>/<stack>.txt`;

function filesUnder(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string) => {
    for (const entry of readdirSync(d).sort()) {
      const full = join(d, entry);
      if (statSync(full).isDirectory()) walk(full);
      else files.set(relative(dir, full), readFileSync(full, "utf8"));
    }
  };
  walk(dir);
  return files;
}

/** out/<stack>/…; a missing out/ (the base did not synthesize) is an empty tree. */
function outTree(dir: string): OutTree {
  if (!existsSync(dir)) return new Map();
  return new Map(
    readdirSync(dir)
      .filter((s) => statSync(join(dir, s)).isDirectory())
      .map((s) => [s, filesUnder(join(dir, s))]),
  );
}

const { values, positionals } = parseCommandLineWithArguments("review-diff", USAGE, { previews: { type: "string" } });
if (positionals.length !== 2) {
  console.error(`review-diff: give the base and the head out/ directories.\n${USAGE}`);
  process.exit(2);
}
const previews =
  values.previews && existsSync(values.previews)
    ? new Map(
        readdirSync(values.previews)
          .filter((f) => f.endsWith(".txt"))
          .map((f) => [f.slice(0, -4), readFileSync(join(values.previews!, f), "utf8")]),
      )
    : undefined;
process.stdout.write(
  `${reviewComment({ base: outTree(positionals[0]!), head: outTree(positionals[1]!), ...(previews ? { previews } : {}) })}\n`,
);
