import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  PLACEMENT,
  PLACEMENTS,
  deploymentReplicas,
  isPlacement,
  needsLoadBalancer,
  traefikHostNodes,
  traefikPodCount,
  type Placement,
} from "../../model/placement.ts";

const nodes = [
  { name: "cp1", role: "controlplane" as const },
  { name: "cp2", role: "controlplane" as const },
  { name: "w1", role: "worker" as const },
];

describe("what each Traefik placement means", () => {
  it("lists the three placements, deployment (the schema's default) first", () => {
    assert.deepEqual(PLACEMENTS, ["deployment", "daemonset", "controlplane"]);
  });

  it("deployment: pods behind a LoadBalancer Service on a MetalLB address, scaled by replicas, with a private entry of their own", () => {
    assert.deepEqual(PLACEMENT.deployment, {
      hostNetwork: false,
      hostNodes: "none",
      entry: "loadBalancerIP",
      replicas: true,
      ownPrivateEntry: true,
    });
    assert.equal(needsLoadBalancer("deployment"), true);
    assert.deepEqual(traefikHostNodes("deployment", nodes), []);
  });

  it("daemonset: the host network of every node, DNS on every node's address, private apps on the shared entry", () => {
    assert.deepEqual(PLACEMENT.daemonset, {
      hostNetwork: true,
      hostNodes: "every",
      entry: "nodeAddresses",
      replicas: false,
      ownPrivateEntry: false,
    });
    assert.equal(needsLoadBalancer("daemonset"), false);
    assert.deepEqual(
      traefikHostNodes("daemonset", nodes).map((n) => n.name),
      ["cp1", "cp2", "w1"],
    );
  });

  it("controlplane: the host network of the control planes, DNS on their VIP, private apps on the shared entry", () => {
    assert.deepEqual(PLACEMENT.controlplane, {
      hostNetwork: true,
      hostNodes: "controlPlanes",
      entry: "vip",
      replicas: false,
      ownPrivateEntry: false,
    });
    assert.equal(needsLoadBalancer("controlplane"), false);
    assert.deepEqual(
      traefikHostNodes("controlplane", nodes).map((n) => n.name),
      ["cp1", "cp2"],
    );
  });

  it("recognises the three placement names and nothing else", () => {
    assert.deepEqual(["deployment", "daemonset", "controlplane", "DaemonSet", ""].map(isPlacement), [true, true, true, false, false]);
  });

  it("runs on the host network exactly where it listens on nodes, and needs no MetalLB there", () => {
    for (const p of PLACEMENTS) {
      assert.equal(PLACEMENT[p].hostNetwork, PLACEMENT[p].hostNodes !== "none", p);
      assert.equal(needsLoadBalancer(p), !PLACEMENT[p].hostNetwork, p);
    }
  });

  it("counts Traefik's pods as the pack does: the replicas (2 by default), one per listed control plane, or unknown for a DaemonSet", () => {
    const podsOf = (placement: Placement, replicas?: number) =>
      traefikPodCount({
        traefik: { placement, replicas },
        cluster: { nodes: Object.fromEntries(nodes.map((n) => [n.name, { role: n.role }])) },
      });
    assert.deepEqual([podsOf("deployment"), podsOf("deployment", 3), podsOf("controlplane"), podsOf("daemonset")], [2, 3, 2, undefined]);
    assert.equal(deploymentReplicas({ replicas: undefined }), 2);
  });
});
