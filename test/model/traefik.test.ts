import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { validConfig, type Fixture } from "../helpers/config.ts";

/** The placement-dependent part of the resolved Traefik config. */
function placementPart(fixture: Fixture, changes: Record<string, unknown> = {}) {
  const t = validConfig(fixture, changes).traefik;
  switch (t.placement) {
    case "deployment":
      return { placement: t.placement, replicas: t.replicas, pool: t.pool, loadBalancerIP: t.loadBalancerIP, privateEntry: t.privateEntry };
    case "daemonset":
      return { placement: t.placement, privateEntry: t.privateEntry };
    case "controlplane":
      return { placement: t.placement, vip: t.vip, privateEntry: t.privateEntry };
  }
}

describe("the resolved Traefik config carries what its placement needs", () => {
  it("deployment: the replicas, the pool, the public entry's address and the private entry's own address", () => {
    assert.deepEqual(placementPart("deployment-behind-metallb"), {
      placement: "deployment",
      replicas: 2,
      pool: "services",
      loadBalancerIP: "10.0.10.240",
      privateEntry: { loadBalancerIP: "10.0.10.241", sources: ["10.0.10.0/24", "10.99.0.0/24"] },
    });
  });

  it("deployment: the addresses default to the pool's first two when the config names none", () => {
    const part = placementPart("deployment-behind-metallb", {
      "traefik.loadBalancerIP": undefined,
      "traefik.privateEntry.loadBalancerIP": undefined,
    });
    assert.equal(part.placement === "deployment" && part.loadBalancerIP, "10.0.10.240");
    assert.equal(part.placement === "deployment" && part.privateEntry?.loadBalancerIP, "10.0.10.241");
  });

  it("daemonset: no address of its own (DNS points at the nodes)", () => {
    assert.deepEqual(placementPart("existing-cluster"), { placement: "daemonset", privateEntry: undefined });
  });

  it("controlplane: the control planes' VIP", () => {
    assert.deepEqual(placementPart("controlplane-on-vip"), { placement: "controlplane", vip: "10.20.0.10", privateEntry: undefined });
  });

  it("carries Traefik's ACME e-mail whenever its resolver is enabled", () => {
    assert.deepEqual(validConfig("controlplane-on-vip").traefik.acme, { enabled: false });
    assert.deepEqual(
      validConfig("controlplane-on-vip", {
        "cluster.nodes.lab-cp2": undefined,
        "cluster.nodes.lab-cp3": undefined,
        "traefik.acme": { enabled: true, email: "ops@example.org" },
      }).traefik.acme,
      {
        enabled: true,
        email: "ops@example.org",
      },
    );
  });
});
