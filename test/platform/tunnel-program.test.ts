/**
 * The tunnel entry as the program registers it, run under the mocks: the
 * tunnel and its ingress rules, cloudflared and its token, the records, what
 * Traefik trusts, the private apps' LAN DNS and the wildcard certificates.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { findResource, ofType, type ProgramRun } from "../../synth/recorder.ts";
import { SECRET_MARKER, COMPONENTS, TYPES, INVOKES } from "../../contract/tokens.ts";
import { MOCK_TUNNEL_ID, MOCK_TUNNEL_TOKEN } from "../../synth/mocks.ts";
import { runStack } from "../helpers/runtime-warnings.ts";
import { changedStackConfig, fixtureStack } from "../helpers/config.ts";
import { exampleOutput } from "../helpers/example-output.ts";

const ORIGIN = "https://traefik-tunnel-origin.traefik.svc.cluster.local:443";
const CNAME = `${MOCK_TUNNEL_ID}.cfargotunnel.com`;

/** What web, websecure and the tunnel entry point (when there is one) trust forwarded headers from. */
const trustedIPs = (run: ProgramRun<unknown>) => {
  const ports = (
    findResource(run, TYPES.release, "traefik-release").inputs.values as {
      ports: Record<string, { forwardedHeaders: { trustedIPs: string[] } }>;
    }
  ).ports;
  return [
    ports.web!.forwardedHeaders.trustedIPs,
    ports.websecure!.forwardedHeaders.trustedIPs,
    ...(ports.tunnel ? [ports.tunnel.forwardedHeaders.trustedIPs] : []),
  ];
};

describe("the tunnel stack, run under the mocks", () => {
  let run: ProgramRun<Record<string, unknown>>;
  before(async () => {
    run = await runStack(fixtureStack("cloudflare-tunnel"), "tunnel");
  });

  it("creates the tunnel in the zone's account, configured from Cloudflare", () => {
    const tunnel = findResource(run, TYPES.tunnel, "tunnel");
    assert.deepEqual(tunnel.inputs, { accountId: "fedcba9876543210fedcba9876543210", name: "cgnat-homelab", configSrc: "cloudflare" });
    assert.equal(tunnel.options.deleteBeforeReplace, true);
  });

  it("routes each proxied host to Traefik's origin Service, verified by the host's name, then 404s", () => {
    const config = findResource(run, TYPES.tunnelConfig, "tunnel-config");
    assert.equal(config.inputs.tunnelId, MOCK_TUNNEL_ID);
    const rule = (hostname: string) => ({ hostname, service: ORIGIN, originRequest: { originServerName: hostname, http2Origin: true } });
    assert.deepEqual((config.inputs.config as { ingresses: unknown[] }).ingresses, [
      rule("blog.example.org"),
      rule("status.example.org"),
      rule("www.example.org"),
      { service: "http_status:404" },
    ]);
  });

  it("skips TLS verification only for a host whose certificate comes from Let's Encrypt staging", async () => {
    const staging = await runStack(
      changedStackConfig(fixtureStack("cloudflare-tunnel"), { "apps.status.issuer": "letsencrypt-staging" }),
      "tunnel",
    );
    const rules = (
      findResource(staging, TYPES.tunnelConfig, "tunnel-config").inputs.config as {
        ingresses: { hostname?: string; originRequest?: { noTlsVerify?: boolean } }[];
      }
    ).ingresses;
    assert.deepEqual(
      rules.filter((r) => r.originRequest?.noTlsVerify).map((r) => r.hostname),
      ["status.example.org"],
    );
  });

  it("points the Service the rules name at Traefik's pods and their tunnel entry point", () => {
    const origin = findResource(run, TYPES.service, "tunnel-origin").inputs as {
      metadata: { namespace: string; name: string };
      spec: Record<string, unknown>;
    };
    assert.deepEqual([origin.metadata.namespace, origin.metadata.name], ["traefik", "traefik-tunnel-origin"]);
    assert.deepEqual(origin.spec, {
      type: "ClusterIP",
      selector: { "app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": "traefik-traefik" },
      ports: [{ name: "https", port: 443, targetPort: "tunnel", protocol: "TCP" }],
    });
  });

  it("closes the tunnel entry point to every pod but cloudflared's, before the origin Service leads to it", () => {
    const policy = findResource(run, TYPES.networkPolicy, "tunnel-entry-policy");
    assert.deepEqual((policy.inputs.spec as { ingress: unknown[] }).ingress[0], {
      from: [
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "cloudflared" } },
          podSelector: { matchLabels: { "app.kubernetes.io/name": "cloudflared" } },
        },
      ],
      ports: [{ port: 8445, protocol: "TCP" }],
    });
    assert.ok(findResource(run, TYPES.service, "tunnel-origin").options.dependsOn?.includes(`${TYPES.networkPolicy}::tunnel-entry-policy`));
  });

  it("keeps the tunnel token a secret: in the Kubernetes Secret only, never in plain text", () => {
    // Synth masks each secret leaf but keeps its key: the key the Deployment reads is there, its value is not.
    assert.deepEqual(findResource(run, TYPES.secret, "tunnel-token").inputs.stringData, { TUNNEL_TOKEN: SECRET_MARKER });
    assert.ok(!JSON.stringify(run.resources).includes(MOCK_TUNNEL_TOKEN));
    assert.ok(!JSON.stringify(run.outputs).includes(MOCK_TUNNEL_TOKEN));
  });

  it("runs two spread, restricted cloudflared replicas with the token from the Secret and a readiness probe on the metrics port", () => {
    const d = findResource(run, TYPES.deployment, "tunnel-cloudflared").inputs as any;
    assert.equal(d.spec.replicas, 2);
    assert.deepEqual(d.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    const pod = d.spec.template.spec;
    assert.deepEqual(
      pod.topologySpreadConstraints.map((t: any) => [t.topologyKey, t.whenUnsatisfiable]),
      [["kubernetes.io/hostname", "DoNotSchedule"]],
    );
    assert.deepEqual(pod.securityContext, {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      seccompProfile: { type: "RuntimeDefault" },
    });
    assert.equal(pod.automountServiceAccountToken, false);
    const [c] = pod.containers;
    assert.equal(c.image, "cloudflare/cloudflared:2026.5.0");
    assert.deepEqual(c.args, ["tunnel", "--no-autoupdate", "--metrics", "0.0.0.0:2000", "run"]);
    assert.deepEqual(c.env, [{ name: "TUNNEL_TOKEN", valueFrom: { secretKeyRef: { name: "cloudflared-token", key: "TUNNEL_TOKEN" } } }]);
    assert.deepEqual(c.ports, [{ name: "metrics", containerPort: 2000, protocol: "TCP" }]);
    assert.deepEqual(c.readinessProbe.httpGet, { path: "/ready", port: "metrics" });
    assert.deepEqual(c.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    assert.deepEqual((findResource(run, TYPES.podDisruptionBudget, "tunnel-cloudflared").inputs as any).spec, {
      maxUnavailable: 1,
      selector: { matchLabels: { "app.kubernetes.io/name": "cloudflared" } },
    });
    assert.equal(
      (findResource(run, TYPES.namespace, "tunnel-namespace").inputs as any).metadata.labels["pod-security.kubernetes.io/enforce"],
      "restricted",
    );
  });

  it("starts cloudflared only once its token, namespace, origin Service and ingress rules exist", () => {
    assert.deepEqual(findResource(run, TYPES.deployment, "tunnel-cloudflared").options.dependsOn, [
      "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig::tunnel-config",
      "kubernetes:core/v1:Namespace::tunnel-namespace",
      "kubernetes:core/v1:Secret::tunnel-token",
      "kubernetes:core/v1:Service::tunnel-origin",
    ]);
  });

  it("points tunnelled hosts at the tunnel with proxied CNAMEs and no A record, after the tunnel is ready", () => {
    const records = ofType(run, TYPES.dnsRecord).map((r) => [r.inputs.name, r.inputs.type, r.inputs.content, r.inputs.proxied]);
    assert.deepEqual(records.sort(), [
      ["blog.example.org", "CNAME", CNAME, true],
      ["nas.example.org", "A", "10.30.0.241", false],
      ["status.example.org", "CNAME", CNAME, true],
      ["www.example.org", "CNAME", CNAME, true],
    ]);
    const deps = findResource(run, TYPES.dnsRecord, "status-dns-status.example.org-tunnel").options.dependsOn!;
    assert.ok(
      deps.includes("kubernetes:apps/v1:Deployment::tunnel-cloudflared") &&
        deps.includes("cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig::tunnel-config"),
      deps.join("\n"),
    );
  });

  it("gives the private app without publicRecord no public record, and exports its LAN DNS entry", () => {
    assert.ok(!ofType(run, TYPES.dnsRecord).some((r) => r.inputs.name === "ha.example.org"));
    assert.deepEqual((run.outputs as Record<string, unknown>).lanDns, [
      { host: "ha.example.org", addresses: ["10.30.0.241"] },
      { host: "nas.example.org", addresses: ["10.30.0.241"] },
    ]);
    assert.deepEqual((run.outputs as Record<string, unknown>).tunnel, { name: "cgnat-homelab", cnameTarget: CNAME });
  });

  it("makes Traefik trust forwarded headers on the tunnel entry point alone, from the pod network (cloudflared's pods), never Cloudflare's ranges", () => {
    assert.deepEqual(trustedIPs(run), [[], [], ["10.244.0.0/16"]]);
    assert.deepEqual(
      run.invokes.filter((i) => i.token === INVOKES.cloudflareIpRanges),
      [],
    );
  });

  it("records the zone's SSL/TLS mode, read at deploy time, for the policy pack", () => {
    assert.deepEqual(
      run.invokes.filter((i) => i.token === INVOKES.cloudflareZoneSetting).map((i) => i.args),
      [{ zoneId: "0123456789abcdef0123456789abcdef", settingId: "ssl" }],
    );
    assert.deepEqual(findResource(run, COMPONENTS.zoneEdge, "zone-edge").inputs, {
      zone: "example.org",
      sslMode: "strict",
      entry: "tunnel",
      redirectToHttps: true,
      proxiedHosts: ["blog.example.org", "status.example.org", "www.example.org"],
    });
  });

  it("issues one *.example.org certificate into Traefik's default TLS store and no certificate per host", () => {
    const cert = findResource(run, TYPES.certificate, "wildcard-certificates-example.org").inputs as any;
    assert.deepEqual(
      [cert.metadata.namespace, cert.spec.secretName, cert.spec.dnsNames, cert.spec.issuerRef.name],
      ["traefik", "wildcard-example-org", ["*.example.org", "example.org"], "letsencrypt-production"],
    );
    assert.deepEqual((findResource(run, TYPES.tlsStore, "wildcard-certificates-default-tls-store").inputs as any).spec, {
      certificates: [{ secretName: "wildcard-example-org" }],
      defaultCertificate: { secretName: "wildcard-example-org" },
    });
    assert.equal(ofType(run, TYPES.certificate).length, 1);
    const ingress = findResource(run, TYPES.ingress, "blog-ingress-root").inputs as any;
    assert.deepEqual(ingress.spec.tls, [{ hosts: ["blog.example.org", "www.example.org"] }]);
    assert.equal(ingress.metadata.annotations["cert-manager.io/cluster-issuer"], undefined);
  });
});

describe("the tunnel with host-network Traefik placements", () => {
  for (const placement of ["daemonset", "controlplane"] as const) {
    it(`${placement}: the origin Service to websecure, and Traefik trusts no forwarder (nothing tells cloudflared from other pods or host processes there)`, async () => {
      const run = await runStack(
        changedStackConfig(fixtureStack("cloudflare-tunnel"), {
          "traefik.placement": placement,
          "traefik.replicas": undefined,
          metallb: undefined,
          "apps.nas.publicRecord": undefined,
        }),
        "tunnel",
      );
      assert.equal((findResource(run, TYPES.service, "tunnel-origin").inputs as any).spec.ports[0].targetPort, "websecure");
      assert.deepEqual(trustedIPs(run), [[], []]);
      assert.deepEqual(
        ofType(run, TYPES.networkPolicy).filter((p) => p.name === "tunnel-entry-policy"),
        [],
      );
    });
  }
});

describe("the port-forward stacks are unchanged by the tunnel", () => {
  it("homelab: no tunnel, A records to the public address, the zone's SSL mode checked for the port-forward", async () => {
    const run = await runStack(fixtureStack("deployment-behind-metallb"), "homelab");
    assert.deepEqual(ofType(run, TYPES.tunnel), []);
    assert.ok(ofType(run, TYPES.dnsRecord).every((r) => r.inputs.type === "A"));
    assert.equal(findResource(run, COMPONENTS.zoneEdge, "zone-edge").inputs.entry, "portForward");
    assert.deepEqual((run.outputs as Record<string, unknown>).lanDns, [{ host: "unifi.example.com", addresses: ["10.0.10.241"] }]);
  });
});

describe("the tunnel stack's synth files", () => {
  it("writes the LAN resolver files for the private apps", async () => {
    const files = await exampleOutput("tunnel");
    const body = (path: string) =>
      files
        .get(path)!
        .split("\n")
        .filter((l) => l && !l.startsWith("#"))
        .join("\n");
    assert.equal(body("lan-dns/hosts"), "10.30.0.241 ha.example.org\n10.30.0.241 nas.example.org");
    assert.equal(body("lan-dns/pihole-custom.list"), "10.30.0.241 ha.example.org\n10.30.0.241 nas.example.org");
    assert.equal(body("lan-dns/dnsmasq.conf"), "host-record=ha.example.org,10.30.0.241\nhost-record=nas.example.org,10.30.0.241");
    assert.equal(
      body("lan-dns/adguard-rewrites.yaml"),
      "filtering:\n  rewrites:\n    - domain: ha.example.org\n      answer: 10.30.0.241\n    - domain: nas.example.org\n      answer: 10.30.0.241",
    );
    for (const [path, content] of files) assert.ok(!content.includes(MOCK_TUNNEL_TOKEN), `${path} holds the tunnel token`);
    const summary = files.get("summary.md")!;
    assert.ok(summary.includes("| ha.example.org | 10.30.0.241 |"), summary);
    assert.ok(summary.includes('  cf -- "tunnel" --> cloudflared\n'), summary);
    assert.ok(summary.includes("  cloudflared --> origin\n  origin --> traefik\n"), summary);
    assert.ok(!summary.includes('port-forward"]'), "the tunnel stack draws no port-forward");
    assert.ok(
      summary.includes(
        "| blog.example.org | / | 6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d.cfargotunnel.com | yes | apps/ghost:2368 | Ingress | wildcard (default TLS store) |",
      ),
      summary,
    );
  });
});
