/**
 * Reads the stack config once, from Pulumi's runtime, and hands the
 * composition root a frozen HomelabConfig plus accessors for the secret keys.
 * A bad config throws ConfigError before any resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, parseStackConfig } from "./validate.ts";
import type { HomelabConfig } from "../model/resolve.ts";

/**
 * Every problem of the stack config, one line each. A RunError, so Pulumi's
 * CLI prints the list without a stack trace: the fix is in the config, not in
 * the program.
 */
export class ConfigError extends pulumi.RunError {
  readonly errors: readonly string[];
  constructor(errors: readonly string[]) {
    super(
      `Invalid stack config (${errors.length} problem${errors.length === 1 ? "" : "s"}); nothing was deployed:\n${errors.map((e) => `  - ${e}`).join("\n")}`,
    );
    this.name = "ConfigError";
    this.errors = errors;
  }
}

export interface StackSecrets {
  /** A secret `homelab:<key>` value, as a Pulumi secret. */
  homelab(key: string): pulumi.Output<string>;
  /** A secret value of another namespace (e.g. `cloudflare:apiToken`), when it is set. */
  optional(fullKey: string): pulumi.Output<string> | undefined;
}

export interface LoadedConfig {
  readonly config: HomelabConfig;
  readonly secrets: StackSecrets;
}

// The SDK marks isConfigSecret @internal; it is the only way to learn which keys are secret
// without decrypting them, and the language host has set it since config secrets existed.
const runtime = pulumi.runtime as typeof pulumi.runtime & { isConfigSecret(key: string): boolean };

export function loadConfig(): LoadedConfig {
  const result = parseStackConfig(pulumi.runtime.allConfig(), (k) => runtime.isConfigSecret(k), process.env);
  if (!result.ok) throw new ConfigError(result.errors);
  for (const warning of result.warnings) void pulumi.log.warn(warning);

  const homelab = new pulumi.Config(CONFIG_NAMESPACE);
  // The SDK parses the whole config (every app's JSON) on each read, so one read per key, not per app that names it.
  const read = new Map<string, pulumi.Output<string>>();
  return {
    config: result.config,
    secrets: {
      homelab: (key) => read.get(key) ?? read.set(key, homelab.requireSecret(key)).get(key)!,
      optional: (fullKey) => {
        const [ns, key] = fullKey.split(":");
        return new pulumi.Config(ns).getSecret(key!);
      },
    },
  };
}
