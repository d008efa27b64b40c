/**
 * The pack as users run it: the entry point the Pulumi CLI loads, its
 * metadata, the rules' conventions, the `--policy-pack-config` levels, and
 * `npm run policy` on every example stack.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { createRequire, registerHooks } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { homelabPolicies } from "../../policies/rules.ts";
import { checkStack, normalizeConfig } from "../../policies/offline.ts";
import type { SynthDocument } from "../../contract/synth-document.ts";
import { TYPES, COMPONENTS, INVOKES } from "../../contract/tokens.ts";
import { ROOT, STACKS, change, synthDoc, violationsOf } from "./synth-output.ts";
import { exampleOutDir } from "../helpers/example-output.ts";

const PACK = join(ROOT, "policies");
const RULES = homelabPolicies();
const NAMES = RULES.map((p) => p.name);

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(args: readonly string[], cwd = ROOT): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("the pack's entry point", () => {
  it("constructs one PolicyPack named homelab with every rule of rules.ts, in order", async () => {
    // GIVEN @pulumi/policy replaced, for policies/index.js only, by a PolicyPack that records its arguments
    // (the real constructor starts a gRPC server)
    const stub = `data:text/javascript,${encodeURIComponent("export class PolicyPack { constructor(name, args) { (globalThis.homelabPacks ??= []).push({ name, args }); } }")}`;
    const hooks = registerHooks({
      resolve: (specifier, context, next) =>
        specifier === "@pulumi/policy" && context.parentURL?.endsWith("/policies/index.js")
          ? { url: stub, shortCircuit: true }
          : next(specifier, context),
    });
    try {
      // WHEN the entry point is loaded
      await import(new URL("../../policies/index.js", import.meta.url).href);
    } finally {
      hooks.deregister();
    }
    // THEN it built exactly one pack with the full rule list
    const packs = (globalThis as { homelabPacks?: { name: string; args: { policies: { name: string }[] } }[] }).homelabPacks ?? [];
    assert.equal(packs.length, 1);
    assert.equal(packs[0]!.name, "homelab");
    assert.deepEqual(
      packs[0]!.args.policies.map((p) => p.name),
      NAMES,
    );
  });

  it("is served by Pulumi's own policy-pack launcher (ts-node registered, as `pulumi preview --policy-pack policies` runs it)", async () => {
    // GIVEN the launcher the Pulumi CLI starts for a Node.js pack: run-policy-pack <engine> <pack dir>
    const launcher = createRequire(join(PACK, "package.json")).resolve("@pulumi/pulumi/cmd/run-policy-pack");
    const child = spawn(process.execPath, [launcher, "127.0.0.1:1", "."], { cwd: PACK });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    // WHEN it loads the pack
    const port = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no port announced within 60 s; stderr:\n${stderr}`)), 60_000);
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
        const line = /^(\d+)\s*$/m.exec(stdout)?.[1];
        if (line) {
          clearTimeout(timer);
          resolve(line);
        }
      });
      child.on("close", (code) => {
        clearTimeout(timer);
        reject(new Error(`launcher exited (${String(code)}) before serving; stderr:\n${stderr}`));
      });
    }).finally(() => child.kill());
    // THEN it serves the analyzer and announces its port, with no compile error
    assert.ok(Number(port) > 0);
    assert.doesNotMatch(stderr, /error/i);
  });

  it("is a package the CLI can load: versioned, PulumiPolicy.yaml naming the entry point, installed by the root's npm ci", () => {
    const pkg = JSON.parse(readFileSync(join(PACK, "package.json"), "utf8")) as {
      name: string;
      version: string;
      main: string;
      dependencies: Record<string, string>;
    };
    const manifest = parse(readFileSync(join(PACK, "PulumiPolicy.yaml"), "utf8")) as { runtime: { name: string }; main: string };
    const root = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { workspaces: string[]; scripts: Record<string, string> };
    assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
    assert.equal(manifest.runtime.name, "nodejs");
    assert.equal(manifest.main, "index.js");
    assert.equal(pkg.main, manifest.main);
    assert.ok(existsSync(join(PACK, manifest.main)));
    assert.equal(pkg.dependencies["@pulumi/policy"], "1.21.0");
    assert.ok(root.workspaces.includes("policies"));
    assert.match(root.scripts.typecheck ?? "", /tsc -p policies\/tsconfig\.json/);
  });
});

describe("the rules' conventions", () => {
  it('names are unique kebab-case, descriptions start "Checks that", default levels are advisory or mandatory', () => {
    assert.equal(new Set(NAMES).size, NAMES.length);
    for (const p of RULES) {
      assert.match(p.name, /^[a-z0-9]+(-[a-z0-9]+)+$/, p.name);
      assert.match(p.description, /^Checks that /, p.name);
      assert.ok(p.enforcementLevel === "advisory" || p.enforcementLevel === "mandatory", p.name);
    }
  });

  it("policies/README.md lists every rule with its default level and its description", () => {
    const readme = readFileSync(join(PACK, "README.md"), "utf8");
    const rows = [...readme.matchAll(/^\| `([a-z0-9-]+)` \| (advisory|mandatory) \| (.*) \|$/gm)].map((m) => [
      m[1],
      m[2],
      m[3]!.replaceAll("\\|", "|"),
    ]);
    assert.deepEqual(
      rows,
      RULES.map((p) => [p.name, p.enforcementLevel, p.description]),
    );
  });
});

describe("the pack's config (--policy-pack-config), honoured offline as by the CLI", () => {
  let dashboardExposed: SynthDocument;
  before(async () => {
    dashboardExposed = change(
      await synthDoc("homelab"),
      TYPES.release,
      "traefik-release",
      (r) => (r.inputs.values.ingressRoute.dashboard.enabled = true),
    );
  });

  it('a rule set to "advisory" reports its violation as advisory', async () => {
    const found = await violationsOf(dashboardExposed, "traefik-dashboard-not-exposed", { "traefik-dashboard-not-exposed": "advisory" });
    assert.deepEqual(
      found.map((v) => v.level),
      ["advisory"],
    );
  });

  it('a rule set to { enforcementLevel: "disabled" } does not run', async () => {
    const result = await checkStack(dashboardExposed, { "traefik-dashboard-not-exposed": { enforcementLevel: "disabled" } });
    assert.deepEqual(result.violations, []);
    assert.deepEqual(result.disabled, ["traefik-dashboard-not-exposed"]);
    assert.equal(result.rules, NAMES.length - 1);
  });

  it("\"all\" sets every rule's level and a rule's own entry overrides it", async () => {
    const advisory = await checkStack(dashboardExposed, { all: "advisory" });
    assert.deepEqual(
      advisory.violations.map((v) => [v.policy, v.level]),
      [["traefik-dashboard-not-exposed", "advisory"]],
    );
    const mandatory = await checkStack(dashboardExposed, { all: "advisory", "traefik-dashboard-not-exposed": "mandatory" });
    assert.deepEqual(
      mandatory.violations.map((v) => [v.policy, v.level]),
      [["traefik-dashboard-not-exposed", "mandatory"]],
    );
  });

  it("a rule's properties change what it accepts (cloudflareRanges)", async () => {
    const lan = change(await synthDoc("homelab"), TYPES.release, "traefik-release", (r) =>
      r.inputs.values.ports.web.forwardedHeaders.trustedIPs.push("198.51.100.0/24"),
    );
    assert.deepEqual(
      (await violationsOf(lan, "traefik-forwarded-headers-cloudflare-only")).map(
        (v) => v.message.match(/from (\S+), outside the Cloudflare ranges/)?.[1],
      ),
      ["198.51.100.0/24"],
    );
    const config = {
      "traefik-forwarded-headers-cloudflare-only": {
        cloudflareRanges: ["198.51.100.0/24", "103.21.244.0/22", "104.16.0.0/13", "173.245.48.0/20", "2400:cb00::/32", "2606:4700::/32"],
      },
    };
    assert.deepEqual(await violationsOf(lan, "traefik-forwarded-headers-cloudflare-only", config), []);
  });

  it("refuses unknown rules, levels and properties, listing each", () => {
    assert.throws(
      () =>
        normalizeConfig(
          { "traefik-dashboard": "advisory", "helm-release-pinned": "warn" as never, "traefik-resources-set": { limit: 1 } },
          RULES,
        ),
      (e: Error) => {
        assert.match(e.message, /^Invalid policy pack config:/);
        assert.match(e.message, /traefik-dashboard: no such rule in the pack/);
        assert.match(e.message, /helm-release-pinned: "warn" is not an enforcement level \(advisory, mandatory, remediate, disabled\)/);
        assert.match(e.message, /traefik-resources-set\.limit: unknown property; this rule takes no properties/);
        return true;
      },
    );
  });
});

describe("what the rules see, as the engine hands it over", () => {
  // pulumi/pulumi pkg/resource/deploy: resource policies get each resource's inputs, stack policies
  // its outputs, and a component's outputs are exactly what it passed to registerOutputs.
  it("stack rules read a component's registered outputs, never its constructor's inputs", async () => {
    const doc = await synthDoc("tunnel");
    const tunnel = doc.resources.find((r) => r.type === COMPONENTS.cloudflareTunnel)!;
    assert.deepEqual(tunnel.outputs?.forwarders, tunnel.inputs.forwarders, "the tunnel registers the forwarders the rules read");
    const unregistered = change(doc, COMPONENTS.cloudflareTunnel, "tunnel", (r) => {
      delete r.outputs!.forwarders;
    });
    const violations = await violationsOf(unregistered, "traefik-forwarded-headers-cloudflare-only");
    assert.equal(
      violations.length > 0,
      true,
      "with the forwarders only among its inputs, the rule finds Traefik trusting more than the tunnel",
    );
    const zone = change(doc, COMPONENTS.zoneEdge, "zone-edge", (r) => (r.inputs.sslMode = "flexible"));
    assert.deepEqual(await violationsOf(zone, "cloudflare-zone-ssl-mode"), [], "an input alone changes nothing a stack rule sees");
  });

  it("records each component's registered outputs and every invoke with its arguments, secrets masked", async () => {
    const doc = await synthDoc("single");
    const traefik = doc.resources.find((r) => r.type === COMPONENTS.traefik)!;
    assert.deepEqual(Object.keys(traefik.outputs ?? {}).sort(), ["addresses", "className", "crdFiles", "placement"]);
    const health = doc.invokes!.filter((i) => i.token === INVOKES.talosClusterHealth);
    assert.deepEqual(
      health.map((i) => i.args),
      [
        {
          clientConfiguration: { caCertificate: "[secret]", clientCertificate: "[secret]", clientKey: "[secret]" },
          controlPlaneNodes: ["192.168.1.50"],
          endpoints: ["192.168.1.50"],
          workerNodes: [],
          timeouts: { read: "30m" },
        },
      ],
    );
    const requests = doc.invokes!.filter((i) => i.token === INVOKES.talosMachineConfiguration);
    assert.deepEqual(requests.map((i) => i.args.machineType).sort(), ["controlplane", "worker"]);
    for (const r of requests)
      assert.deepEqual(r.args.machineSecrets, {
        certs: {
          etcd: { cert: "[secret]", key: "[secret]" },
          k8s: { cert: "[secret]", key: "[secret]" },
          k8sAggregator: { cert: "[secret]", key: "[secret]" },
          k8sServiceaccount: { key: "[secret]" },
          os: { cert: "[secret]", key: "[secret]" },
        },
        cluster: { id: "[secret]", secret: "[secret]" },
        secrets: { bootstrapToken: "[secret]", secretboxEncryptionSecret: "[secret]" },
        trustdinfo: { token: "[secret]" },
      });
    assert.equal(JSON.stringify(doc).includes("mock-"), false, "no secret value anywhere");
  });
});

describe("npm run policy", () => {
  let out: Awaited<ReturnType<typeof exampleOutDir>>;
  let edited: string;
  before(async () => {
    // GIVEN every example stack synthesized by `npm run synth` into one output folder (npm test's own out/ when fresh)
    out = await exampleOutDir(STACKS);
    edited = mkdtempSync(join(tmpdir(), "homelab-policy-"));
  });
  after(() => {
    out.remove();
    rmSync(edited, { recursive: true, force: true });
  });

  it("passes on every example stack", async () => {
    const runs = await Promise.all(STACKS.map((stack) => run(["scripts/policy.ts", "--stack", stack, "--out", out.dir])));
    runs.forEach((r, i) => {
      assert.equal(r.code, 0, `${STACKS[i]!}:\n${r.stdout}${r.stderr}`);
      assert.match(
        r.stdout,
        new RegExp(
          `^policy ${STACKS[i]!}: ${NAMES.length} rules checked, ${NAMES.length} passed; 0 mandatory and 0 advisory violations$`,
          "m",
        ),
      );
    });
  });

  it("prints each violation (level, rule, resource, message) and exits non-zero on a mandatory one", async () => {
    // GIVEN a stack whose Talos machine secrets lost protection
    const dir = edited;
    mkdirSync(join(dir, "homelab"), { recursive: true });
    const doc = JSON.parse(readFileSync(join(out.dir, "homelab", "resources.json"), "utf8")) as SynthDocument;
    writeFileSync(
      join(dir, "homelab", "resources.json"),
      JSON.stringify(change(doc, TYPES.talosSecrets, "cluster-secrets", (r) => delete r.options.protect)),
    );
    // WHEN npm run policy checks it
    const r = await run(["scripts/policy.ts", "--stack", "homelab", "--out", dir]);
    // THEN the violation is listed and the exit code blocks the pipeline
    assert.equal(r.code, 1);
    assert.match(
      r.stdout,
      /^✖ \[mandatory\] stateful-resources-protected {2}talos:machine\/secrets:Secrets::cluster-secrets\n {4}Talos machine secrets cluster-secrets is not protected: /m,
    );
    assert.match(r.stdout, /; 1 mandatory and 0 advisory violations \(a deploy would be blocked\)$/m);

    // AND with the rule made advisory through the pack's config file, the same plan passes
    const config = join(dir, "policy-config.json");
    writeFileSync(config, JSON.stringify({ "stateful-resources-protected": "advisory" }));
    const advisory = await run(["scripts/policy.ts", "--stack", "homelab", "--out", dir, "--config", config]);
    assert.equal(advisory.code, 0, advisory.stderr);
    assert.match(advisory.stdout, /^⚠ \[advisory\] stateful-resources-protected /m);
  });

  it("explains how to produce the synth output when it is missing", async () => {
    const r = await run(["scripts/policy.ts", "--stack", "nowhere", "--out", out.dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /policy nowhere: .*nowhere\/resources\.json does not exist; run `npm run synth -- --stack nowhere` first\./);
  });
});
