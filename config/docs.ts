/**
 * The config reference, generated from the schema (the single definition of
 * the config): docs/config.md for people, docs/config.schema.json for editors.
 */
import { z } from "zod";
import { homelabSchema } from "../model/schema.ts";

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  format?: string;
  minimum?: number;
  maximum?: number;
}

export function configJsonSchema(): JsonSchema & Record<string, unknown> {
  return z.toJSONSchema(homelabSchema, { io: "input", unrepresentable: "any" }) as JsonSchema & Record<string, unknown>;
}

function typeOf(s: JsonSchema): string {
  if (s.const !== undefined) return `\`${JSON.stringify(s.const)}\``;
  if (s.enum) return s.enum.map((e) => `\`${String(e)}\``).join(" \\| ");
  const variants = s.anyOf ?? s.oneOf;
  if (variants) return variants.map(typeOf).join(" \\| ");
  if (s.type === "array") return `list of ${s.items ? typeOf(s.items) : "any"}`;
  if (s.type === "object" && s.additionalProperties && typeof s.additionalProperties === "object") return "map";
  if (s.format) return `${String(s.type)} (${s.format})`;
  return String(s.type ?? "any");
}

export interface Row {
  readonly key: string;
  readonly type: string;
  readonly required: boolean;
  readonly default: string;
  readonly description: string;
}

function rows(s: JsonSchema, path: string, required: boolean, out: Row[]): void {
  const isObjectLeaf = !s.properties && !(s.additionalProperties && typeof s.additionalProperties === "object") && !(s.anyOf ?? s.oneOf);
  if (path) {
    out.push({
      key: path,
      type: typeOf(s),
      required,
      default: s.default === undefined ? "" : `\`${JSON.stringify(s.default)}\``,
      description: (s.description ?? "").replaceAll("|", "\\|"),
    });
  }
  if (isObjectLeaf && s.items?.properties) rows(s.items, `${path}[]`, false, out);
  if (s.properties) {
    for (const [k, v] of Object.entries(s.properties)) rows(v, path ? `${path}.${k}` : k, s.required?.includes(k) ?? false, out);
  }
  if (s.additionalProperties && typeof s.additionalProperties === "object") rows(s.additionalProperties, `${path}.<name>`, false, out);
  for (const variant of s.anyOf ?? s.oneOf ?? []) {
    const tag = variant.properties?.provider?.const;
    const sub: Row[] = [];
    rows({ ...variant, description: undefined }, path, false, sub);
    out.push(...sub.slice(1).map((r) => ({ ...r, key: tag ? `${r.key} (provider ${String(tag)})` : r.key })));
  }
}

/** Every key of the reference, section by section, as docs/config.md lists them. */
export function referenceRows(): Row[] {
  const schema = configJsonSchema();
  return Object.entries(schema.properties ?? {}).flatMap(([section, s]) => {
    const out: Row[] = [];
    rows(s, section, schema.required?.includes(section) ?? false, out);
    return out;
  });
}

export function configMarkdown(): string {
  const schema = configJsonSchema();
  const lines = [
    "# Stack config reference",
    "",
    "Generated from `model/schema.ts` by `npm run gen`; do not edit by hand.",
    "Every key lives in the `homelab:` namespace of `Pulumi.<stack>.yaml`. Unknown keys are errors.",
    "Secrets (`proxmoxve:apiToken`, `cloudflare:apiToken`, `homelab:dns01Token`, the kubeconfig of an existing",
    "cluster, basic-auth users) are set with `pulumi config set --secret` and never appear here.",
    "",
  ];
  for (const [section, s] of Object.entries(schema.properties ?? {})) {
    const out: Row[] = [];
    rows(s, section, schema.required?.includes(section) ?? false, out);
    lines.push(
      `## \`homelab:${section}\``,
      "",
      s.description ?? "",
      "",
      "| key | type | required | default | description |",
      "| --- | --- | --- | --- | --- |",
    );
    for (const r of out) lines.push(`| \`${r.key}\` | ${r.type} | ${r.required ? "yes" : ""} | ${r.default} | ${r.description} |`);
    lines.push("");
  }
  return lines.join("\n");
}
