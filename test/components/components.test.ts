/**
 * MetalLB, Traefik and cert-manager under Pulumi's mocks: what each registers,
 * in which order (dependsOn), with which Helm values, and that the Cloudflare
 * token stays a secret.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { Provider } from "@pulumi/kubernetes/provider.js";
import { Release } from "@pulumi/kubernetes/helm/v3/release.js";
import { ConfigGroup } from "@pulumi/kubernetes/yaml/v2/configGroup.js";
import { CustomResource } from "@pulumi/kubernetes/apiextensions/customResource.js";
import { findResource, ofType, recordProgram, type ProgramRun, type RecordedResource } from "../../synth/recorder.ts";
import { SECRET_MARKER, TYPES, INVOKES } from "../../contract/tokens.ts";
import { MOCK_CLOUDFLARE_RANGES } from "../../synth/mocks.ts";
import { validConfig, fixtureStack } from "../helpers/config.ts";
import type { HomelabConfig } from "../../model/resolve.ts";
import { CloudflareIpRanges, needsCloudflareRanges } from "../../components/cloudflare.ts";
import { runStack } from "../helpers/runtime-warnings.ts";
import { MetalLB } from "../../components/metallb.ts";
import { Traefik, type IngressEntry } from "../../components/traefik.ts";
import { CertManager, type Issuers } from "../../components/cert-manager.ts";

const CLOUDFLARE_SORTED = [...MOCK_CLOUDFLARE_RANGES.ipv4Cidrs, ...MOCK_CLOUDFLARE_RANGES.ipv6Cidrs].sort();
const TOKEN = "cloudflare-token-value";

/** GIVEN a stack's config, WHEN the three platform components are built as platform.ts wires them. */
function platform(config: HomelabConfig) {
  return () => {
    const k8s = { provider: new Provider("k8s", { kubeconfig: "apiVersion: v1\nkind: Config\n" }) };
    const metallb = config.metallb.enabled ? new MetalLB("metallb", { metallb: config.metallb }, k8s) : undefined;
    const traefik = new Traefik(
      "traefik",
      {
        traefik: config.traefik,
        cluster: config.cluster,
        cloudflareRanges: needsCloudflareRanges(config) ? new CloudflareIpRanges("cloudflare-ip-ranges") : undefined,
        ...(metallb ? { addressPools: metallb.ready } : {}),
      },
      k8s,
    );
    const certManager = new CertManager(
      "cert-manager",
      { certManager: config.certManager, zone: config.dns.zone, cloudflareApiToken: pulumi.secret(TOKEN) },
      k8s,
    );
    return { entry: traefik.entry, issuers: certManager.issuers };
  };
}

const ref = (r: RecordedResource) => `${r.type}::${r.name}`;
const helmValues = (r: RecordedResource) => r.inputs.values as Record<string, any>;

describe("platform components, placement deployment (homelab stack)", () => {
  let run: ProgramRun<{ entry: IngressEntry; issuers: Issuers }>;
  before(async () => {
    run = await recordProgram(platform(validConfig("deployment-behind-metallb")), { values: {}, secretKeys: [] });
  });
  const find = (type: string, name: string) => findResource(run, type, name);

  it("installs each chart as a pinned Helm release in its own namespace, through the cluster's provider", () => {
    const releases = ofType(run, TYPES.release)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((r) => ({
        resource: r.name,
        name: r.inputs.name,
        chart: r.inputs.chart,
        version: r.inputs.version,
        repo: (r.inputs.repositoryOpts as { repo: string }).repo,
        namespace: r.inputs.namespace,
        createNamespace: r.inputs.createNamespace,
        provider: r.options.provider,
      }));
    // Helm's 300 s default is too short for a first install on fresh nodes, and without atomic a
    // failed upgrade leaves the release failed with the half-applied chart running.
    for (const r of ofType(run, TYPES.release)) {
      assert.deepStrictEqual([r.inputs.timeout, r.inputs.atomic, r.inputs.cleanupOnFail], [600, true, true], r.name);
    }
    assert.deepStrictEqual(releases, [
      {
        resource: "cert-manager-release",
        name: "cert-manager",
        chart: "cert-manager",
        version: "v1.21.1",
        repo: "https://charts.jetstack.io",
        namespace: "cert-manager",
        createNamespace: false,
        provider: "pulumi:providers:kubernetes::k8s",
      },
      {
        resource: "metallb-release",
        name: "metallb",
        chart: "metallb",
        version: "0.16.1",
        repo: "https://metallb.github.io/metallb",
        namespace: "metallb-system",
        createNamespace: false,
        provider: "pulumi:providers:kubernetes::k8s",
      },
      {
        resource: "traefik-release",
        name: "traefik",
        chart: "traefik",
        version: "41.3.0",
        repo: "https://traefik.github.io/charts",
        namespace: "traefik",
        createNamespace: false,
        provider: "pulumi:providers:kubernetes::k8s",
      },
    ]);
    for (const r of ofType(run, TYPES.release)) {
      assert.deepStrictEqual(
        r.options.dependsOn?.filter((d) => d.startsWith(TYPES.namespace)),
        [`${TYPES.namespace}::${r.name.replace(/-release$/, "")}-namespace`],
      );
      assert.notEqual(r.inputs.skipAwait, true, `${r.name} must wait: others need its CRDs and webhook`);
    }
  });

  it("labels each namespace for Pod Security: MetalLB privileged, Traefik (behind a Service) and cert-manager restricted", () => {
    const enforce = Object.fromEntries(
      ofType(run, TYPES.namespace).map((r) => {
        const metadata = r.inputs.metadata as { name: string; labels: Record<string, string> };
        return [metadata.name, metadata.labels["pod-security.kubernetes.io/enforce"]];
      }),
    );
    assert.deepStrictEqual(enforce, { "metallb-system": "privileged", traefik: "restricted", "cert-manager": "restricted" });
  });

  it("creates MetalLB's pools and advertisement only after its release (CRDs and webhook)", () => {
    assert.deepStrictEqual(find(TYPES.ipAddressPool, "metallb-pool-services").options.dependsOn, [`${TYPES.release}::metallb-release`]);
    assert.deepStrictEqual(find(TYPES.l2Advertisement, "metallb-l2").options.dependsOn, [`${TYPES.release}::metallb-release`]);
  });

  it("applies Traefik's CRDs at the chart's tag, and installs the chart without its crds/ folder after them and MetalLB's pools", () => {
    const crds = find(TYPES.configGroup, "traefik-crds");
    assert.deepStrictEqual(
      (crds.inputs.files as string[]).map((u) => u.replace(/.*\/traefik-helm-chart\//, "")),
      [
        "v41.3.0/traefik/crds/traefik.io_ingressroutes.yaml",
        "v41.3.0/traefik/crds/traefik.io_ingressroutetcps.yaml",
        "v41.3.0/traefik/crds/traefik.io_ingressrouteudps.yaml",
        "v41.3.0/traefik/crds/traefik.io_middlewares.yaml",
        "v41.3.0/traefik/crds/traefik.io_middlewaretcps.yaml",
        "v41.3.0/traefik/crds/traefik.io_serverstransports.yaml",
        "v41.3.0/traefik/crds/traefik.io_serverstransporttcps.yaml",
        "v41.3.0/traefik/crds/traefik.io_tlsoptions.yaml",
        "v41.3.0/traefik/crds/traefik.io_tlsstores.yaml",
        "v41.3.0/traefik/crds/traefik.io_traefikservices.yaml",
      ],
    );
    const release = find(TYPES.release, "traefik-release");
    assert.equal(release.inputs.skipCrds, true);
    assert.deepStrictEqual(
      release.options.dependsOn,
      [
        `${TYPES.namespace}::traefik-namespace`,
        `${TYPES.l2Advertisement}::metallb-l2`,
        `${TYPES.ipAddressPool}::metallb-pool-services`,
        `${TYPES.configGroup}::traefik-crds`,
      ].sort(),
    );
  });

  it("trusts forwarded headers from the ranges the Cloudflare IP-ranges invoke returned", () => {
    assert.ok(run.invokes.some((i) => i.token === INVOKES.cloudflareIpRanges));
    const ports = helmValues(find(TYPES.release, "traefik-release")).ports;
    assert.deepStrictEqual(ports.web.forwardedHeaders, { trustedIPs: CLOUDFLARE_SORTED, insecure: false });
    assert.deepStrictEqual(ports.websecure.forwardedHeaders, { trustedIPs: CLOUDFLARE_SORTED, insecure: false });
  });

  it("asks MetalLB for the configured addresses on Traefik's LoadBalancer Services, the public one and the private entry's", () => {
    const lb = (ip: string) => ({
      annotations: { "metallb.io/loadBalancerIPs": ip },
      spec: { type: "LoadBalancer", externalTrafficPolicy: "Local" },
    });
    assert.deepStrictEqual(helmValues(find(TYPES.release, "traefik-release")).service, {
      enabled: true,
      ...lb("10.0.10.240"),
      additionalServices: { lan: lb("10.0.10.241") },
    });
  });

  it("keeps the Cloudflare token in a secret Secret, and every secret out of Helm values", () => {
    const token = find(TYPES.secret, "cert-manager-cloudflare-token");
    assert.deepStrictEqual(token.inputs.metadata, { name: "cloudflare-api-token", namespace: "cert-manager" });
    // The provider's SDK wraps all of stringData as one secret; synth keeps its keys and masks each value.
    assert.deepEqual(token.inputs.stringData, { "api-token": SECRET_MARKER });
    for (const r of ofType(run, TYPES.release)) {
      const json = JSON.stringify(r.inputs.values);
      assert.ok(!json.includes(SECRET_MARKER) && !json.includes(TOKEN), `${r.name} values carry a secret`);
    }
  });

  it("creates the ClusterIssuers after the release that waits for the webhook, and after the token Secret", () => {
    for (const name of ["letsencrypt-production", "letsencrypt-staging"]) {
      assert.deepStrictEqual(find(TYPES.clusterIssuer, `cert-manager-issuer-${name}`).options.dependsOn, [
        `${TYPES.secret}::cert-manager-cloudflare-token`,
        `${TYPES.release}::cert-manager-release`,
      ]);
    }
  });

  it("hands routes an entry and issuers that wait for the CRDs, the release and the ClusterIssuers", () => {
    const { entry, issuers } = run.result;
    assert.equal(entry.ready.length, 2);
    assert.ok(entry.ready[0] instanceof ConfigGroup && entry.ready[1] instanceof Release);
    assert.equal(issuers.ready.length, 2);
    assert.ok(issuers.ready.every((r) => r instanceof CustomResource));
    assert.deepStrictEqual(run.outputs, {
      entry: {
        className: "traefik",
        placement: "deployment",
        addresses: ["10.0.10.240"],
        namespace: "traefik",
        podLabels: { "app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": "traefik-traefik" },
        hostNetwork: false,
        nodeSources: [],
        trustsCloudflare: true,
        secureEntryPoint: "websecure",
        publicEntryPoints: ["websecure"],
        private: { entryPoint: "lan", port: 8444, addresses: ["10.0.10.241"], sources: ["10.0.10.0/24", "10.99.0.0/24"] },
        ready: [undefined, undefined],
      },
      issuers: {
        names: ["letsencrypt-production", "letsencrypt-staging"],
        defaultIssuer: "letsencrypt-production",
        ready: [undefined, undefined],
      },
    });
  });

  it("parents every child to its component and names it after the component", () => {
    for (const r of run.resources.filter((x) => x.custom && !x.type.startsWith("pulumi:providers:"))) {
      const component = r.parent?.split("::")[1];
      assert.ok(component && r.name.startsWith(`${component}-`), `${ref(r)} is not named after its parent ${r.parent}`);
    }
  });
});

describe("platform components, host-network placements", () => {
  let edge: ProgramRun<unknown>;
  let lab: ProgramRun<unknown>;
  before(async () => {
    edge = await recordProgram(platform(validConfig("daemonset-edge-site")), { values: {}, secretKeys: [] });
    lab = await recordProgram(platform(validConfig("controlplane-on-vip")), { values: {}, secretKeys: [] });
  });

  it("daemonset: installs no MetalLB, labels Traefik's namespace privileged and waits only for the CRDs", () => {
    assert.deepStrictEqual(
      ofType(edge, TYPES.release)
        .map((r) => r.name)
        .sort(),
      ["cert-manager-release", "traefik-release"],
    );
    const ns = findResource(edge, TYPES.namespace, "traefik-namespace").inputs.metadata as { labels: Record<string, string> };
    assert.equal(ns.labels["pod-security.kubernetes.io/enforce"], "privileged");
    assert.deepStrictEqual(findResource(edge, TYPES.release, "traefik-release").options.dependsOn, [
      `${TYPES.namespace}::traefik-namespace`,
      `${TYPES.configGroup}::traefik-crds`,
    ]);
    assert.equal(helmValues(findResource(edge, TYPES.release, "traefik-release")).deployment.kind, "DaemonSet");
  });

  it("controlplane: runs on the control planes", () => {
    const values = helmValues(findResource(lab, TYPES.release, "traefik-release"));
    assert.deepStrictEqual(values.nodeSelector, { "node-role.kubernetes.io/control-plane": "" });
  });

  it("the program skips the Cloudflare lookup when nothing trusts Cloudflare, and Traefik trusts no forwarder", async () => {
    const program = await runStack(fixtureStack("controlplane-on-vip"), "lab");
    assert.deepStrictEqual(
      program.invokes.filter((i) => i.token === INVOKES.cloudflareIpRanges),
      [],
    );
    assert.deepStrictEqual(helmValues(findResource(program, TYPES.release, "traefik-release")).ports.web.forwardedHeaders, {
      trustedIPs: [],
      insecure: false,
    });
  });

  it("Traefik ignores Cloudflare's ranges it is handed while traefik.trustCloudflare is off", async () => {
    const config = validConfig("controlplane-on-vip");
    const run = await recordProgram(
      () =>
        new Traefik(
          "traefik",
          { traefik: config.traefik, cluster: config.cluster, cloudflareRanges: new CloudflareIpRanges("cloudflare-ip-ranges") },
          {
            provider: new Provider("k8s", { kubeconfig: "apiVersion: v1\nkind: Config\n" }),
          },
        ),
      { values: {}, secretKeys: [] },
    );
    const values = helmValues(findResource(run, TYPES.release, "traefik-release"));
    assert.deepStrictEqual(
      [values.ports.web.forwardedHeaders, values.ports.websecure.forwardedHeaders],
      [
        { trustedIPs: [], insecure: false },
        { trustedIPs: [], insecure: false },
      ],
    );
  });
});
