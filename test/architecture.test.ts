/**
 * The floor plan, read from the code's own imports (static, re-exports and
 * dynamic): layers point only down, the folders form no cycle, and the
 * deploy path never reaches the policy pack, a peer that shares only
 * contract/ with the program.
 *
 *   contract    facts the program and the pack share (@homelab/contract)
 *   model       the config model: schema, defaults, resolved types
 *   builders    pure spec builders
 *   config      the stack config's entry and the cross-field checks
 *   components  Pulumi ComponentResources
 *   root        the composition root (index.ts, platform.ts)
 *   policies    the CrossGuard pack: contract only
 *   synth, tools, bench, scripts   may use anything below them
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const CONTRACT_PACKAGE = "@homelab/contract";

/** The layers, bottom to top. */
const LAYERS = ["contract", "model", "builders", "config", "components", "root", "policies", "synth", "tools", "bench", "scripts"] as const;
type Layer = (typeof LAYERS)[number];

/** Which layers each layer may import (besides itself). */
const MAY_IMPORT: Readonly<Record<Layer, readonly Layer[]>> = {
  contract: [],
  model: ["contract"],
  builders: ["model", "contract"],
  config: ["builders", "model", "contract"],
  components: ["config", "builders", "model", "contract"],
  root: ["components", "config", "builders", "model", "contract"],
  policies: ["contract"],
  synth: ["policies", "root", "components", "config", "builders", "model", "contract"],
  tools: ["synth", "policies", "root", "components", "config", "builders", "model", "contract"],
  bench: ["tools", "synth", "policies", "root", "components", "config", "builders", "model", "contract"],
  scripts: ["bench", "tools", "synth", "policies", "root", "components", "config", "builders", "model", "contract"],
};

/** What `pulumi up` runs: nothing here may reach the pack. */
const DEPLOY_PATH: readonly Layer[] = ["model", "builders", "config", "components", "root"];

const FOLDERS = LAYERS.filter((l) => l !== "root");
const SOURCE = /\.(ts|js|mjs|cjs)$/;

function filesUnder(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => {
    if (e.name === "node_modules" || (dir === "bench" && e.name === "tmp")) return [];
    const path = `${dir}/${e.name}`;
    return e.isDirectory() ? filesUnder(path) : SOURCE.test(e.name) ? [path] : [];
  });
}

/** Every product file: the layer folders and the composition root's files at the top level. */
const productFiles = [
  ...FOLDERS.filter((f) => existsSync(join(root, f))).flatMap(filesUnder),
  ...readdirSync(root).filter((f) => SOURCE.test(f)),
].sort();

function layerOf(path: string): Layer {
  const top = path.split("/")[0]!;
  if (!path.includes("/")) return "root";
  assert.ok((FOLDERS as readonly string[]).includes(top), `${path} lies in no layer`);
  return top as Layer;
}

/** Module specifiers of a source text: import/export … from, side-effect imports, dynamic import(). */
function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return [
    ...code.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"']+)["']/g),
    ...code.matchAll(/(?:^|\n)\s*import\s*["']([^"']+)["']/g),
    ...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1]!);
}

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly spec: string;
}

/** Each import of one product file by another (the contract package counts as contract/). */
const edges: Edge[] = productFiles.flatMap((from) =>
  specifiers(readFileSync(join(root, from), "utf8")).flatMap((spec): Edge[] => {
    if (spec.startsWith(".")) return [{ from, to: posix.normalize(posix.join(posix.dirname(from), spec)), spec }];
    if (spec === CONTRACT_PACKAGE || spec.startsWith(`${CONTRACT_PACKAGE}/`))
      return [{ from, to: `contract/${spec.slice(CONTRACT_PACKAGE.length + 1)}.ts`, spec }];
    return [];
  }),
);

const crossing = edges.filter((e) => layerOf(e.from) !== layerOf(e.to));
const describeEdge = (e: Edge): string => `${e.from} → ${e.spec} (${layerOf(e.from)} → ${layerOf(e.to)})`;

describe("the folders' imports (the architecture)", () => {
  it("finds the product's files and their imports", () => {
    for (const file of ["contract/tokens.ts", "model/schema.ts", "components/traefik.ts", "policies/rules.ts", "index.ts"])
      assert.ok(productFiles.includes(file), `${file} is read`);
    assert.ok(
      edges.some((e) => e.from === "components/traefik.ts" && e.to === "contract/tokens.ts"),
      "components/traefik.ts imports contract/tokens.ts",
    );
  });

  it("every layer imports only the layers below it", () => {
    const upward = crossing.filter((e) => !MAY_IMPORT[layerOf(e.from)].includes(layerOf(e.to)));
    assert.deepEqual(upward.map(describeEdge), []);
  });

  it("no two folders import each other, directly or round a longer loop", () => {
    const graph = new Map<Layer, Set<Layer>>();
    for (const e of crossing) {
      const targets = graph.get(layerOf(e.from)) ?? new Set<Layer>();
      targets.add(layerOf(e.to));
      graph.set(layerOf(e.from), targets);
    }
    const cycles: string[] = [];
    const walk = (start: Layer, at: Layer, path: readonly Layer[]): void => {
      for (const next of graph.get(at) ?? []) {
        if (next === start) cycles.push([...path, start].join(" → "));
        else if (!path.includes(next) && LAYERS.indexOf(next) > LAYERS.indexOf(start)) walk(start, next, [...path, next]);
      }
    };
    for (const layer of LAYERS) walk(layer, layer, [layer]);
    assert.deepEqual(cycles, []);
  });

  it("the deploy path (model, builders, config, components, index.ts, platform.ts) reaches nothing of the policy pack, even through other files", () => {
    const importsOf = new Map<string, string[]>();
    for (const e of edges) importsOf.set(e.from, [...(importsOf.get(e.from) ?? []), e.to]);
    const reached = new Set(productFiles.filter((f) => DEPLOY_PATH.includes(layerOf(f))));
    const queue = [...reached];
    for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
      for (const next of importsOf.get(file) ?? []) {
        if (!reached.has(next)) {
          reached.add(next);
          queue.push(next);
        }
      }
    }
    assert.deepEqual(
      [...reached].filter((f) => layerOf(f) === "policies"),
      [],
    );
  });

  it("a peer uses the pack through its offline runner only (policies/offline.ts), never its rules' internals", () => {
    const internals = crossing.filter((e) => layerOf(e.to) === "policies" && e.to !== "policies/offline.ts").map(describeEdge);
    assert.deepEqual(internals, []);
  });

  it("contract/ imports nothing but its own modules and Node's", () => {
    const outside = productFiles
      .filter((f) => layerOf(f) === "contract")
      .flatMap((from) =>
        specifiers(readFileSync(join(root, from), "utf8"))
          .filter((spec) => !spec.startsWith("node:") && !(spec.startsWith("./") && !spec.includes("/", 2)))
          .map((spec) => `${from} imports ${spec}`),
      );
    assert.deepEqual(outside, []);
  });

  it("the program reaches contract/ by relative path, the pack by its package name (@homelab/contract) only", () => {
    const wrongWay = edges
      .filter((e) => layerOf(e.to) === "contract" && layerOf(e.from) !== "contract")
      .filter((e) => (layerOf(e.from) === "policies") !== e.spec.startsWith(CONTRACT_PACKAGE))
      .map(describeEdge);
    assert.deepEqual(wrongWay, []);
  });
});
