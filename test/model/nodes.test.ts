import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { activeNodes, bootstrapNodeName, controlPlanes, nodeGateway } from "../../model/nodes.ts";

const nodes = {
  "cp-b": { role: "controlplane" as const },
  "cp-a": { role: "controlplane" as const },
  w1: { role: "worker" as const },
};

describe("facts of the node list", () => {
  it("bootstraps etcd on cluster.bootstrapNode, else on the first control plane by name", () => {
    assert.equal(bootstrapNodeName({ nodes }), "cp-a");
    assert.equal(bootstrapNodeName({ bootstrapNode: "cp-b", nodes }), "cp-b");
    assert.equal(bootstrapNodeName({ nodes: { w1: { role: "worker" } } }), undefined);
  });

  it("routes through cluster.network.gateway, else the subnet's first host", () => {
    assert.equal(nodeGateway({ subnet: "10.0.10.0/24" }), "10.0.10.1");
    assert.equal(nodeGateway({ subnet: "10.0.10.0/24", gateway: "10.0.10.254" }), "10.0.10.254");
  });

  it("keeps the nodes that are not retiring, and picks the control planes in the list's order", () => {
    const list = [
      { name: "cp-a", role: "controlplane" as const },
      { name: "cp-b", role: "controlplane" as const, retire: "reset" as const },
      { name: "w1", role: "worker" as const },
    ];
    assert.deepEqual(
      activeNodes(list).map((n) => n.name),
      ["cp-a", "w1"],
    );
    assert.deepEqual(
      controlPlanes({ nodes: list }).map((n) => n.name),
      ["cp-a", "cp-b"],
    );
  });
});
