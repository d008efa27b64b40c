/**
 * Day 2 in the deployment twin (test/twin/engine.ts): the real program, as
 * successive `pulumi up`s of the homelab stack, where an app becomes private
 * and then public again. Each `up` must change what privacy changes and
 * nothing else: the app's public record, its route's entry point and its
 * LAN-only allow-list; never the Traefik release, a certificate, another app
 * or the cluster.
 *
 * The world here is what the synth mocks answer (synth/mocks.ts): the
 * scenario is about which steps the engine plans, which engine.ts models
 * from pulumi/pulumi v3.259.0 (step_generator.go: an input change is an
 * update unless the provider replaces on it; a resource the program no longer
 * registers is deleted after the program ran, deployment_executor.go). No
 * input changed here is one the providers replace on: a Kubernetes object is
 * replaced when its name or namespace changes (pulumi-kubernetes
 * provider/pkg/provider/provider.go, Diff: metadata.name/namespace are
 * replace keys), and a Cloudflare record is deleted or created, not changed.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { up, type Models, type RunResult } from "./engine.ts";
import { homelabMocks } from "../../synth/mocks.ts";
import { indexProgram } from "../../synth/run-stack.ts";
import { changedStackConfig } from "../helpers/config.ts";

type World = Record<string, never>;

/** Every resource and invoke answered as the synth mocks answer them (the mock providers' outputs). */
const models: Models<World> = {
  resources: new Proxy({}, {
    get: (_, type: string) => ({
      create: (c: { name: string; inputs: Record<string, unknown> }) => {
        const r = homelabMocks.newResource({ type, name: c.name, inputs: c.inputs, custom: true, provider: "", id: undefined } as never) as { id: string; state: Record<string, unknown> };
        return { ...r.state, id: r.id };
      },
    }),
  }) as Models<World>["resources"],
  invokes: new Proxy({}, {
    get: (_, token: string) => (args: Record<string, unknown>) => homelabMocks.call({ token, inputs: args, provider: "" } as never) as Record<string, unknown>,
  }) as Models<World>["invokes"],
};

const PRIVATE_GRAFANA = { "apps.grafana.private": true, "apps.grafana.publicCertificate": true };

const deploy = (changes: Record<string, unknown>, prior?: RunResult<World>) =>
  up({ program: indexProgram(), config: changedStackConfig("homelab", changes), stack: "homelab", world: prior?.world ?? {}, models, ...(prior ? { state: prior.state } : {}) });

/** `<op> <type>::<name>` of every step that changes something, sorted. */
const changed = (r: RunResult<World>) => r.changes.map((s) => {
  // urn:pulumi:<stack>::<project>::<parent types $ type>::<name>
  const [, , types, name] = s.urn.split("::");
  return `${s.op} ${types!.split("$").pop()}::${name}${s.changes ? ` (${[...s.changes].sort().join(", ")})` : ""}`;
}).sort();

describe("the twin: an app made private, then public again, changes only what privacy changes", () => {
  let first: RunResult<World>;
  let madePrivate: RunResult<World>;
  let madePublic: RunResult<World>;
  before(async () => {
    first = await deploy({});
    madePrivate = await deploy(PRIVATE_GRAFANA, first);
    madePublic = await deploy({}, madePrivate);
  });

  it("the first up deploys the stack", () => {
    assert.equal(first.ok, true, first.error);
    assert.ok(first.changes.length > 100);
  });

  it("making grafana private deletes its public record, moves its Ingress to the private entry point and adds its LAN-only allow-list, nothing else", () => {
    assert.equal(madePrivate.ok, true, madePrivate.error);
    assert.deepEqual(changed(madePrivate), [
      "create kubernetes:traefik.io/v1alpha1:Middleware::grafana-middleware-lan-only",
      "delete cloudflare:index/dnsRecord:DnsRecord::grafana-dns-grafana.example.com-203.0.113.10",
      "update kubernetes:networking.k8s.io/v1:Ingress::grafana-ingress-root (metadata)",
    ]);
    const ingress = madePrivate.state.resources.find((r) => r.urn.endsWith("::grafana-ingress-root"))!;
    assert.deepEqual((ingress.inputs.metadata as { annotations: Record<string, string> }).annotations["traefik.ingress.kubernetes.io/router.entrypoints"], "lan");
    assert.deepEqual(madePrivate.outputs.lanDns, [
      { host: "grafana.example.com", addresses: ["10.0.10.241"] },
      { host: "unifi.example.com", addresses: ["10.0.10.241"] },
    ]);
  });

  it("making it public again restores the record and the public entry point and drops the allow-list, nothing else", () => {
    assert.equal(madePublic.ok, true, madePublic.error);
    assert.deepEqual(changed(madePublic), [
      "create cloudflare:index/dnsRecord:DnsRecord::grafana-dns-grafana.example.com-203.0.113.10",
      "delete kubernetes:traefik.io/v1alpha1:Middleware::grafana-middleware-lan-only",
      "update kubernetes:networking.k8s.io/v1:Ingress::grafana-ingress-root (metadata)",
    ]);
  });

  it("a third up with nothing changed plans nothing", async () => {
    const again = await up({ program: indexProgram(), config: changedStackConfig("homelab", {}), stack: "homelab", world: madePublic.world, models, state: madePublic.state, preview: true });
    assert.deepEqual(changed(again), []);
  });
});
