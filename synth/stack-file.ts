/**
 * Reads `Pulumi.<stack>.yaml` the way the Pulumi CLI hands config to a
 * program: full keys, JSON for structured values, secure values marked secret.
 * Secure values cannot be decrypted offline, so each becomes a placeholder.
 */
import { readdirSync, readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import type { StackConfig } from "./recorder.ts";
import { PROJECT } from "./mocks.ts";

const STACK_FILE = /^Pulumi\.(.+)\.yaml$/;

function stackFilePath(stack: string, dir = "."): string {
  return `${dir}/Pulumi.${stack}.yaml`;
}

/** The stacks of a project directory: one per `Pulumi.<stack>.yaml`, sorted. */
export function stackNames(dir = "."): string[] {
  return readdirSync(dir).flatMap((f) => STACK_FILE.exec(f)?.[1] ?? []).sort();
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

/** A stack file that cannot be read as one: missing, not YAML, or without a `config:` mapping. The message names the file (and line). */
export class StackFileError extends Error {
  override readonly name = "StackFileError";
}

function readText(path: string, stack: string, dir: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      const known = stackNames(dir);
      throw new StackFileError(`${path} does not exist; ${known.length ? `the stacks here are ${known.join(", ")}` : "there is no Pulumi.<name>.yaml here"} (create it with: pulumi stack init ${stack}, then pulumi config set …)`);
    }
    throw new StackFileError(`${path} cannot be read (${code ?? String(err)})`);
  }
}

export function readStackConfig(stack: string, dir = "."): StackConfig {
  const path = stackFilePath(stack, dir);
  const doc = parseDocument(readText(path, stack, dir));
  const [error] = doc.errors;
  if (error) {
    const at = error.linePos?.[0];
    const reason = error.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    throw new StackFileError(`${path}${at ? `:${at.line}:${at.col}` : ""}: not valid YAML: ${reason}; fix the file at that line`);
  }
  const content = doc.toJS() as unknown;
  const config = content && typeof content === "object" ? (content as { config?: unknown }).config : undefined;
  if (content !== null && content !== undefined && (typeof content !== "object" || Array.isArray(content) || (config !== undefined && config !== null && (typeof config !== "object" || Array.isArray(config))))) {
    throw new StackFileError(`${path}: expected a mapping with a config: mapping of keys (e.g. config: { homelab:cluster: … }); see the example stacks`);
  }
  return stackConfigFrom((config as Record<string, unknown> | null | undefined) ?? {});
}
