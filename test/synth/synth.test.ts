import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import type { SynthResult } from "../../synth/synth.ts";
import { synthStack } from "../helpers/runtime-warnings.ts";
import { EXAMPLES_DIR, exampleStackNames, secretPlaceholder } from "../../synth/stack-file.ts";
import { exampleStack, exampleConfig } from "../helpers/config.ts";
import { exampleOutput } from "../helpers/example-output.ts";
import { summaryMarkdown } from "../../synth/summary.ts";
import { validateManifests } from "../../synth/validate-manifests.ts";
import { parse, parseAllDocuments } from "yaml";
import { TYPES } from "../../contract/tokens.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const EXAMPLES = `${ROOT}${EXAMPLES_DIR}`;
const STACKS = exampleStackNames(ROOT);

function files(result: SynthResult): ReadonlyMap<string, string> {
  if (!result.ok) throw new Error(`synth failed:\n${result.errors.join("\n")}`);
  return result.files;
}

describe("offline synth of the homelab stack, file by file", () => {
  let out: ReadonlyMap<string, string>;
  before(async () => {
    out = await exampleOutput("homelab");
  });

  it("writes one values file per Helm release and one patch file per Talos node, named after it", () => {
    assert.deepEqual(
      [...out.keys()].filter((p) => /^(helm|talos)\//.test(p)),
      [
        "helm/cert-manager.values.yaml",
        "helm/metallb.values.yaml",
        "helm/traefik.values.yaml",
        "talos/cp1.yaml",
        "talos/cp2.yaml",
        "talos/cp3.yaml",
        "talos/worker1.yaml",
        "talos/worker2.yaml",
      ],
    );
    assert.equal([...out.keys()].filter((p) => p.startsWith("manifests/")).length, 54);
    assert.deepEqual(
      [...out.keys()].filter((p) => p.startsWith("manifests/etcd-backup/")),
      [
        "manifests/etcd-backup/cronjob.batch.talos-backup.yaml",
        "manifests/etcd-backup/secret.core.talos-backup-s3.yaml",
        "manifests/etcd-backup/serviceaccount.talos.dev.talos-backup.yaml",
      ],
    );
  });

  it("writes each node's patches in order, the VIP document on control planes only, the host firewall last", () => {
    const docs = (node: string) =>
      parseAllDocuments(out.get(`talos/${node}.yaml`)!).map((d) => d.toJS() as { kind?: string; name?: string });
    const kinds = (node: string) =>
      docs(node).map((d) => (d.kind === "NetworkRuleConfig" ? `rule ${d.name}` : (d.kind ?? "(machine config)")));
    const nodeRules = ["rule apid-ingress", "rule kubelet-ingress", "rule cni-vxlan"];
    const metallbRules = ["rule metallb-memberlist-tcp", "rule metallb-memberlist-udp"];
    assert.deepEqual(kinds("cp1"), [
      "(machine config)",
      "HostnameConfig",
      "LinkConfig",
      "ResolverConfig",
      "Layer2VIPConfig",
      "NetworkDefaultActionConfig",
      ...nodeRules,
      "rule kubernetes-api-ingress",
      "rule trustd-ingress",
      "rule etcd-ingress",
      "rule apid-ingress-etcd-backup",
      ...metallbRules,
    ]);
    assert.deepEqual(kinds("worker1"), [
      "(machine config)",
      "HostnameConfig",
      "LinkConfig",
      "ResolverConfig",
      "NetworkDefaultActionConfig",
      ...nodeRules,
      ...metallbRules,
    ]);
  });

  it("writes a Secret with its keys and each value masked, a manifest Kubernetes accepts", async () => {
    const token = parse(out.get("manifests/cert-manager/secret.core.cloudflare-api-token.yaml")!) as Record<string, unknown>;
    assert.deepEqual(token.stringData, { "api-token": "[secret]" });
    const users = parse(out.get("manifests/apps/secret.core.traefik-admin-basic-auth-users.yaml")!) as Record<string, unknown>;
    assert.deepEqual(users.stringData, { users: "[secret]" });
    assert.deepEqual(
      await validateManifests(
        new Map([
          ["token", token],
          ["users", users],
        ]),
      ),
      [],
    );
  });

  it("keeps the shape of secret objects in resources.json: keys visible, leaves masked", () => {
    const doc = JSON.parse(out.get("resources.json")!) as { resources: { type: string; name: string; inputs: Record<string, unknown> }[] };
    const kubeconfig = doc.resources.find((r) => r.type === TYPES.kubeconfig)!;
    assert.deepEqual(kubeconfig.inputs.clientConfiguration, {
      caCertificate: "[secret]",
      clientCertificate: "[secret]",
      clientKey: "[secret]",
    });
  });

  it("writes the Helm values the release is installed with", () => {
    const traefik = parse(out.get("helm/traefik.values.yaml")!) as { service: { annotations: Record<string, string> } };
    assert.equal(traefik.service.annotations["metallb.io/loadBalancerIPs"], "10.0.10.240");
  });

  it("rejects an object the Kubernetes 1.36 schema refuses, naming the file and the field", async () => {
    const ingress = {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "x", namespace: "apps" },
      spec: {
        rules: [{ host: "a.example.com", http: { paths: [{ path: "/", backend: { service: { name: "s", port: { number: 80 } } } }] } }],
      },
    };
    assert.deepEqual(await validateManifests(new Map([["manifests/apps/ingress.networking.k8s.io.x.yaml", ingress]])), [
      'manifests/apps/ingress.networking.k8s.io.x.yaml: spec.rules.0.http.paths.0: missing required field "pathType"',
    ]);
  });
});

describe("offline synth of the example stacks", () => {
  const first = new Map<string, ReadonlyMap<string, string>>();
  before(async () => {
    for (const stack of STACKS) first.set(stack, await exampleOutput(stack));
  });

  it("covers the three Traefik placements and an existing cluster", () => {
    const configs = STACKS.map((stack) => exampleConfig(stack));
    assert.deepEqual([...new Set(configs.map((c) => c.traefik.placement))].sort(), ["controlplane", "daemonset", "deployment"]);
    assert.deepEqual([...new Set(configs.map((c) => c.cluster.provider))].sort(), ["existing", "talos"]);
  });

  for (const stack of STACKS) {
    it(`${stack}: renders every file of the synth contract`, () => {
      const out = first.get(stack)!;
      const paths = [...out.keys()];
      assert.ok(out.has("resources.json") && out.has("summary.md"));
      assert.ok(
        paths.some((p) => p.startsWith("manifests/")),
        "no manifests",
      );
      assert.ok(
        paths.some((p) => p.startsWith("helm/") && p.endsWith(".values.yaml")),
        "no Helm values",
      );
      const doc = JSON.parse(out.get("resources.json")!) as { resources: { type: string }[] };
      const talosNodes = doc.resources.filter((r) => r.type === TYPES.configurationApply).length;
      assert.equal(paths.filter((p) => p.startsWith("talos/")).length, talosNodes);
    });

    it(`${stack}: validates every Kubernetes object it writes`, async () => {
      const out = first.get(stack)!;
      const manifests = new Map(
        [...out].filter(([p]) => p.startsWith("manifests/")).map(([p, c]) => [p, parse(c) as Record<string, unknown>]),
      );
      assert.deepEqual(await validateManifests(manifests), []);
    });

    it(`${stack}: is deterministic, byte for byte`, async () => {
      const again = files(await synthStack(stack, { dir: EXAMPLES }));
      assert.deepEqual([...again.keys()], [...first.get(stack)!.keys()]);
      for (const [path, content] of again) assert.equal(content, first.get(stack)!.get(path), `${path} differs between two runs`);
    });

    it(`${stack}: never writes a secret config value in plain text`, () => {
      // A stack file without the DNS-01 token still synthesizes, with a placeholder for cloudflare:apiToken.
      const secrets = [...new Set([...exampleStack(stack).secretKeys, "cloudflare:apiToken"])].map(secretPlaceholder);
      assert.ok(secrets.length > 0);
      for (const [path, content] of first.get(stack)!) {
        for (const s of secrets) assert.ok(!content.includes(s), `${path} contains the value of a secret (${s})`);
      }
    });
  }

  it("summary: a reviewer sees each route's DNS target, Service, issuer and middlewares", () => {
    const summary = first.get("homelab")!.get("summary.md")!;
    assert.ok(
      summary.includes(
        "| photos.example.com | /api | 203.0.113.10 | yes | media/immich-server:2283 | Ingress | letsencrypt-production | media-immich-security-headers |",
      ),
      summary,
    );
    assert.ok(summary.includes("| nas.example.com | / | 10.0.10.240 | no | apps/nas:5000 | Ingress | letsencrypt-production |  |"));
    assert.ok(
      summary.includes(
        "| api.example.com | /v1 | 203.0.113.10 | yes | apps/api-v1:8080 | IngressRoute | letsencrypt-production | apps-api-gateway-rate-limit, apps-api-gateway-cors, apps-api-gateway-strip-prefix |",
      ),
    );
  });

  it("summary: the request-path diagram follows each stack's placement", () => {
    const diagram = (stack: string) => first.get(stack)!.get("summary.md")!.split("```mermaid\n")[1]!.split("```")[0]!;
    assert.ok(diagram("homelab").includes("  cf --> wan_203_0_113_10\n  wan_203_0_113_10 --> entry_10_0_10_240\n"), diagram("homelab"));
    assert.ok(diagram("homelab").includes('entry_10_0_10_240["10.0.10.240<br/>MetalLB LoadBalancer IP"]'));
    assert.ok(diagram("edge").includes('entry_192_168_50_21["192.168.50.21<br/>node, hostNetwork :443"]'), diagram("edge"));
    assert.ok(diagram("lab").includes('entry_10_20_0_10["10.20.0.10<br/>Talos VIP, hostNetwork :443"]'), diagram("lab"));
    assert.ok(!diagram("lab").includes("Cloudflare"), "the lab stack proxies nothing");
  });

  it("summary: a failing plan lists each violation with its rule, level and resource", () => {
    const violation = {
      policy: "talos-vip-control-planes-only",
      level: "mandatory" as const,
      resource: "talos:machine/configurationApply:ConfigurationApply::cluster-worker1-config",
      message: "worker1 declares the shared VIP",
    };
    const summary = summaryMarkdown({
      stack: "homelab",
      resources: [],
      outputs: {},
      warnings: [],
      policy: { violations: [violation], rules: 45 },
    });
    assert.ok(
      summary.includes(
        "| talos-vip-control-planes-only | mandatory | talos:machine/configurationApply:ConfigurationApply::cluster-worker1-config | worker1 declares the shared VIP |",
      ),
      summary,
    );
    assert.ok(!summary.includes("rules pass"));
  });
});
