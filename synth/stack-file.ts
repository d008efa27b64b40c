/**
 * Reads `Pulumi.<stack>.yaml` the way the Pulumi CLI hands config to a
 * program: full keys, JSON for structured values, secure values marked secret.
 * Secure values cannot be decrypted offline, so each becomes a placeholder.
 *
 * The operator's own stacks sit beside Pulumi.yaml, where the Pulumi CLI reads
 * them; the example stacks live in examples/ so that a fresh clone has no stack
 * of its own for the CLI or the workflows to pick up. Offline commands look at
 * the project root first, then at examples/.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import type { StackConfig } from "./recorder.ts";
import { PROJECT } from "./mocks.ts";
import { maskCredentials } from "../config/mask.ts";

const STACK_FILE = /^Pulumi\.(.+)\.yaml$/;

export const EXAMPLES_DIR = "examples";

/** The stacks directly in `dir`: one per `Pulumi.<stack>.yaml`, sorted. */
function stacksIn(dir: string): string[] {
  return existsSync(dir)
    ? readdirSync(dir)
        .flatMap((f) => STACK_FILE.exec(f)?.[1] ?? [])
        .sort()
    : [];
}

/** The operator's own stacks: the `Pulumi.<stack>.yaml` files beside Pulumi.yaml. */
export function projectStackNames(dir = "."): string[] {
  return stacksIn(dir);
}

/** The example stacks shipped in examples/. */
export function exampleStackNames(dir = "."): string[] {
  return stacksIn(`${dir}/${EXAMPLES_DIR}`);
}

/** Every stack offline commands can render: the project's own, then examples not shadowed by one. */
export function stackNames(dir = "."): string[] {
  return [...new Set([...projectStackNames(dir), ...exampleStackNames(dir)])].sort();
}

/** Where a stack's file is: beside Pulumi.yaml, else in examples/; undefined when neither exists. */
export function findStackFile(stack: string, dir = "."): string | undefined {
  return [`${dir}/Pulumi.${stack}.yaml`, `${dir}/${EXAMPLES_DIR}/Pulumi.${stack}.yaml`].find((f) => existsSync(f));
}

/** A stack file that cannot be read as one: missing, not YAML, or without a `config:` mapping. The message names the file (and line); never a stack trace. */
export class StackFileError extends Error {
  override readonly name = "StackFileError";
  constructor(message: string) {
    super(maskCredentials(message));
  }
}

function missingStackFile(stack: string, dir: string): StackFileError {
  const there = stackNames(dir);
  return new StackFileError(
    `no Pulumi.${stack}.yaml in ${dir === "." ? "this directory" : dir} or its ${EXAMPLES_DIR}/ (${there.length ? `the stacks there: ${there.join(", ")}` : "no stacks there"}); create it with \`npm run new-stack -- ${stack}\``,
  );
}

export function secretPlaceholder(key: string): string {
  return `placeholder-for-${key.replace(/[^A-Za-z0-9]+/g, "-")}`;
}

/** Converts the `config:` map of a stack file into the runtime's config map. */
function stackConfigFrom(config: Record<string, unknown>): StackConfig {
  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [rawKey, value] of Object.entries(config)) {
    const key = rawKey.includes(":") ? rawKey : `${PROJECT}:${rawKey}`;
    if (value && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
      values[key] = secretPlaceholder(key);
      secretKeys.push(key);
    } else {
      values[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return { values, secretKeys };
}

export function readStackConfig(stack: string, dir = "."): StackConfig {
  const file = findStackFile(stack, dir);
  if (!file) throw missingStackFile(stack, dir);
  return readStackFile(file);
}

/** One stack file, wherever it is (a generated file in a temporary directory, a modified copy). */
export function readStackFile(file: string): StackConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new StackFileError(`${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseStackFile(text, file);
}

/**
 * The largest stack file read. The Pulumi CLI reads every stack file whole on
 * each command; a hand-written config is kilobytes (2,000 apps are under 1 MB),
 * so anything near this is generated or pasted by mistake, and refusing it
 * bounds the parse.
 */
export const MAX_STACK_FILE_BYTES = 8 * 1024 * 1024;

/**
 * The most values the file may stand for once aliases are expanded. Anchors
 * and merge keys are ordinary (a middleware block shared by 200 apps, and the
 * Pulumi CLI resolves them: pulumi/pulumi#6480), but an alias of an alias of …
 * doubles with each level: the yaml package shares one object per anchor, and
 * the JSON each config value becomes would be exponential in the file's size.
 */
export const MAX_EXPANDED_VALUES = 1_000_000;

/** The most aliases a stack file may hold (200 apps sharing two blocks use 400). */
export const MAX_ALIASES = 10_000;

/** A stack file's text as the runtime's config map; `file` names it (and the line) in the error. */
export function parseStackFile(text: string, file: string): StackConfig {
  if (text.length > MAX_STACK_FILE_BYTES) {
    throw new StackFileError(
      `${file}: ${(text.length / 1024 / 1024).toFixed(1)} MB is more than a stack file holds (at most ${MAX_STACK_FILE_BYTES / 1024 / 1024} MB; a 2,000-app config is under 1 MB); check that the right file was written`,
    );
  }
  const lines = new LineCounter();
  // uniqueKeys: the package's own check compares every key with every other (quadratic); structureProblem below is one pass.
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, merge: true });
  const at = (offset: number) => {
    const { line, col } = lines.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  const [error] = doc.errors;
  if (error) {
    const pos = error.linePos?.[0];
    const first = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    const reason = first.includes("Maximum call stack size exceeded") ? "nested too deeply to read" : first;
    throw new StackFileError(`${file}${pos ? `:${pos.line}:${pos.col}` : ""}: not valid YAML: ${reason}; fix the file at that line`);
  }
  const problem = structureProblem(doc.contents);
  if (problem) throw new StackFileError(`${at(problem.offset)}: ${problem.message}`);
  // Expansion is bounded above, so the package's own alias limit (100 uses of one anchor) is not needed.
  const content = doc.toJS({ maxAliasCount: -1 }) as unknown;
  const config = content && typeof content === "object" ? (content as { config?: unknown }).config : undefined;
  if (
    content !== null &&
    content !== undefined &&
    (typeof content !== "object" ||
      Array.isArray(content) ||
      (config !== undefined && config !== null && (typeof config !== "object" || Array.isArray(config))))
  ) {
    throw new StackFileError(
      `${file}: expected a mapping with a config: mapping of keys (e.g. config: { homelab:cluster: … }); see the example stacks`,
    );
  }
  return stackConfigFrom((config as Record<string, unknown> | null | undefined) ?? {});
}

/**
 * One pass over the document, in document order: a key given twice in one
 * mapping (the YAML spec forbids it), the number of aliases (the yaml
 * package looks each one up among the anchors before it, so their cost is
 * quadratic in their number), an alias inside its own anchor, and how many values
 * the document stands for with every alias expanded (each anchored node's
 * size is counted once, so the pass is linear however deep aliases nest).
 */
function structureProblem(root: Node | null): { offset: number; message: string } | undefined {
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, number>();
  let aliases = 0;
  let problem: { offset: number; message: string } | undefined;
  const report = (node: unknown, message: string) => {
    problem ??= { offset: (node as Node | null)?.range?.[0] ?? 0, message };
  };
  const size = (node: unknown): number => {
    if (problem || !node || typeof node !== "object") return 1;
    if (isAlias(node)) {
      if (++aliases > MAX_ALIASES)
        report(
          node,
          `more than ${MAX_ALIASES.toLocaleString("en")} aliases; a stack file needs far fewer (merge a shared block once per app)`,
        );
      const target = anchors.get(node.source);
      if (!target) return 1;
      const n = sizes.get(target);
      // Not counted yet: the alias lies inside its own anchor, a loop that has no JSON value.
      if (n === undefined)
        report(
          node,
          `the alias *${node.source} lies inside the node it names (&${node.source}), a loop no config value can hold; copy the value instead`,
        );
      return n ?? 1;
    }
    const anchor = (node as Node).anchor;
    if (anchor) anchors.set(anchor, node as Node);
    let n = 1;
    const add = (child: unknown) => {
      n += size(child);
      if (n > MAX_EXPANDED_VALUES)
        report(
          child,
          `with its aliases expanded the file stands for more than ${MAX_EXPANDED_VALUES.toLocaleString("en")} values (each level of aliases of aliases multiplies them); use fewer levels of anchors`,
        );
    };
    if (isMap(node)) {
      const keys = new Set<string>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key !== undefined && key !== "<<") {
          if (keys.has(key))
            report(
              pair.key,
              `the key ${key} appears twice in one mapping, which YAML forbids (which one counts would depend on the reader); keep one`,
            );
          keys.add(key);
        }
        add(pair.key);
        add(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) add(item);
    }
    sizes.set(node as Node, n);
    return n;
  };
  size(root);
  return problem;
}
