/**
 * Reads `Pulumi.<stack>.yaml` the way the Pulumi CLI hands config to a
 * program: full keys, JSON for structured values, secure values marked secret.
 * Secure values cannot be decrypted offline, so each becomes a placeholder.
 */
import { readdirSync, readFileSync } from "node:fs";
import { parse } from "yaml";
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

export function readStackConfig(stack: string, dir = "."): StackConfig {
  const doc = parse(readFileSync(stackFilePath(stack, dir), "utf8")) as { config?: Record<string, unknown> } | null;
  return stackConfigFrom(doc?.config ?? {});
}
