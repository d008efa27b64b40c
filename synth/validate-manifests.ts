/**
 * Synth checks its own output: every Kubernetes object it writes is validated
 * against the models of its kind (kubernetes-models for core kinds, the
 * Traefik, cert-manager and Gateway API model packages for their CRDs, strict schemas for
 * MetalLB and Talos' ServiceAccount, which have no models). Missing required fields, wrong types and enum
 * values fail here instead of at `kubectl apply` time.
 */
import { z } from "zod";
import { SECRET, UNKNOWN } from "./recorder.ts";

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

function modelModule(apiVersion: string, kind: string): string {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (!group) return `kubernetes-models/${version}/${kind}`;
  return `${MODEL_PACKAGES[group!] ?? `kubernetes-models/${group}`}/${version}/${kind}`;
}

const crdMeta = z.strictObject({ name: z.string().min(1), namespace: z.string().min(1), labels: z.record(z.string(), z.string()).optional(), annotations: z.record(z.string(), z.string()).optional() });
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

const PLACEHOLDERS: ReadonlySet<unknown> = new Set([UNKNOWN, SECRET]);

/**
 * Values known only at deploy time ("[unknown]") or kept secret ("[secret]", e.g. a
 * Secret's whole stringData) cannot be checked offline; they are left out, not failed.
 */
function withoutPlaceholders(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => !PLACEHOLDERS.has(v)).map(withoutPlaceholders);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => !PLACEHOLDERS.has(v)).map(([k, v]) => [k, withoutPlaceholders(v)]));
  }
  return value;
}

/** Validates one manifest; returns its problems (empty when it is valid). */
async function manifestProblems(manifest: Record<string, unknown>): Promise<string[]> {
  const apiVersion = String(manifest.apiVersion ?? "");
  const kind = String(manifest.kind ?? "");
  if (!apiVersion || !kind) return ["has no apiVersion/kind"];
  const data = withoutPlaceholders(manifest) as Record<string, unknown>;
  const strict = SCHEMAS_BY_GROUP[apiVersion.split("/")[0]!];
  if (strict && apiVersion.includes("/")) {
    const schema = strict.schemas[kind];
    if (!schema) return [`no schema for ${strict.label} kind ${kind}`];
    const result = schema.safeParse(data);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  }
  let Model: ModelClass | undefined;
  try {
    const mod = (await import(modelModule(apiVersion, kind))) as Record<string, ModelClass>;
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
