/**
 * One synth per example stack, shared by every test that reads its output.
 *
 * `npm test` runs `npm run synth -- --all` just before the tests, which writes
 * out/<stack>/ for each example stack. A test reads those files when they are
 * fresh: written after every program file and the stack file last changed, from
 * the example (not an operator's stack of the same name beside Pulumi.yaml), and
 * in an environment that names no credential the stack file lacks (synth then
 * leaves out a placeholder the tests' own synths put in). Otherwise (a test file
 * run alone after an edit) the stack is synthesized in this process, once.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { unsetCredentials } from "../../config/stack-keys.ts";
import type { SynthDocument } from "../../contract/synth-document.ts";
import { EXAMPLES_DIR, readStackConfig } from "../../synth/stack-file.ts";
import { synthStack } from "./runtime-warnings.ts";
import { RESOURCES_FILE, writeFiles } from "../../synth/write.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const EXAMPLES = join(ROOT, EXAMPLES_DIR);
const OUT = join(ROOT, "out");

/** Top-level folders no synth reads: its own output, the tests, the documentation, the benchmarks, the dependencies' sources (package-lock.json stands for them). */
const NOT_READ_BY_SYNTH = new Set([".git", "node_modules", "out", "test", "docs", "examples", "bench"]);

function filesUnder(dir: string, top = false): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === "node_modules" || (top && NOT_READ_BY_SYNTH.has(e.name))) return [];
    const path = join(dir, e.name);
    return e.isDirectory() ? filesUnder(path) : [path];
  });
}

let programChanged: number | undefined;
/** When a file the synth reads last changed (the program, the pack, the schemas, the lock file). */
function programChangedAt(): number {
  programChanged ??= Math.max(...filesUnder(ROOT, true).map((f) => statSync(f).mtimeMs));
  return programChanged;
}

function isFresh(stack: string): boolean {
  // synth --all renders an operator's own Pulumi.<stack>.yaml in place of the example of that name.
  if (existsSync(join(ROOT, `Pulumi.${stack}.yaml`))) return false;
  const stackFile = join(EXAMPLES, `Pulumi.${stack}.yaml`);
  const { values } = readStackConfig(stack, EXAMPLES);
  if (unsetCredentials(values, process.env).length !== unsetCredentials(values, {}).length) return false;
  let written: number;
  try {
    written = statSync(join(OUT, stack, RESOURCES_FILE)).mtimeMs;
  } catch {
    return false;
  }
  return written >= programChangedAt() && written >= statSync(stackFile).mtimeMs;
}

/** out/<stack>/ as synth's file map: path → content, in synth's order (paths sorted by code unit). */
function readOutput(stack: string): ReadonlyMap<string, string> {
  const dir = join(OUT, stack);
  const paths = filesUnder(dir)
    .map((f) => relative(dir, f))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return new Map(paths.map((p) => [p, readFileSync(join(dir, p), "utf8")]));
}

const outputs = new Map<string, Promise<ReadonlyMap<string, string>>>();

async function synthesized(stack: string): Promise<ReadonlyMap<string, string>> {
  const result = await synthStack(stack, { dir: EXAMPLES });
  if (!result.ok) throw new Error(`synth ${stack} failed:\n${result.errors.join("\n")}`);
  return result.files;
}

/** Every file synth writes for an example stack (out/<stack>/), path → content. */
export function exampleOutput(stack: string): Promise<ReadonlyMap<string, string>> {
  let output = outputs.get(stack);
  if (!output) {
    output = isFresh(stack) ? Promise.resolve(readOutput(stack)) : synthesized(stack);
    outputs.set(stack, output);
  }
  return output;
}

/** An example stack's resources.json, parsed; a copy the caller may change. */
export async function exampleDocument(stack: string): Promise<SynthDocument> {
  return JSON.parse((await exampleOutput(stack)).get(RESOURCES_FILE)!) as SynthDocument;
}

/**
 * A folder holding `<stack>/` as `npm run synth` writes it for each of `stacks`,
 * for commands that read synth's output (`npm run policy`): out/ when it is
 * fresh for all of them, else a temporary copy that `remove` deletes.
 */
export async function exampleOutDir(stacks: readonly string[]): Promise<{ readonly dir: string; readonly remove: () => void }> {
  if (stacks.every(isFresh)) return { dir: OUT, remove: () => {} };
  const dir = mkdtempSync(join(tmpdir(), "homelab-out-"));
  for (const stack of stacks) writeFiles(join(dir, stack), await exampleOutput(stack));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
