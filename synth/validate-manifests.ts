/**
 * Synth checks its own output: every Kubernetes object it writes is validated
 * against the schema of its kind (built-in kinds against the strict schemas of the
 * Kubernetes release the stacks run, generated into schemas/kubernetes.json by
 * `npm run gen:k8s-schemas`; the Traefik, cert-manager and Gateway API model packages
 * for their CRDs; strict schemas for MetalLB and Talos' ServiceAccount, which have no
 * models). Unknown fields, missing required fields, wrong types and enum values fail
 * here instead of at `kubectl apply` time.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { z } from "zod";
import { SECRET_MARKER, UNKNOWN_MARKER } from "../contract/tokens.ts";
import kubernetes from "./schemas/kubernetes.json" with { type: "json" };

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: Record<string, unknown>) => Validatable;

const MODEL_PACKAGES: Readonly<Record<string, string>> = {
  "traefik.io": "@kubernetes-models/traefik/traefik.io",
  "cert-manager.io": "@kubernetes-models/cert-manager/cert-manager.io",
  "acme.cert-manager.io": "@kubernetes-models/cert-manager/acme.cert-manager.io",
  "gateway.networking.k8s.io": "@kubernetes-models/gateway-api/gateway.networking.k8s.io",
};

const KUBERNETES_MINOR = kubernetes.kubernetesVersion.split(".").slice(0, 2).join(".");
const KIND_DEFINITIONS: Readonly<Record<string, string>> = kubernetes.kinds;
let builtinAjv: Ajv | undefined;
const builtinValidators = new Map<string, ValidateFunction>();

function builtinValidator(definition: string): ValidateFunction {
  let validate = builtinValidators.get(definition);
  if (!validate) {
    builtinAjv ??= new Ajv({ allErrors: true, allowUnionTypes: true }).addSchema({
      $id: "kubernetes",
      definitions: kubernetes.definitions,
    });
    validate = builtinAjv.compile({ $ref: `kubernetes#/definitions/${definition}` });
    builtinValidators.set(definition, validate);
  }
  return validate;
}

function builtinProblem(e: ErrorObject): string {
  const at = e.instancePath.slice(1).replaceAll("/", ".") || "(object)";
  if (e.keyword === "additionalProperties")
    return `${at}: unknown field "${e.params.additionalProperty}" (Kubernetes ${KUBERNETES_MINOR} has no such field)`;
  if (e.keyword === "required") return `${at}: missing required field "${e.params.missingProperty}"`;
  if (e.keyword === "enum") return `${at}: must be one of ${(e.params.allowedValues as string[]).map((v) => JSON.stringify(v)).join(", ")}`;
  if (e.keyword === "type") return `${at}: must be ${[e.params.type].flat().join(" or ")}`;
  return `${at}: ${e.message}`;
}

/** Built-in kinds: strict, as the API server's `--validate=strict` refuses unknown fields. */
function builtinProblems(apiVersion: string, kind: string, data: Record<string, unknown>): string[] {
  const definition = KIND_DEFINITIONS[`${apiVersion} ${kind}`];
  if (!definition) {
    return [
      `no Kubernetes ${KUBERNETES_MINOR} schema for ${apiVersion} ${kind}; add the kind to BUILTIN_KINDS in scripts/k8s-schemas.ts and rerun npm run gen:k8s-schemas`,
    ];
  }
  const validate = builtinValidator(definition);
  return validate(data) ? [] : (validate.errors ?? []).map(builtinProblem);
}

const crdMeta = z.strictObject({
  name: z.string().min(1),
  namespace: z.string().min(1),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
const METALLB_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  IPAddressPool: z.strictObject({
    apiVersion: z.literal("metallb.io/v1beta1"),
    kind: z.literal("IPAddressPool"),
    metadata: crdMeta,
    spec: z.strictObject({
      addresses: z.array(z.string()).min(1),
      autoAssign: z.boolean().optional(),
      avoidBuggyIPs: z.boolean().optional(),
    }),
  }),
  L2Advertisement: z.strictObject({
    apiVersion: z.literal("metallb.io/v1beta1"),
    kind: z.literal("L2Advertisement"),
    metadata: crdMeta,
    spec: z.strictObject({
      ipAddressPools: z.array(z.string()).optional(),
      interfaces: z.array(z.string()).optional(),
      nodeSelectors: z.array(z.unknown()).optional(),
    }),
  }),
};

/** Talos serves its ServiceAccount kind itself (machine.features.kubernetesTalosAPIAccess); it publishes no models. */
const TALOS_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  ServiceAccount: z.strictObject({
    apiVersion: z.literal("talos.dev/v1alpha1"),
    kind: z.literal("ServiceAccount"),
    metadata: crdMeta,
    spec: z.strictObject({ roles: z.array(z.string().regex(/^os:[a-z:]+$/)).min(1) }),
  }),
};

/** Strict schemas for the groups without model packages, by API group. */
const SCHEMAS_BY_GROUP: Readonly<Record<string, { readonly label: string; readonly schemas: Readonly<Record<string, z.ZodType>> }>> = {
  "metallb.io": { label: "MetalLB", schemas: METALLB_SCHEMAS },
  "talos.dev": { label: "Talos", schemas: TALOS_SCHEMAS },
};

const PLACEHOLDERS: ReadonlySet<unknown> = new Set([UNKNOWN_MARKER, SECRET_MARKER]);

/**
 * Values known only at deploy time ("[unknown]") or kept secret ("[secret]", e.g. a
 * Secret's whole stringData) cannot be checked offline; they are left out, not failed.
 */
function withoutPlaceholders(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => !PLACEHOLDERS.has(v)).map(withoutPlaceholders);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => !PLACEHOLDERS.has(v))
        .map(([k, v]) => [k, withoutPlaceholders(v)]),
    );
  }
  return value;
}

/** Validates one manifest; returns its problems (empty when it is valid). */
async function manifestProblems(manifest: Record<string, unknown>): Promise<string[]> {
  const apiVersion = String(manifest.apiVersion ?? "");
  const kind = String(manifest.kind ?? "");
  if (!apiVersion || !kind) return ["has no apiVersion/kind"];
  const data = withoutPlaceholders(manifest) as Record<string, unknown>;
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const strict = SCHEMAS_BY_GROUP[group!];
  if (strict) {
    const schema = strict.schemas[kind];
    if (!schema) return [`no schema for ${strict.label} kind ${kind}`];
    const result = schema.safeParse(data);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  }
  const modelPackage = MODEL_PACKAGES[group!];
  if (!modelPackage) return builtinProblems(apiVersion, kind, data);
  let Model: ModelClass | undefined;
  try {
    const mod = (await import(`${modelPackage}/${version}/${kind}`)) as Record<string, ModelClass>;
    Model = mod[kind];
  } catch {
    return [`no model for ${apiVersion} ${kind}`];
  }
  if (!Model) return [`no model for ${apiVersion} ${kind}`];
  try {
    new Model(data).validate();
    return [];
  } catch (err) {
    return [(err as Error).message];
  }
}

/** Validates every manifest; returns `path: problem` lines. */
export async function validateManifests(manifests: ReadonlyMap<string, Record<string, unknown>>): Promise<string[]> {
  const problems: string[] = [];
  for (const [path, manifest] of manifests) {
    for (const p of await manifestProblems(manifest)) problems.push(`${path}: ${p}`);
  }
  return problems;
}
