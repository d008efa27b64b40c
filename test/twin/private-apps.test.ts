/**
 * Day 2 in the deployment twin (test/twin/engine.ts): the real program, as
 * successive `pulumi up`s of the homelab stack, where an app becomes private
 * and then public again. Each `up` must change what privacy changes and
 * nothing else: the app's public record, its route's entry point and its
 * LAN-only allow-list; never the Traefik release, a certificate, another app
 * or the cluster.
 *
 * The world is the twin's (test/twin/stack.ts: Proxmox, the fake Talos
 * cluster, Kubernetes with its awaits, Cloudflare), the steps the engine's
 * (engine.ts, from pulumi/pulumi v3.259.0: an input change is an update
 * unless the provider replaces on it; a resource the program no longer
 * registers is deleted after the program ran; a component whose inputs
 * change is updated). No input changed here is one a provider replaces on: a
 * Kubernetes object is replaced when its name or namespace changes, and a
 * Cloudflare record is deleted or created, not changed.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import type { RunResult } from "./engine.ts";
import { deploy, twinConfig, twinWorld, type TwinWorld } from "./stack.ts";
import { changedStackConfig, exampleStack } from "../helpers/config.ts";
import type { StackConfig } from "../../synth/recorder.ts";

/** The homelab stack as the twin deploys it (credentials set), with `homelab:` keys changed. */
function homelab(changes: Record<string, unknown>): StackConfig {
  const base = twinConfig("homelab");
  return { values: { ...base.values, ...changedStackConfig(exampleStack("homelab"), changes).values }, secretKeys: base.secretKeys };
}

const PRIVATE_GRAFANA = { "apps.grafana.private": true, "apps.grafana.publicCertificate": true };

/** `<op> <type>::<name> (changed inputs)` of every step that changes something, sorted. */
const changed = (r: RunResult<TwinWorld>) =>
  r.changes
    .map((s) => {
      const [, , types, name] = s.urn.split("::");
      return `${s.op} ${types!.split("$").pop()}::${name}${s.changes ? ` (${[...s.changes].sort().join(", ")})` : ""}`;
    })
    .sort();

describe("the twin: an app made private, then public again, changes only what privacy changes", () => {
  let first: RunResult<TwinWorld>;
  let madePrivate: RunResult<TwinWorld>;
  let madePublic: RunResult<TwinWorld>;
  before(async () => {
    const config = homelab({});
    first = await deploy("homelab", config, twinWorld(config));
    madePrivate = await deploy("homelab", homelab(PRIVATE_GRAFANA), first.world, first.state);
    madePublic = await deploy("homelab", homelab({}), madePrivate.world, madePrivate.state);
  });

  it("the first up deploys the stack", () => {
    assert.equal(first.ok, true, first.error);
  });

  it("making grafana private deletes its public record, moves its Ingress to the private entry point and adds its LAN-only allow-list, nothing else", () => {
    assert.equal(madePrivate.ok, true, madePrivate.error);
    assert.deepEqual(changed(madePrivate), [
      "create kubernetes:traefik.io/v1alpha1:Middleware::grafana-middleware-lan-only",
      "delete cloudflare:index/dnsRecord:DnsRecord::grafana-dns-grafana.example.com-203.0.113.10",
      "update kubernetes:networking.k8s.io/v1:Ingress::grafana-ingress-root (metadata)",
    ]);
    const ingress = madePrivate.state.resources.find((r) => r.urn.endsWith("::grafana-ingress-root"))!;
    assert.equal(
      (ingress.inputs.metadata as { annotations: Record<string, string> }).annotations["traefik.ingress.kubernetes.io/router.entrypoints"],
      "lan",
    );
    assert.deepEqual(madePrivate.outputs.lanDns, [
      { host: "grafana.example.com", addresses: ["10.0.10.241"] },
      { host: "unifi.example.com", addresses: ["10.0.10.241"] },
    ]);
    assert.deepEqual(
      Object.values(madePrivate.world.cloudflare.records).filter((r) => r.name === "grafana.example.com"),
      [],
    );
  });

  it("making it public again restores the record and the public entry point and drops the allow-list, nothing else", () => {
    assert.equal(madePublic.ok, true, madePublic.error);
    assert.deepEqual(changed(madePublic), [
      "create cloudflare:index/dnsRecord:DnsRecord::grafana-dns-grafana.example.com-203.0.113.10",
      "delete kubernetes:traefik.io/v1alpha1:Middleware::grafana-middleware-lan-only",
      "update kubernetes:networking.k8s.io/v1:Ingress::grafana-ingress-root (metadata)",
    ]);
  });

  it("a preview with nothing changed plans nothing", async () => {
    const again = await deploy("homelab", homelab({}), madePublic.world, madePublic.state, true);
    assert.deepEqual(changed(again), []);
  });
});
