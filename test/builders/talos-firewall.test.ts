import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { firewallDocuments, type FirewallRule } from "../../builders/talos-firewall.ts";
import type { TalosClusterSpec, TalosNode } from "../../model/resolve.ts";
import { validConfig, type Fixture } from "../helpers/config.ts";

const CLOUDFLARE = ["173.245.48.0/20", "104.16.0.0/13"];

function talosOf(stack: Fixture, changes: Record<string, unknown> = {}): TalosClusterSpec {
  const cluster = validConfig(stack, changes).cluster;
  if (cluster.provider !== "talos") throw new Error(`${stack} is not a Talos stack`);
  return cluster;
}

const nodeOf = (cluster: TalosClusterSpec, name: string): TalosNode => cluster.nodes.find((n) => n.name === name)!;

/** Rule name → [ports/protocol, sources]. */
function rulesOf(
  cluster: TalosClusterSpec,
  node: string,
  cloudflare: readonly string[] | undefined = CLOUDFLARE,
): Record<string, [string, string[]]> {
  const [defaultAction, ...rules] = firewallDocuments(cluster, nodeOf(cluster, node), cloudflare);
  assert.deepEqual(defaultAction, { apiVersion: "v1alpha1", kind: "NetworkDefaultActionConfig", ingress: "block" });
  return Object.fromEntries(
    (rules as FirewallRule[]).map((r) => [
      r.name,
      [`${r.portSelector.ports.join(",")}/${r.portSelector.protocol}`, r.ingress.map((i) => i.subnet)],
    ]),
  );
}

describe("Talos host firewall documents", () => {
  it("emits nothing while cluster.firewall is off (the default)", () => {
    const cluster = talosOf("controlplane-on-vip");
    assert.equal(cluster.firewall, undefined);
    assert.deepEqual(firewallDocuments(cluster, nodeOf(cluster, "lab-cp1"), undefined), []);
  });

  it("GIVEN the homelab stack (deployment placement) WHEN a control plane is configured THEN the APIs answer the admin subnets, the cluster ports only the nodes, and :80/:443 stay closed", () => {
    const nodes = ["10.0.10.0/24"]; // every node lies inside the first admin subnet, so that subnet stands for them
    assert.deepEqual(rulesOf(talosOf("deployment-behind-metallb"), "cp1"), {
      "apid-ingress": ["50000/tcp", [...nodes, "10.99.0.0/24"]],
      "kubelet-ingress": [
        "10250/tcp",
        ["10.0.10.11/32", "10.0.10.12/32", "10.0.10.13/32", "10.0.10.21/32", "10.0.10.22/32", "10.244.0.0/16"],
      ],
      "cni-vxlan": ["4789/udp", ["10.0.10.11/32", "10.0.10.12/32", "10.0.10.13/32", "10.0.10.21/32", "10.0.10.22/32"]],
      "kubernetes-api-ingress": ["6443/tcp", [...nodes, "10.99.0.0/24", "10.244.0.0/16"]],
      "trustd-ingress": ["50001/tcp", ["10.0.10.11/32", "10.0.10.12/32", "10.0.10.13/32", "10.0.10.21/32", "10.0.10.22/32"]],
      "etcd-ingress": ["2379-2380/tcp", ["10.0.10.11/32", "10.0.10.12/32", "10.0.10.13/32"]],
      // cluster.backup is set: talos-backup's pod calls apid, with its pod address when it runs on this control plane.
      "apid-ingress-etcd-backup": ["50000/tcp", ["10.244.0.0/16"]],
      "metallb-memberlist-tcp": ["7946/tcp", ["10.0.10.11/32", "10.0.10.12/32", "10.0.10.13/32", "10.0.10.21/32", "10.0.10.22/32"]],
      "metallb-memberlist-udp": ["7946/udp", ["10.0.10.11/32", "10.0.10.12/32", "10.0.10.13/32", "10.0.10.21/32", "10.0.10.22/32"]],
    });
  });

  it("gives a worker no Kubernetes API, trustd or etcd rule: it runs none of them", () => {
    assert.deepEqual(Object.keys(rulesOf(talosOf("deployment-behind-metallb"), "worker1")), [
      "apid-ingress",
      "kubelet-ingress",
      "cni-vxlan",
      "metallb-memberlist-tcp",
      "metallb-memberlist-udp",
    ]);
  });

  it("GIVEN the edge stack (host-network Traefik, proxied apps) THEN every node takes :80/:443 only from Cloudflare's ranges, ingressSources and the pod network", () => {
    const rules = rulesOf(talosOf("daemonset-edge-site"), "edge-w2");
    assert.deepEqual(rules["traefik-ingress"], ["80,443/tcp", ["10.244.0.0/16", "104.16.0.0/13", "173.245.48.0/20", "192.168.50.0/24"]]);
    assert.deepEqual(rules["apid-ingress"], ["50000/tcp", ["192.168.50.0/24"]], "admin subnets default to the node subnet");
  });

  it("opens :80/:443 to everyone while an app is unproxied and ingressSources is not set: its clients connect directly", () => {
    const rules = rulesOf(talosOf("controlplane-on-vip", { "cluster.firewall.enabled": true }), "lab-cp2");
    assert.deepEqual(rules["traefik-ingress"], ["80,443/tcp", ["0.0.0.0/0"]]);
  });

  it("admits only the control planes' Traefik ports in the controlplane placement", () => {
    const cluster = talosOf("controlplane-on-vip", {
      "cluster.firewall.enabled": true,
      "cluster.nodes.lab-w1": { role: "worker", ip: "10.20.0.21", vmId: 3021, proxmoxNode: "pve1" },
    });
    assert.ok(rulesOf(cluster, "lab-cp1")["traefik-ingress"]);
    assert.equal(rulesOf(cluster, "lab-w1")["traefik-ingress"], undefined);
  });

  it("refuses to build the Traefik rule for proxied apps without Cloudflare's deploy-time ranges", () => {
    const cluster = talosOf("daemonset-edge-site");
    assert.throws(() => firewallDocuments(cluster, nodeOf(cluster, "edge-cp1"), undefined), /pass the deploy-time lookup/);
  });
});
