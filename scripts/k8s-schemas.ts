/**
 * Turns the Kubernetes OpenAPI v2 spec (api/openapi-spec/swagger.json of a
 * release) into strict JSON schemas for the built-in kinds synth emits: every
 * object with declared properties refuses the ones it does not declare, as the
 * API server does under `--validate=strict` (`kubectl apply` fails with "unknown
 * field"), each kind's apiVersion and kind are fixed, and string fields of an
 * enum type (see k8s-enums.ts) take only its values.
 */

import type { Enums } from "./k8s-enums.ts";

export interface BuiltinKind {
  readonly apiVersion: string;
  readonly kind: string;
}

/** Every built-in kind synth writes a manifest of (out/<stack>/manifests of all example stacks). */
export const BUILTIN_KINDS: readonly BuiltinKind[] = [
  { apiVersion: "v1", kind: "Namespace" },
  { apiVersion: "v1", kind: "Secret" },
  { apiVersion: "v1", kind: "Service" },
  { apiVersion: "apps/v1", kind: "Deployment" },
  { apiVersion: "batch/v1", kind: "CronJob" },
  { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice" },
  { apiVersion: "networking.k8s.io/v1", kind: "Ingress" },
  { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy" },
  { apiVersion: "policy/v1", kind: "PodDisruptionBudget" },
];

type Schema = Record<string, unknown>;
interface Swagger {
  readonly definitions: Readonly<Record<string, Schema>>;
}

export interface KubernetesSchemas {
  readonly kubernetesVersion: string;
  readonly source: string;
  /** `apiVersion kind` → the name of its definition. */
  readonly kinds: Readonly<Record<string, string>>;
  readonly definitions: Readonly<Record<string, Schema>>;
}

const REF = "#/definitions/";

function groupVersion(apiVersion: string): { group: string; version: string } {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  return { group: group!, version: version! };
}

export function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion} ${kind}`;
}

function definitionOf(swagger: Swagger, { apiVersion, kind }: BuiltinKind): string {
  const { group, version } = groupVersion(apiVersion);
  for (const [name, def] of Object.entries(swagger.definitions)) {
    const gvks = (def["x-kubernetes-group-version-kind"] ?? []) as { group: string; version: string; kind: string }[];
    if (gvks.some((g) => g.group === group && g.version === version && g.kind === kind)) return name;
  }
  throw new Error(`the spec has no definition for ${apiVersion} ${kind}`);
}

/**
 * The spec's int-or-string and quantity are typed "string" but accept JSON numbers
 * (`port: 8080`, `cpu: 1`); its formats (int32, byte, date-time…) are Go encodings
 * the API server checks itself, so they are dropped rather than half-enforced.
 */
function strictSchema(schema: Schema, name?: string, enums?: Readonly<Record<string, string[]>>): Schema {
  if (name === "io.k8s.apimachinery.pkg.util.intstr.IntOrString") return { type: ["integer", "string"] };
  if (name === "io.k8s.apimachinery.pkg.api.resource.Quantity") return { type: ["number", "string"] };
  const out: Schema = {};
  if (typeof schema.$ref === "string") return { $ref: schema.$ref };
  if (schema.type !== undefined) out.type = schema.type;
  if (Array.isArray(schema.required)) out.required = schema.required;
  if (schema.items) out.items = strictSchema(schema.items as Schema);
  if (schema.properties) {
    out.properties = Object.fromEntries(
      Object.entries(schema.properties as Record<string, Schema>).map(([k, v]) => [k, withEnum(strictSchema(v), enums?.[k])]),
    );
    out.additionalProperties = false;
  } else if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
    out.additionalProperties = strictSchema(schema.additionalProperties as Schema);
  }
  return out;
}

function withEnum(schema: Schema, values: string[] | undefined): Schema {
  if (!values) return schema;
  if (schema.type === "string") return { ...schema, enum: values };
  if (schema.type === "array" && (schema.items as Schema | undefined)?.type === "string")
    return { ...schema, items: { ...(schema.items as Schema), enum: values } };
  throw new Error(`an enum on a ${String(schema.type)} property`);
}

function references(schema: unknown, into: Set<string>): void {
  if (Array.isArray(schema)) {
    for (const s of schema) references(s, into);
  } else if (schema && typeof schema === "object") {
    for (const [k, v] of Object.entries(schema)) {
      if (k === "$ref" && typeof v === "string" && v.startsWith(REF)) into.add(v.slice(REF.length));
      else references(v, into);
    }
  }
}

/** The strict schemas of `kinds` and of every definition they reach, nothing else. */
export function strictKindSchemas(
  swagger: Swagger,
  kinds: readonly BuiltinKind[],
  enums: Enums,
  kubernetesVersion: string,
  source: string,
): KubernetesSchemas {
  const kindDefinitions: Record<string, string> = {};
  for (const k of kinds) kindDefinitions[kindKey(k.apiVersion, k.kind)] = definitionOf(swagger, k);
  const definitions: Record<string, Schema> = {};
  const pending = Object.values(kindDefinitions);
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (definitions[name]) continue;
    const def = swagger.definitions[name];
    if (!def) throw new Error(`the spec refers to ${name} but does not define it`);
    definitions[name] = strictSchema(def, name, enums[name]);
    const reached = new Set<string>();
    references(definitions[name], reached);
    pending.push(...reached);
  }
  for (const k of kinds) {
    const def = definitions[kindDefinitions[kindKey(k.apiVersion, k.kind)]!]!;
    const properties = def.properties as Record<string, Schema>;
    properties.apiVersion = { const: k.apiVersion };
    properties.kind = { const: k.kind };
    def.required = [...new Set(["apiVersion", "kind", ...((def.required as string[] | undefined) ?? [])])];
  }
  const sorted = Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => a.localeCompare(b)));
  return { kubernetesVersion, source, kinds: kindDefinitions, definitions: sorted };
}
