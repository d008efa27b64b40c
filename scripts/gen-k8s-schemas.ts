/**
 * npm run gen:k8s-schemas -- --spec swagger.json --version 1.36.2 --source "…"
 * rewrites synth/schemas/kubernetes.json, the strict schemas synth validates its
 * built-in objects with, from a Kubernetes release's OpenAPI v2 spec
 * (api/openapi-spec/swagger.json at the release tag). Run it when the Kubernetes
 * the stacks run moves to a new minor, or when synth starts emitting a new built-in kind.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { parseCommandLine } from "./cli.ts";
import { strictKindSchemas, type BuiltinKind } from "./k8s-schemas.ts";

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

const USAGE = 'usage: npm run gen:k8s-schemas -- --spec <swagger.json> --version <x.y.z> --source "<where the spec is from>"';
const args = parseCommandLine("gen:k8s-schemas", USAGE, { spec: { type: "string" }, version: { type: "string" }, source: { type: "string" } });
if (!args.spec || !args.version || !/^\d+\.\d+\.\d+$/.test(args.version) || !args.source) {
  console.error(`gen:k8s-schemas: --spec, --version (x.y.z) and --source are all required.\n${USAGE}`);
  process.exit(2);
}
const swagger = JSON.parse(readFileSync(args.spec, "utf8"));
const schemas = strictKindSchemas(swagger, BUILTIN_KINDS, args.version, args.source);
writeFileSync("synth/schemas/kubernetes.json", `${JSON.stringify(schemas, null, 1)}\n`);
console.log(`wrote synth/schemas/kubernetes.json: ${BUILTIN_KINDS.length} kinds, ${Object.keys(schemas.definitions).length} definitions, Kubernetes ${args.version}`);
