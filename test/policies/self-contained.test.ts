/**
 * The pack is publishable on its own (`pulumi policy publish` packages
 * policies/ alone), and what it shares with the program is defined once, in
 * contract, where the program's config and lib read it too.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULTS, CPU_TYPES_WITHOUT_X86_64_V2 as CONFIG_CPU_TYPES } from "../../model/defaults.ts";
import { EXACT_CHART_VERSION as LIB_EXACT_CHART_VERSION, isHttpsRepository as libIsHttpsRepository } from "../../builders/helm.ts";
import { NON_PUBLIC_IPV4 as LIB_NON_PUBLIC_IPV4, isIpv4 as libIsIpv4 } from "../../contract/net.ts";
import { CONTROL_PLANE_LABEL as LIB_CONTROL_PLANE_LABEL, TRAEFIK_CRD_FILES, traefikCrdUrls } from "../../builders/traefik-values.ts";
import {
  EXACT_CHART_VERSION,
  PINNED_CHARTS,
  TRAEFIK_CHART_DEFAULTS,
  isHttpsRepository,
  traefikChartDefaults,
} from "../../contract/charts.ts";
import { NON_PUBLIC_IPV4, isIpv4 } from "../../contract/net.ts";
import { CPU_TYPES_WITHOUT_X86_64_V2, TALOS_DEFAULT_POD_SUBNET } from "../../contract/talos.ts";
import { CONTROL_PLANE_LABEL } from "../../contract/kubernetes.ts";
import { homelabPolicies } from "../../policies/rules.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const pack = join(root, "policies");

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

describe("the policy pack is self-contained", () => {
  it("no file under policies/ imports from outside the folder, and every package it imports is its own dependency", () => {
    const deps = Object.keys(
      (JSON.parse(readFileSync(join(pack, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies,
    );
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

  it("the pack's tsconfig stands alone with the project's compiler options", () => {
    const own = JSON.parse(readFileSync(join(pack, "tsconfig.json"), "utf8")) as { extends?: string; compilerOptions: unknown };
    const project = JSON.parse(readFileSync(join(root, "tsconfig.json"), "utf8")) as { compilerOptions: unknown };
    assert.equal(own.extends, undefined);
    assert.deepEqual(own.compilerOptions, project.compilerOptions);
  });
});

describe("the pack's layout: rules by area, helpers apart", () => {
  const AREAS = ["talos", "traefik", "kubernetes", "helm", "routes", "tls", "dns", "tunnel", "secrets", "gateway", "private"];

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

describe("the program and the pack read the same definitions", () => {
  it("chart versions, chart defaults and CRD files come from contract/charts.ts", () => {
    assert.deepEqual(DEFAULTS.charts, PINNED_CHARTS);
    assert.ok(TRAEFIK_CHART_DEFAULTS[PINNED_CHARTS.traefik.version], "the pinned Traefik chart has its defaults recorded");
    assert.equal(TRAEFIK_CRD_FILES, TRAEFIK_CHART_DEFAULTS[PINNED_CHARTS.traefik.version]!.crdFiles);
    assert.deepEqual(
      traefikCrdUrls("https://example.test/charts", "41.3.0").map((u) => u.split("/").pop()),
      [...traefikChartDefaults("41.3.0").crdFiles],
    );
    assert.equal(LIB_EXACT_CHART_VERSION, EXACT_CHART_VERSION);
    assert.equal(libIsHttpsRepository, isHttpsRepository);
  });

  it("a chart version the table has not met falls back to its major's defaults, else the pinned version's", () => {
    assert.equal(traefikChartDefaults("41.9.9"), TRAEFIK_CHART_DEFAULTS["41.3.0"]);
    assert.equal(traefikChartDefaults("v41.3.0"), TRAEFIK_CHART_DEFAULTS["41.3.0"]);
    assert.equal(traefikChartDefaults("99.0.0"), TRAEFIK_CHART_DEFAULTS[PINNED_CHARTS.traefik.version]);
  });

  it("addresses, Talos facts and labels are the platform module's", () => {
    assert.equal(LIB_NON_PUBLIC_IPV4, NON_PUBLIC_IPV4);
    assert.equal(libIsIpv4, isIpv4);
    assert.equal(CONFIG_CPU_TYPES, CPU_TYPES_WITHOUT_X86_64_V2);
    assert.equal(DEFAULTS.talos.podSubnet, TALOS_DEFAULT_POD_SUBNET);
    assert.equal(LIB_CONTROL_PLANE_LABEL, CONTROL_PLANE_LABEL);
  });
});
