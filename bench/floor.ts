/**
 * The floors for the synth benchmark, registered under the same mocks and
 * recorder as the real program, with no components, no Outputs between
 * resources and no dependsOn:
 *
 *   node bench/floor.ts <count>          bare: `count` trivial custom resources (4 small inputs each);
 *                                        what Pulumi's SDK alone costs per resource
 *   node bench/floor.ts --types <json>   typed: as many resources of each type as the program
 *                                        registered ({"type": count}), each through the provider
 *                                        SDK class the program uses (DnsRecord, Ingress, …) with
 *                                        minimal inputs; what the SDK costs for this resource mix
 *
 * With --untraced first, the resources are declared the way index.ts declares
 * the platform (declareWithoutStackTraces), so the floor and the program pay
 * the same for the SDK's stack traces.
 */
import { createRequire } from "node:module";
import { existsSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { recordProgram } from "../synth/recorder.ts";
import { declareWithoutStackTraces } from "../stack-traces.ts";
import { report } from "./report.ts";
import { TYPES } from "../contract/tokens.ts";

const require = createRequire(import.meta.url);

/** The trivial resource class: no defaults, no aliases, inputs passed through. */
class Bare extends pulumi.CustomResource {
  constructor(type: string, name: string, props: pulumi.Inputs) {
    super(type, name, props);
  }
}

type Make = (name: string) => unknown;

const bare: Make = (name) =>
  new Bare(TYPES.configMap, name, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, namespace: "apps", labels: { "app.kubernetes.io/name": name } },
    data: { key: "value" },
  });

type SdkClass = new (name: string, args: Record<string, unknown>) => unknown;
const sdkClass = (module: string, exported: string): SdkClass => (require(module) as Record<string, SdkClass>)[exported]!;

/** Inputs a Kubernetes SDK class refuses to construct without, beyond metadata. */
const REQUIRED_INPUTS: Readonly<Record<string, Record<string, unknown>>> = {
  [TYPES.endpointSlice]: { addressType: "IPv4", endpoints: [] },
};

/** The SDK class the program uses for a type token, with the least inputs it accepts. */
function typed(type: string): Make {
  const [pkg, module, kind] = type.split(":") as [string, string, string];
  if (type === TYPES.dnsRecord) {
    const DnsRecord = sdkClass("@pulumi/cloudflare/dnsRecord.js", "DnsRecord");
    return (name) =>
      new DnsRecord(name, { zoneId: "zone", name: `${name}.example.com`, type: "A", content: "10.0.10.240", proxied: true, ttl: 1 });
  }
  if (pkg === "kubernetes" && module !== "yaml/v2") {
    const metadata = (name: string) => ({ name, namespace: "apps" });
    if (type === TYPES.release) {
      const Release = sdkClass("@pulumi/kubernetes/helm/v3/release.js", "Release");
      return (name) =>
        new Release(name, { chart: "chart", version: "1.0.0", repositoryOpts: { repo: "https://charts.example.com" }, namespace: "apps" });
    }
    const [group, version] = module.split("/") as [string, string];
    const dir = group === "core" ? "core" : group.endsWith(".k8s.io") ? group.slice(0, -".k8s.io".length).split(".").pop()! : undefined;
    const file = dir && `@pulumi/kubernetes/${dir}/${version}/${kind[0]!.toLowerCase()}${kind.slice(1)}.js`;
    if (file && existsSync(require.resolve("@pulumi/kubernetes").replace(/index\.js$/, file.slice("@pulumi/kubernetes/".length)))) {
      const Kind = sdkClass(file, kind);
      return (name) => new Kind(name, { metadata: metadata(name), ...REQUIRED_INPUTS[type] });
    }
    const CustomResource = sdkClass("@pulumi/kubernetes/apiextensions/customResource.js", "CustomResource");
    return (name) => new CustomResource(name, { apiVersion: module, kind, metadata: metadata(name), spec: {} });
  }
  return bare;
}

const untraced = process.argv[2] === "--untraced";
const args = process.argv.slice(untraced ? 3 : 2);

function plan(): [Make, number][] {
  if (args[0] === "--types") {
    const types = JSON.parse(args[1] ?? "{}") as Record<string, number>;
    return Object.entries(types).map(([type, count]) => [typed(type), count]);
  }
  const count = Number(args[0]);
  if (!Number.isInteger(count) || count < 1)
    throw new Error("usage: node bench/floor.ts [--untraced] <count> | [--untraced] --types <json>");
  return [[bare, count]];
}

const makers = plan();
let n = 0;
async function floorProgram(): Promise<void> {
  for (const [make, count] of makers) {
    for (let i = 0; i < count; i++) make(`floor-${String(n++).padStart(5, "0")}`);
  }
}

const start = performance.now();
const run = await recordProgram(untraced ? () => declareWithoutStackTraces(floorProgram) : floorProgram, { values: {}, secretKeys: [] });
const programMs = performance.now() - start;
report({ resources: run.resources.length, programMs });
process.exit(0);
