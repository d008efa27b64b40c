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
import { parseDocument } from "yaml";
import type { StackConfig } from "./recorder.ts";
import { PROJECT } from "./mocks.ts";

const STACK_FILE = /^Pulumi\.(.+)\.yaml$/;

export const EXAMPLES_DIR = "examples";

/** The stacks directly in `dir`: one per `Pulumi.<stack>.yaml`, sorted. */
function stacksIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).flatMap((f) => STACK_FILE.exec(f)?.[1] ?? []).sort() : [];
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
}

function missingStackFile(stack: string, dir: string): StackFileError {
  const there = stackNames(dir);
  return new StackFileError(`no Pulumi.${stack}.yaml in ${dir === "." ? "this directory" : dir} or its ${EXAMPLES_DIR}/ (${there.length ? `the stacks there: ${there.join(", ")}` : "no stacks there"}); create it with \`npm run new-stack -- ${stack}\``);
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

/** A stack file's text as the runtime's config map; `file` names it (and the line) in the error. */
export function parseStackFile(text: string, file: string): StackConfig {
  const doc = parseDocument(text);
  const [error] = doc.errors;
  if (error) {
    const at = error.linePos?.[0];
    const reason = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    throw new StackFileError(`${file}${at ? `:${at.line}:${at.col}` : ""}: not valid YAML: ${reason}; fix the file at that line`);
  }
  const content = doc.toJS() as unknown;
  const config = content && typeof content === "object" ? (content as { config?: unknown }).config : undefined;
  if (content !== null && content !== undefined && (typeof content !== "object" || Array.isArray(content) || (config !== undefined && config !== null && (typeof config !== "object" || Array.isArray(config))))) {
    throw new StackFileError(`${file}: expected a mapping with a config: mapping of keys (e.g. config: { homelab:cluster: … }); see the example stacks`);
  }
  return stackConfigFrom((config as Record<string, unknown> | null | undefined) ?? {});
}
