/**
 * The pure entry to the config: raw `homelab:*` values in, one frozen
 * HomelabConfig (or every problem, one line each) out. No Pulumi runtime here,
 * so the tests and the docs generator use it directly.
 */
import type { z } from "zod";
import { homelabSchema } from "../model/schema.ts";
import { checkConfig, configWarnings } from "./checks/index.ts";
import { formatPath, type ConfigIssue, type KeyPath } from "./checks/issue.ts";
import { resolveConfig, type HomelabConfig } from "../model/resolve.ts";
import { checkStackKeys } from "./stack-keys.ts";
import { closest } from "./suggest.ts";
import { controlCharacter } from "../model/formats.ts";
import { maskCredentials } from "./mask.ts";
import { checkResolved, privateAddressRecords } from "./checks/entry.ts";
import { ACCEPTED_KEYS } from "../model/schema/fields.ts";

export const CONFIG_NAMESPACE = "homelab";

/**
 * Splits a runtime config map (`ns:key` → string) into the `homelab:` values
 * (JSON-decoded) and the names of the secret ones, whose values are left out.
 */
export function homelabEntries(
  all: Readonly<Record<string, string>>,
  isSecret: (fullKey: string) => boolean,
): { raw: Record<string, unknown>; secretKeys: Set<string> } {
  const prefix = `${CONFIG_NAMESPACE}:`;
  const entries: [string, unknown][] = [];
  const secretKeys = new Set<string>();
  for (const [fullKey, value] of Object.entries(all)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    if (isSecret(fullKey)) secretKeys.add(key);
    else entries.push([key, jsonOrString(value)]);
  }
  // fromEntries defines own keys: `raw[key] = …` would turn homelab:__proto__ into raw's prototype, and the key vanish unreported.
  return { raw: Object.fromEntries(entries), secretKeys };
}

/** Structured values arrive as JSON; plain strings stay strings. */
function jsonOrString(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export type ConfigResult =
  | { readonly ok: true; readonly config: HomelabConfig; readonly warnings: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[] };

/**
 * The whole stack config as the runtime hands it over (every namespace): the
 * provider keys and credentials (config/stack-keys.ts), then the `homelab:`
 * schema and checks. Every problem of both is reported at once.
 *
 * @param env the environment, where providers also find their settings
 */
export function parseStackConfig(
  all: Readonly<Record<string, string>>,
  isSecret: (fullKey: string) => boolean,
  env: Readonly<Record<string, string | undefined>> = {},
): ConfigResult {
  return masked(checkStackConfig(all, isSecret, env));
}

/** Every line that leaves the config layer, with credentials masked (config/mask.ts). */
function masked(result: ConfigResult): ConfigResult {
  return result.ok
    ? { ...result, warnings: result.warnings.map(maskCredentials) }
    : { ok: false, errors: result.errors.map(maskCredentials) };
}

function checkStackConfig(
  all: Readonly<Record<string, string>>,
  isSecret: (fullKey: string) => boolean,
  env: Readonly<Record<string, string | undefined>>,
): ConfigResult {
  const { raw, secretKeys } = homelabEntries(all, isSecret);
  const keys = checkStackKeys(all, isSecret, raw, env);
  for (const key of keys.plainHomelabSecrets) {
    delete raw[key];
    secretKeys.add(key);
  }
  const result = checkHomelabConfig(raw, secretKeys);
  if (keys.errors.length === 0) return result.ok ? { ...result, warnings: [...keys.warnings, ...result.warnings] } : result;
  return { ok: false, errors: [...keys.errors, ...(result.ok ? [] : result.errors)] };
}

/**
 * @param raw the stack's `homelab:` keys without the namespace, secret ones left out
 * @param secretKeys names of the `homelab:` keys that hold secrets (their values never reach this function)
 */
export function parseHomelabConfig(raw: Record<string, unknown>, secretKeys: ReadonlySet<string> = new Set()): ConfigResult {
  return masked(checkHomelabConfig(raw, secretKeys));
}

function checkHomelabConfig(raw: Record<string, unknown>, secretKeys: ReadonlySet<string>): ConfigResult {
  const unsafe = unsafeValueLines(raw, []);
  // A `__proto__` key would become an object's prototype while parsing, and the entry vanish silently.
  if (unsafe.some((line) => line.includes(RESERVED_NAME))) return { ok: false, errors: unsafe };
  const parsed = homelabSchema.safeParse(raw);
  if (!parsed.success) {
    const errors = parsed.error.issues.flatMap((issue) => schemaIssueLines(issue, raw));
    return { ok: false, errors: [...unsafe, ...errors, ...crossFieldLinesDespite(parsed.error.issues, raw, secretKeys)] };
  }
  if (unsafe.length > 0) return { ok: false, errors: unsafe };
  const issues = checkConfig(parsed.data, secretKeys);
  if (issues.length > 0) return { ok: false, errors: issues.map((i) => issueLine(i, raw)) };
  const config = resolveConfig(parsed.data);
  const records = privateAddressRecords(config);
  const resolvedIssues = [...checkResolved(config), ...records.errors];
  if (resolvedIssues.length > 0) return { ok: false, errors: resolvedIssues.map((i) => issueLine(i, raw)) };
  return { ok: true, config, warnings: [...configWarnings(parsed.data), ...records.warnings].map((i) => issueLine(i, raw)) };
}

const RESERVED_NAME = "is reserved";

/**
 * What no schema sees: a `__proto__` key (JSON.parse makes it an own key,
 * every later copy or parse turns it into a prototype) and control characters,
 * which no host, path, header or name may carry and which would reach HTTP
 * headers, Traefik rules and YAML files verbatim.
 */
function unsafeValueLines(value: unknown, path: KeyPath): string[] {
  if (typeof value === "string") {
    const c = controlCharacter(value);
    return c
      ? [`homelab:${formatPath(path)}: contains the control character ${c}; remove it (no name, host, path or header value may carry one)`]
      : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => unsafeValueLines(v, [...path, i]));
  if (!value || typeof value !== "object") return [];
  return Object.keys(value).flatMap((key) => {
    const at = [...path, key];
    if (key === "__proto__")
      return [`homelab:${formatPath(at)}: the name __proto__ ${RESERVED_NAME} (JavaScript would drop the entry silently); rename it`];
    return [...unsafeValueLines((value as Record<string, unknown>)[key], at)];
  });
}

/**
 * A misspelt key is the commonest mistake; it should not hide the other problems
 * of the file. When unknown keys are the only schema errors, the rest is checked
 * as if they were absent.
 */
function crossFieldLinesDespite(
  issues: readonly z.core.$ZodIssue[],
  raw: Record<string, unknown>,
  secretKeys: ReadonlySet<string>,
): string[] {
  if (!issues.every((i) => i.code === "unrecognized_keys")) return [];
  const pruned = structuredClone(raw);
  for (const issue of issues) {
    const parent = valueAt(
      pruned,
      issue.path.filter((k): k is string | number => typeof k !== "symbol"),
    ) as Record<string, unknown>;
    if (issue.code === "unrecognized_keys") for (const key of issue.keys) delete parent[key];
  }
  const reparsed = homelabSchema.safeParse(pruned);
  return reparsed.success ? checkConfig(reparsed.data, secretKeys).map((i) => issueLine(i, raw)) : [];
}

function valueAt(raw: unknown, path: KeyPath): unknown {
  let v = raw;
  // Own keys only: `constructor` or `toString` must not find Object.prototype's functions.
  for (const k of path) v = v && typeof v === "object" && Object.hasOwn(v, k) ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}

function shown(v: unknown): string {
  // Masked before it is shortened, so a cut cannot leave a credential too short to recognise.
  const s = maskCredentials(JSON.stringify(v) ?? String(v));
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function issueLine(issue: ConfigIssue, raw: unknown): string {
  const value = valueAt(raw, issue.path);
  const mentioned = value === undefined || typeof value === "object" || issue.message.includes(String(value));
  const got = mentioned ? "" : ` (got ${shown(value)})`;
  return `homelab:${formatPath(issue.path)}: ${issue.message}${got}`;
}

function schemaIssueLines(issue: z.core.$ZodIssue, raw: unknown): string[] {
  const path = issue.path.filter((k): k is string | number => typeof k !== "symbol");
  if (issue.code === "unrecognized_keys") {
    const accepted = issue.message.startsWith(ACCEPTED_KEYS) ? issue.message.slice(ACCEPTED_KEYS.length).split(", ") : [];
    return issue.keys.map((key) => {
      const guess = closest(key, accepted);
      const hint = guess ? `did you mean ${guess}? ` : "";
      return `homelab:${formatPath([...path, key])}: unknown key (a misspelt key would be silently ignored); ${hint}this section accepts: ${accepted.join(", ")}`;
    });
  }
  if (issue.code === "invalid_key") {
    return [
      `homelab:${formatPath(path)}: the name ${path[path.length - 1]} is not a DNS label (lower-case letters, digits and '-', at most 63 characters, which Kubernetes and DNS names require); rename it`,
    ];
  }
  const value = valueAt(raw, path);
  if (value === undefined && issue.code === "invalid_type") {
    // A key may say itself how to fill it in (e.g. configContract: the value to set, once).
    const why = issue.message.startsWith("is required") ? issue.message : `is required (expected ${issue.expected})`;
    return [`homelab:${formatPath(path)}: ${why}`];
  }
  return [issueLine({ path, message: issue.message }, raw)];
}
