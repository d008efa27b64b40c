/**
 * renovate.json keeps what the stack pins current: the regex managers must
 * find every chart, the Gateway API release and the Talos version where they
 * are pinned, with the version pinned there (Renovate's own validator checks
 * the config's shape in CI: npm run renovate:validate).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { DEFAULTS } from "../../model/defaults.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

interface RegexManager {
  readonly managerFilePatterns: readonly string[];
  readonly matchStrings: readonly string[];
  readonly depNameTemplate?: string;
  readonly datasourceTemplate: string;
}

const config = JSON.parse(readFileSync(join(ROOT, "renovate.json"), "utf8")) as { customManagers: RegexManager[] };

/** Renovate's `/regex/` file patterns, applied to the repository's tracked top-level, example-stack and source files. */
function managedFiles(manager: RegexManager): string[] {
  const files = [
    ...readdirSync(ROOT),
    ...["examples", "config", "model", "builders", "tools", "components", "contract", ".github/workflows"].flatMap((d) =>
      readdirSync(join(ROOT, d)).map((f) => `${d}/${f}`),
    ),
  ];
  const patterns = manager.managerFilePatterns.map((p) => new RegExp(p.slice(1, -1)));
  return files.filter((f) => patterns.some((p) => p.test(f)));
}

/** What Renovate extracts: depName → versions, over every file the manager covers. */
function extracted(): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  for (const manager of config.customManagers) {
    for (const file of managedFiles(manager)) {
      const text = readFileSync(join(ROOT, file), "utf8");
      for (const source of manager.matchStrings) {
        for (const m of text.matchAll(new RegExp(source, "g"))) {
          const name = m.groups?.depName ?? manager.depNameTemplate!;
          deps.set(`${manager.datasourceTemplate}:${name}`, [
            ...(deps.get(`${manager.datasourceTemplate}:${name}`) ?? []),
            `${file}=${m.groups!.currentValue}`,
          ]);
        }
      }
    }
  }
  return deps;
}

describe("renovate.json", () => {
  const deps = extracted();

  it("finds every Helm chart of the defaults at its pinned version, in contract/charts.ts (shared with the pack)", () => {
    assert.deepEqual(Object.keys(DEFAULTS.charts).sort(), ["certManager", "metallb", "traefik"]);
    for (const chart of Object.values(DEFAULTS.charts)) {
      assert.deepEqual(deps.get(`helm:${chart.chart}`), [`contract/charts.ts=${chart.version}`], chart.chart);
    }
  });

  it("finds the Gateway API release in the defaults and the example stack that pins it", () => {
    assert.deepEqual(deps.get("github-releases:kubernetes-sigs/gateway-api")?.sort(), [
      "examples/Pulumi.gateway.yaml=v1.5.1",
      "model/defaults.ts=v1.5.1",
    ]);
    assert.equal(DEFAULTS.gatewayApi.version, "v1.5.1");
  });

  it("finds the Talos version in the defaults and in every example stack that sets it, whatever the talos keys' order", () => {
    // Which stacks pin a release is read from the YAML itself, not with a regex like the manager's.
    const pinned = readdirSync(join(ROOT, "examples"))
      .filter((f) => /^Pulumi\.[^.]+\.yaml$/.test(f))
      .flatMap((f) => {
        const version = (
          parse(readFileSync(join(ROOT, "examples", f), "utf8")) as { config: Record<string, { talos?: { version?: string } } | undefined> }
        ).config["homelab:cluster"]?.talos?.version;
        return version ? [`examples/${f}=${version}`] : [];
      });
    // gateway sets configContract before version, homelab and lab after it.
    assert.deepEqual(pinned, [
      "examples/Pulumi.gateway.yaml=v1.13.9",
      "examples/Pulumi.homelab.yaml=v1.13.9",
      "examples/Pulumi.lab.yaml=v1.13.9",
    ]);
    // No workflow pins talosctl: each job installs the release its stack names (scripts/talosctl-version.ts).
    assert.deepEqual(
      deps.get("github-releases:siderolabs/talos")?.sort(),
      [`model/defaults.ts=${DEFAULTS.talos.version}`, ...pinned].sort(),
    );
  });

  it("finds the pinned Kubernetes in every Talos example and the new-stack default, and gates its minors", () => {
    const k8s = deps.get("github-releases:kubernetes/kubernetes")!.sort();
    assert.deepEqual(k8s, [
      ...["edge", "gateway", "homelab", "lab", "single", "tunnel"].map((s) => `examples/Pulumi.${s}.yaml=1.36.3`),
      `model/defaults.ts=${DEFAULTS.talos.kubernetesDefault}`,
    ]);
    const raw = JSON.parse(readFileSync(join(ROOT, "renovate.json"), "utf8")) as {
      packageRules: { matchPackageNames?: string[]; matchUpdateTypes?: string[]; dependencyDashboardApproval?: boolean }[];
    };
    assert.ok(
      raw.packageRules.some(
        (r) =>
          r.matchPackageNames?.includes("kubernetes/kubernetes") && r.matchUpdateTypes?.includes("minor") && r.dependencyDashboardApproval,
      ),
    );
  });

  it("finds the talos-backup image, whose tag starts with v", () => {
    assert.deepEqual(deps.get("docker:ghcr.io/siderolabs/talos-backup"), [`model/defaults.ts=${DEFAULTS.backup.image.split(":")[1]}`]);
  });

  it("moves the workflows' Pulumi CLI with the program's SDK, in both workflows", () => {
    const sdk = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { dependencies: Record<string, string> }).dependencies[
      "@pulumi/pulumi"
    ];
    assert.deepEqual(deps.get("npm:@pulumi/pulumi"), [`.github/workflows/preview.yml=${sdk}`, `.github/workflows/up.yml=${sdk}`]);
  });

  it("keeps the validator's own Renovate release current", () => {
    assert.deepEqual(deps.get("npm:renovate"), ["package.json=44.121.2"]);
  });

  it("leaves npm packages and GitHub actions to Renovate's built-in managers, pinned exactly", () => {
    const raw = JSON.parse(readFileSync(join(ROOT, "renovate.json"), "utf8")) as { extends: string[]; rangeStrategy: string };
    assert.ok(raw.extends.includes("config:recommended"), "config:recommended enables the npm and github-actions managers");
    assert.equal(raw.rangeStrategy, "pin");
  });
});
