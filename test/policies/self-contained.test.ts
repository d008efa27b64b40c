/**
 * The pack is a peer of the program: it imports its own files, its
 * package.json dependencies and the shared facts of `@homelab/contract`
 * (contract/, a workspace package neither side owns), never the program.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULTS } from "../../model/defaults.ts";
import { TRAEFIK_CRD_FILES, traefikCrdUrls } from "../../builders/traefik-values.ts";
import { PINNED_CHARTS, TRAEFIK_CHART_DEFAULTS, traefikChartDefaults } from "../../contract/charts.ts";
import { TALOS_DEFAULT_POD_SUBNET } from "../../contract/talos.ts";
import { homelabPolicies } from "../../policies/rules.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const pack = join(root, "policies");
const contract = join(root, "contract");
const CONTRACT = "@homelab/contract";

interface PackageJson {
  readonly name: string;
  readonly type?: string;
  readonly exports?: Record<string, string>;
  readonly dependencies: Record<string, string>;
}
const packageJson = (dir: string): PackageJson => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as PackageJson;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === "node_modules") return [];
    const p = join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : /\.(ts|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
function specifiers(source: string): string[] {
  const found = [
    ...source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;'"]*?from\s*["']([^"']+)["']/g),
    ...source.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
    ...source.matchAll(/(?:^|\n)\s*import\s*["']([^"']+)["']/g),
  ];
  return found.map((m) => m[1]!);
}

describe("the policy pack is a peer of the program", () => {
  it("imports its own files, @homelab/contract and the packages its package.json declares, nothing else", () => {
    const deps = Object.keys(packageJson(pack).dependencies);
    assert.ok(deps.includes(CONTRACT), `policies/package.json declares ${CONTRACT}`);
    const escapes: string[] = [];
    for (const file of sourceFiles(pack)) {
      for (const spec of specifiers(readFileSync(file, "utf8"))) {
        const where = relative(root, file);
        if (spec.startsWith(".")) {
          if (relative(pack, resolve(dirname(file), spec)).startsWith("..")) escapes.push(`${where} imports ${spec}`);
        } else if (!spec.startsWith("node:")) {
          const pkg = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]!;
          if (!deps.includes(pkg)) escapes.push(`${where} imports ${spec}, not a dependency in policies/package.json`);
        }
      }
    }
    assert.deepEqual(escapes, []);
  });

  it("reaches every contract module it names through the package's exports map", () => {
    const { name, type, exports } = packageJson(contract);
    assert.deepEqual({ name, type, exports }, { name: CONTRACT, type: "module", exports: { "./*": "./*.ts" } });
    const modules = new Set(
      readdirSync(contract)
        .filter((f) => f.endsWith(".ts"))
        .map((f) => f.slice(0, -3)),
    );
    const unknown = sourceFiles(pack).flatMap((file) =>
      specifiers(readFileSync(file, "utf8"))
        .filter((spec) => spec.startsWith(`${CONTRACT}/`) && !modules.has(spec.slice(CONTRACT.length + 1)))
        .map((spec) => `${relative(root, file)} imports ${spec}`),
    );
    assert.deepEqual(unknown, []);
  });

  it("loads contract through the workspace link as the program's own modules: Node strips their types (the link resolves outside node_modules) and one instance serves both", async () => {
    assert.equal(realpathSync(join(root, "node_modules", CONTRACT)), contract);
    const byName = (await import(`${CONTRACT}/tokens`)) as typeof import("../../contract/tokens.ts");
    const byPath = await import("../../contract/tokens.ts");
    assert.equal(byName.TYPES, byPath.TYPES);
    assert.equal(byName.COMPONENTS.traefik, "homelab:platform:Traefik");
  });

  it("the pack's tsconfig stands alone with the project's compiler options", () => {
    const own = JSON.parse(readFileSync(join(pack, "tsconfig.json"), "utf8")) as { extends?: string; compilerOptions: unknown };
    const project = JSON.parse(readFileSync(join(root, "tsconfig.json"), "utf8")) as { compilerOptions: unknown };
    assert.equal(own.extends, undefined);
    assert.deepEqual(own.compilerOptions, project.compilerOptions);
  });
});

describe("the pack's layout: rules by area, helpers apart", () => {
  const AREAS = [
    "talos",
    "traefik",
    "traefik-exposure",
    "kubernetes",
    "helm",
    "routes",
    "tls",
    "dns",
    "tunnel",
    "secrets",
    "gateway",
    "private",
  ];

  it("each rule-area file exports rule factories only, and rules.ts lists exactly their rules", async () => {
    const names: string[] = [];
    for (const area of AREAS) {
      const mod = (await import(`../../policies/${area}.ts`)) as Record<string, unknown>;
      for (const [name, factory] of Object.entries(mod)) {
        assert.equal(
          typeof factory,
          "function",
          `policies/${area}.ts exports ${name}, not a rule factory (helpers belong in policies/helpers/)`,
        );
        const policy = (factory as () => { name?: unknown; enforcementLevel?: unknown })();
        assert.ok(typeof policy.name === "string" && policy.enforcementLevel, `policies/${area}.ts: ${name}() is not a rule`);
        names.push(policy.name);
      }
    }
    assert.deepEqual(
      names.sort(),
      homelabPolicies()
        .map((p) => p.name)
        .sort(),
    );
  });

  it("every rule area has its own test file", () => {
    assert.deepEqual(readdirSync(join(root, "test", "policies", "rules")).sort(), AREAS.map((a) => `${a}.test.ts`).sort());
  });
});

describe("the program reads the contract's chart and Talos facts", () => {
  it("the default charts are the pinned ones, and Traefik's CRD files those of the pinned chart version", () => {
    assert.deepEqual(DEFAULTS.charts, PINNED_CHARTS);
    assert.ok(TRAEFIK_CHART_DEFAULTS[PINNED_CHARTS.traefik.version], "the pinned Traefik chart has its defaults recorded");
    assert.deepEqual(TRAEFIK_CRD_FILES, TRAEFIK_CHART_DEFAULTS[PINNED_CHARTS.traefik.version]!.crdFiles);
    assert.deepEqual(
      traefikCrdUrls("https://example.test/charts", "41.3.0").map((u) => u.split("/").pop()),
      [...traefikChartDefaults("41.3.0").crdFiles],
    );
  });

  it("a chart version the table has not met falls back to its major's defaults, else the pinned version's", () => {
    assert.equal(traefikChartDefaults("41.9.9"), TRAEFIK_CHART_DEFAULTS["41.3.0"]);
    assert.equal(traefikChartDefaults("v41.3.0"), TRAEFIK_CHART_DEFAULTS["41.3.0"]);
    assert.equal(traefikChartDefaults("99.0.0"), TRAEFIK_CHART_DEFAULTS[PINNED_CHARTS.traefik.version]);
  });

  it("the default pod network is Talos' own, 10.244.0.0/16", () => {
    assert.equal(TALOS_DEFAULT_POD_SUBNET, "10.244.0.0/16");
    assert.equal(DEFAULTS.talos.podSubnet, TALOS_DEFAULT_POD_SUBNET);
  });
});
