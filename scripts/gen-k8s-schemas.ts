/**
 * npm run gen:k8s-schemas -- --spec swagger.json --api <k8s.io/api checkout> --version 1.36.2 --source "…"
 * rewrites synth/schemas/kubernetes.json, the strict schemas synth validates its
 * built-in objects with: structure from a Kubernetes release's OpenAPI v2 spec
 * (api/openapi-spec/swagger.json at the release tag), enum values from the Go
 * types of k8s.io/api at the matching tag (v0.<minor>.<patch>). Run it when the
 * Kubernetes the stacks run moves to a new minor, or when synth starts emitting a
 * new built-in kind.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseCommandLine } from "./cli.ts";
import { goEnums } from "./k8s-enums.ts";
import { BUILTIN_KINDS, strictKindSchemas } from "./k8s-schemas.ts";

/** The k8s.io/api packages those kinds and the types they embed live in. */
const API_PACKAGES = ["core/v1", "apps/v1", "batch/v1", "discovery/v1", "networking/v1", "policy/v1"];

const USAGE =
  'usage: npm run gen:k8s-schemas -- --spec <swagger.json> --api <k8s.io/api checkout> --version <x.y.z> --source "<where both are from>"';
const args = parseCommandLine("gen:k8s-schemas", USAGE, {
  spec: { type: "string" },
  api: { type: "string" },
  version: { type: "string" },
  source: { type: "string" },
});
if (!args.spec || !args.api || !args.version || !/^\d+\.\d+\.\d+$/.test(args.version) || !args.source) {
  console.error(`gen:k8s-schemas: --spec, --api, --version (x.y.z) and --source are all required.\n${USAGE}`);
  process.exit(2);
}
// Generated code (deepcopy, protobuf) and tests declare no API types or enum values.
const isTypeSource = (file: string) =>
  file.endsWith(".go") && !file.endsWith("_test.go") && !file.startsWith("zz_generated") && !file.startsWith("generated");
let schemas: ReturnType<typeof strictKindSchemas>;
try {
  const sources = Object.fromEntries(
    API_PACKAGES.map((pkg) => {
      const dir = join(args.api!, pkg);
      return [
        pkg,
        readdirSync(dir)
          .filter(isTypeSource)
          .sort()
          .map((f) => readFileSync(join(dir, f), "utf8"))
          .join("\n"),
      ];
    }),
  );
  const swagger = JSON.parse(readFileSync(args.spec, "utf8"));
  schemas = strictKindSchemas(swagger, BUILTIN_KINDS, goEnums(sources), args.version, args.source);
} catch (err) {
  console.error(
    `gen:k8s-schemas: ${(err as Error).message}; --spec is the release's api/openapi-spec/swagger.json, --api a k8s.io/api checkout with ${API_PACKAGES.join(", ")}.`,
  );
  process.exit(1);
}
writeFileSync("synth/schemas/kubernetes.json", `${JSON.stringify(schemas, null, 1)}\n`);
const enumFields = Object.values(schemas.definitions)
  .flatMap((d) => Object.values((d.properties ?? {}) as Record<string, Record<string, unknown>>))
  .filter((p) => p.enum || (p.items as Record<string, unknown> | undefined)?.enum).length;
console.log(
  `wrote synth/schemas/kubernetes.json: ${BUILTIN_KINDS.length} kinds, ${Object.keys(schemas.definitions).length} definitions, ${enumFields} enum fields, Kubernetes ${args.version}`,
);
