/**
 * NetworkPolicies only where something enforces them, the host firewall where
 * it is asked for, and summary.md saying which: run through the whole program
 * (synth), as the stack would deploy.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { synthStack } from "../helpers/runtime-warnings.ts";
import { changedStackConfig, fixtureStack, type Fixture } from "../helpers/config.ts";
import { TYPES } from "../../contract/tokens.ts";

async function synth(fixture: Fixture, changes: Record<string, unknown>) {
  const result = await synthStack(fixture, { config: changedStackConfig(fixtureStack(fixture), changes) });
  if (!result.ok) throw new Error(`synth ${fixture} failed:\n${result.errors.join("\n")}`);
  return { resources: result.doc.resources, summary: result.files.get("summary.md")! };
}

const networkPolicies = (resources: readonly { type: string; name: string }[]) =>
  resources
    .filter((r) => r.type === TYPES.networkPolicy)
    .map((r) => r.name)
    .sort();

describe("NetworkPolicy enforcement", () => {
  it("GIVEN Talos v1.13 THEN every policy states kube-network-policies and the summary says isolation is enforced", async () => {
    const { resources, summary } = await synth("deployment-behind-metallb", {});
    const policies = resources.filter((r) => r.type === TYPES.networkPolicy);
    assert.equal(policies.length, 5);
    for (const p of policies)
      assert.equal(
        (p.inputs.metadata as { annotations: Record<string, string> }).annotations["homelab.pulumi.com/enforced-by"],
        "kube-network-policies",
        p.name,
      );
    assert.match(
      summary,
      /## Isolation\n\n5 NetworkPolicies, \*\*enforced\*\* by kube-network-policies beside Flannel \(cluster\.network\.cni\.flannel\.kubeNetworkPoliciesEnabled on all 5 Talos nodes; on a running cluster the rollout's upgrade-k8s deploys it before any policy is created\)\./,
    );
  });

  it("GIVEN config contract v1.12 (no enforcer), even on Talos v1.13 THEN no NetworkPolicy is registered and the summary says pods are open to the cluster", async () => {
    // The machine configs follow the contract, so a v1.13 node on contract v1.12 gets no kube-network-policies patch.
    const { resources, summary } = await synth("deployment-behind-metallb", {
      "cluster.talos.configContract": "v1.12",
      "namespaces.apps.defaultDeny": false,
      "namespaces.media.defaultDeny": false,
    });
    assert.deepEqual(networkPolicies(resources), []);
    assert.match(summary, /## Isolation\n\nNo NetworkPolicy is registered: pods accept connections from anywhere in the cluster\./);
  });

  it("GIVEN an existing cluster stated not to enforce THEN no NetworkPolicy is registered", async () => {
    const { resources } = await synth("existing-cluster", {
      "cluster.enforcesNetworkPolicies": false,
      "namespaces.apps.defaultDeny": false,
    });
    assert.deepEqual(networkPolicies(resources), []);
  });

  it("GIVEN an existing cluster that enforces (the default, k3s) THEN its policies carry the config's statement", async () => {
    const { resources, summary } = await synth("existing-cluster", {});
    assert.deepEqual(networkPolicies(resources), ["namespaces-apps-allow-traefik", "namespaces-apps-default-deny"]);
    assert.match(
      summary,
      /2 NetworkPolicies, enforced as the config states \(cluster\.enforcesNetworkPolicies\): the stack cannot check the cluster's CNI\./,
    );
  });
});

describe("Talos host firewall, through the program", () => {
  it("GIVEN the edge stack THEN every node's configuration apply carries the firewall with Cloudflare's deploy-time ranges on :80/:443, and the summary says so", async () => {
    const { resources, summary } = await synth("daemonset-edge-site", {});
    const applies = resources.filter((r) => r.type === TYPES.configurationApply);
    assert.equal(applies.length, 4);
    for (const a of applies) {
      const patches = (a.inputs.configPatches as string[]).join("---\n");
      assert.match(patches, /kind: NetworkDefaultActionConfig\ningress: block\n/, a.name);
      // 173.245.48.0/20 comes from the (mocked) getIpRanges lookup, not from the program.
      assert.match(
        patches,
        /name: traefik-ingress\nportSelector:\n {2}ports:\n {4}- 80\n {4}- 443\n {2}protocol: tcp\ningress:\n( {2}- subnet: .*\n)* {2}- subnet: 173\.245\.48\.0\/20\n/,
        a.name,
      );
    }
    assert.match(
      summary,
      /Talos host firewall \*\*blocks\*\* inbound connections on 4 of 4 nodes, except the cluster's own ports between nodes; Talos API \(50000\) from 192\.168\.50\.0\/24; :80\/:443 \(host-network Traefik\) on 4 nodes from 5 sources/,
    );
  });

  it("GIVEN the firewall off (the default) THEN no node gets a firewall document and the summary says the ports are open", async () => {
    const { resources, summary } = await synth("daemonset-edge-site", { "cluster.firewall": undefined });
    const patches = resources
      .filter((r) => r.type === TYPES.configurationApply)
      .flatMap((a) => a.inputs.configPatches as string[])
      .join("\n");
    assert.doesNotMatch(patches, /NetworkDefaultActionConfig|NetworkRuleConfig/);
    assert.match(summary, /Talos host firewall \*\*off\*\* \(cluster\.firewall\.enabled\)/);
  });
});
