import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { configFrom, fixtureRaw, itRejectsEach, validConfig, withChanges, type BadConfigCase, exampleConfig } from "../helpers/config.ts";
import { parseHomelabConfig } from "../../config/validate.ts";
import { readFileSync } from "node:fs";
import { configJsonSchema, configMarkdown } from "../../config/docs.ts";
import { exampleStackNames } from "../../synth/stack-file.ts";

const BAD_CONFIGS: readonly BadConfigCase[] = [
  ["misspelt top-level key", { tarefik: { placement: "daemonset" } }, "homelab:tarefik", "did you mean traefik?"],
  ["misspelt nested key", { "traefik.replica": 3 }, "homelab:traefik.replica", "did you mean replicas?"],
  ["node address not an IPv4", { "cluster.nodes.cp2.ip": "10.0.10.300" }, "homelab:cluster.nodes.cp2.ip", "IPv4 address"],
  [
    "node outside the subnet",
    { "cluster.nodes.worker1.ip": "10.0.20.21" },
    "homelab:cluster.nodes.worker1.ip",
    "outside cluster.network.subnet 10.0.10.0/24",
  ],
  [
    "two nodes share an address",
    { "cluster.nodes.cp2.ip": "10.0.10.11" },
    "homelab:cluster.nodes.cp2.ip",
    "is also cluster.nodes.cp1.ip 10.0.10.11",
  ],
  [
    "VIP equals a node address",
    { "cluster.network.vip": "10.0.10.21" },
    "homelab:cluster.nodes.worker1.ip",
    "is also cluster.network.vip 10.0.10.21",
  ],
  ["VIP outside the subnet", { "cluster.network.vip": "192.168.1.10" }, "homelab:cluster.network.vip", "outside cluster.network.subnet"],
  [
    "duplicate VM id",
    { "cluster.nodes.worker2.vmId": 1021 },
    "homelab:cluster.nodes.worker2.vmId",
    "also used by cluster.nodes.worker1.vmId",
  ],
  [
    "no control plane",
    { "cluster.nodes.cp1.role": "worker", "cluster.nodes.cp2.role": "worker", "cluster.nodes.cp3.role": "worker" },
    "homelab:cluster.nodes",
    "at least one node with role controlplane",
  ],
  [
    "control planes only, scheduling off",
    { "cluster.nodes.worker1": undefined, "cluster.nodes.worker2": undefined },
    "homelab:cluster.allowSchedulingOnControlPlanes",
    "set it to true",
  ],
  ["subnet with host bits", { "cluster.network.subnet": "10.0.10.5/24" }, "homelab:cluster.network.subnet", "did you mean 10.0.10.0/24?"],
  [
    "pool overlaps a node",
    { "metallb.pools.services.addresses": ["10.0.10.20-10.0.10.30"], "traefik.loadBalancerIP": "10.0.10.25" },
    "homelab:metallb.pools.services.addresses[0]",
    "overlaps cluster.nodes.worker1.ip 10.0.10.21",
  ],
  [
    "pool outside the subnet",
    { "metallb.pools.services.addresses": ["10.0.99.240/28"], "traefik.loadBalancerIP": undefined },
    "homelab:metallb.pools.services.addresses[0]",
    "not inside cluster.network.subnet 10.0.10.0/24",
  ],
  [
    "Traefik address outside its pool",
    { "traefik.loadBalancerIP": "10.0.10.200" },
    "homelab:traefik.loadBalancerIP",
    "not in metallb.pools.services",
  ],
  [
    "controlplane placement without a VIP",
    {
      "traefik.placement": "controlplane",
      "traefik.replicas": undefined,
      "traefik.loadBalancerIP": undefined,
      "cluster.network.vip": undefined,
    },
    "homelab:cluster.network.vip",
    "placement controlplane sends traffic to the Talos VIP",
  ],
  [
    "daemonset placement with replicas",
    { "traefik.placement": "daemonset", "traefik.loadBalancerIP": undefined },
    "homelab:traefik.replicas",
    "placement daemonset runs one Traefik per node",
  ],
  [
    "controlplane placement with 2 replicas",
    { "traefik.placement": "controlplane", "traefik.loadBalancerIP": undefined },
    "homelab:traefik.replicas",
    "runs one Traefik on each control plane",
  ],
  ["deployment with one replica", { "traefik.replicas": 1 }, "homelab:traefik.replicas", "at least 2"],
  [
    "ACME with two replicas",
    { "traefik.acme": { enabled: true, email: "a@example.com" } },
    "homelab:traefik.acme.enabled",
    "cannot be shared between 2 replicas",
  ],
  [
    "app host outside the zone",
    { "apps.grafana.hosts": ["grafana.example.org"] },
    "homelab:apps.grafana.hosts[0]",
    "outside dns.zone example.com",
  ],
  [
    "two apps claim one host and path",
    { "apps.chat.hosts": ["grafana.example.com"] },
    "homelab:apps.grafana.backends[0].path",
    "also claimed by apps.chat",
  ],
  ["app names an undefined issuer", { "apps.jellyfin.issuer": "zerossl" }, "homelab:apps.jellyfin.issuer", "issuer zerossl is not defined"],
  [
    "default issuer undefined",
    { "certManager.defaultIssuer": "letsencrypt" },
    "homelab:certManager.defaultIssuer",
    "use one of: letsencrypt-staging, letsencrypt-production",
  ],
  [
    "basic auth from a missing secret",
    { "apps.traefik-admin.middlewares.basicAuth.usersSecret": "nobody" },
    "homelab:apps.traefik-admin.middlewares.basicAuth.usersSecret",
    "pulumi config set --secret homelab:nobody",
  ],
  [
    "Cloudflare-only app that is not proxied",
    { "apps.home-assistant.proxied": false },
    "homelab:apps.home-assistant.middlewares.ipAllowList.cloudflare",
    "blocks every visitor",
  ],
  ["external app without a target", { "apps.nas.external": undefined }, "homelab:apps.nas.external", "kind external needs"],
  [
    "unknown placement",
    { "traefik.placement": "hostport" },
    "homelab:traefik.placement",
    "expected placement deployment, daemonset or controlplane",
  ],
  ["missing ACME e-mail", { "certManager.email": undefined }, "homelab:certManager.email", "is required"],
  [
    "MetalLB disabled under the deployment placement",
    { "metallb.enabled": false },
    "homelab:metallb.enabled",
    "placement deployment needs MetalLB",
  ],
  [
    "proxied apps behind a private entry, no public address",
    { "dns.publicAddress": undefined },
    "homelab:dns.publicAddress",
    "would point Cloudflare at the private entry address 10.0.10.240",
  ],
  ["a private public address", { "dns.publicAddress": "192.168.1.1" }, "homelab:dns.publicAddress", "192.168.1.1 is a private address"],
  ["Talos version malformed", { "cluster.talos.version": "1.13" }, "homelab:cluster.talos.version", "like v1.13.9"],
  [
    "a firewall that admits nobody to the Talos API",
    { "cluster.firewall.adminSubnets": [] },
    "homelab:cluster.firewall.adminSubnets",
    "an empty list admits nobody to the Talos API (50000): the apply that installs the firewall would be the last that reaches the nodes; list the subnet pulumi up and talosctl run from",
  ],
  [
    "a firewall that opens the Talos API to the internet",
    { "cluster.firewall.adminSubnets": ["10.0.10.0/24", "0.0.0.0/0"] },
    "homelab:cluster.firewall.adminSubnets[1]",
    "0.0.0.0/0 opens the Talos API (50000) and the Kubernetes API to the whole internet",
  ],
  // The config contract, not the installed release (v1.13.9 here), decides the patch shapes and so what exists.
  [
    "a firewall on a Talos config contract that has none",
    { "cluster.talos.configContract": "v1.5", "namespaces.apps.defaultDeny": false, "namespaces.media.defaultDeny": false },
    "homelab:cluster.firewall.enabled",
    "cluster.talos.configContract v1.5 has no host firewall (NetworkRuleConfig arrived in contract v1.6); turn the firewall off, or raise cluster.talos.configContract to v1.6 or newer",
  ],
  [
    "default deny on a Talos config contract without a NetworkPolicy enforcer",
    { "cluster.talos.configContract": "v1.12" },
    "homelab:namespaces.apps.defaultDeny",
    "cluster.talos.configContract v1.12 runs Flannel without kube-network-policies (contract v1.13 deploys it beside Flannel on request), so no NetworkPolicy is enforced: default deny would deny nothing; remove defaultDeny, or raise cluster.talos.configContract to v1.13",
  ],
  // The rules below are also the policy pack's (helm-release-pinned, proxmox-vm-cpu-type): one definition, checked before deploy.
  [
    "a chart version range",
    { "metallb.chart.version": "^0.16.0" },
    "homelab:metallb.chart.version",
    "expected an exact chart version, e.g. 41.3.0",
  ],
  [
    "a chart repository over plain http",
    { "certManager.chart.repository": "http://charts.jetstack.io" },
    "homelab:certManager.chart.repository",
    "expected the chart repository's https:// URL",
  ],
  [
    "a CPU type without x86-64-v2",
    { "cluster.nodeDefaults.cpuType": "kvm64" },
    "homelab:cluster.nodeDefaults.cpuType",
    "lacks x86-64-v2, so Talos halts at boot",
  ],
];

/** The warnings beside the one about public records to a private address (test/config/private-address-records.test.ts), which the examples' LAN apps draw. */
const besidesPrivateRecords = (warnings: readonly string[]) => warnings.filter((w) => !/ names? a private address: /.test(w));

describe("stack config", () => {
  itRejectsEach(BAD_CONFIGS);

  it("lists every problem of a config at once, one line each", () => {
    const result = configFrom("deployment-behind-metallb", {
      "cluster.nodes.cp2.ip": "10.0.10.11",
      "apps.grafana.hosts": ["grafana.example.org"],
      "apps.jellyfin.issuer": "zerossl",
    });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(
      result.errors.map((e) => e.split(":")[1]),
      ["cluster.nodes.cp2.ip", "apps.grafana.hosts[0]", "apps.jellyfin.issuer"],
    );
  });

  it("names both keys of an address conflict and the offending values", () => {
    const result = configFrom("deployment-behind-metallb", {
      "metallb.pools.services.addresses": ["10.0.10.0/28"],
      "traefik.loadBalancerIP": undefined,
    });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.ok(
      result.errors.includes(
        "homelab:metallb.pools.services.addresses[0]: metallb.pools.services 10.0.10.0/28 overlaps cluster.nodes.cp1.ip 10.0.10.11; move the pool or the address",
      ),
      result.errors.join("\n"),
    );
  });

  it("accepts every committed example stack", () => {
    for (const stack of exampleStackNames(new URL("../..", import.meta.url).pathname)) exampleConfig(stack);
  });

  it("derives the gateway and Traefik's address when they are not set", () => {
    const config = validConfig("deployment-behind-metallb", { "cluster.network.gateway": undefined, "traefik.loadBalancerIP": undefined });
    assert.equal(config.cluster.provider === "talos" && config.cluster.network.gateway, "10.0.10.1");
    assert.equal(config.traefik.placement === "deployment" && config.traefik.loadBalancerIP, "10.0.10.240");
    assert.equal(config.traefik.placement === "deployment" && config.traefik.pool, "services");
  });

  it("fills node sizing from node defaults, then the built-in defaults", () => {
    const config = validConfig("deployment-behind-metallb", { "cluster.nodeDefaults": { memory: 6144 } });
    assert.equal(config.cluster.provider, "talos");
    if (config.cluster.provider !== "talos") return;
    const byName = Object.fromEntries(config.cluster.nodes.map((n) => [n.name, n]));
    assert.deepEqual(
      [byName.cp1!.memory, byName.cp1!.cores, byName.cp1!.cpuType, byName.worker1!.memory, byName.worker1!.diskSize],
      [6144, 2, "host", 8192, 64],
    );
  });

  it("applies app defaults: issuer, proxying, kind and namespace", () => {
    const config = validConfig("deployment-behind-metallb");
    const grafana = config.apps.find((a) => a.name === "grafana")!;
    assert.deepEqual(
      [grafana.kind, grafana.issuer, grafana.proxied, grafana.backends[0]!.path],
      ["ingress", "letsencrypt-production", true, "/"],
    );
    // The lab's default issuer is staging: an app without its own takes that one, not production.
    const registry = validConfig("controlplane-on-vip", { "apps.registry.namespace": undefined }).apps.find((a) => a.name === "registry")!;
    assert.deepEqual([registry.issuer, registry.proxied, registry.namespace], ["letsencrypt-staging", false, "default"]);
  });

  it("installs MetalLB only when the placement needs a LoadBalancer IP, unless asked", () => {
    const dsChanges = {
      "traefik.placement": "daemonset",
      "traefik.replicas": undefined,
      "traefik.loadBalancerIP": undefined,
      "traefik.privateEntry.loadBalancerIP": undefined,
    };
    assert.equal(validConfig("deployment-behind-metallb").metallb.enabled, true);
    assert.equal(validConfig("deployment-behind-metallb", dsChanges).metallb.enabled, false);
    assert.equal(validConfig("deployment-behind-metallb", { ...dsChanges, "metallb.enabled": true }).metallb.enabled, true);
  });

  it("yields the same config whatever the order of nodes and apps in the file", () => {
    const { raw, secretKeys } = fixtureRaw("deployment-behind-metallb");
    const reversed = (o: unknown) => Object.fromEntries(Object.entries(o as object).reverse());
    const cluster = raw.cluster as Record<string, unknown>;
    const shuffled = withChanges(raw, { "cluster.nodes": reversed(cluster.nodes), apps: reversed(raw.apps) });
    const a = parseHomelabConfig(raw, secretKeys);
    const b = parseHomelabConfig(shuffled, secretKeys);
    assert.ok(a.ok && b.ok);
    assert.equal(JSON.stringify(b.config), JSON.stringify(a.config));
  });

  it("freezes the parsed config so no component can change it", () => {
    const config = validConfig("deployment-behind-metallb");
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.apps) && Object.isFrozen(config.apps[0]));
  });

  it("warns about an even number of control planes without failing", () => {
    const result = configFrom("deployment-behind-metallb", { "cluster.nodes.cp3": undefined });
    assert.ok(result.ok);
    assert.deepEqual(besidesPrivateRecords(result.warnings), [
      "homelab:cluster.nodes: 2 control planes: etcd quorum tolerates no more failures than 1 would; an odd number is recommended",
    ]);
  });
});

describe("pod network (host-network Traefik's NetworkPolicy peers)", () => {
  /** The k3s stack: an existing cluster, Traefik as a hostNetwork DaemonSet, a default-deny namespace with two policed apps. */
  const BAD_K3S: readonly BadConfigCase[] = [
    [
      "a host-network placement with app NetworkPolicies but no pod network",
      { "cluster.network.podSubnet": undefined },
      "homelab:cluster.network.podSubnet",
      "which the allow-traefik NetworkPolicies (for apps notes, whoami) must admit; set cluster.network.podSubnet to your CNI's pod CIDR, e.g. 10.42.0.0/16 on k3s",
    ],
    [
      "a pod network that is not a CIDR",
      { "cluster.network.podSubnet": "10.42.0.0" },
      "homelab:cluster.network.podSubnet",
      "expected the pod network as an IPv4 CIDR, e.g. 10.42.0.0/16",
    ],
    [
      "a pod network with host bits",
      { "cluster.network.podSubnet": "10.42.0.1/16" },
      "homelab:cluster.network.podSubnet",
      "did you mean 10.42.0.0/16?",
    ],
    [
      "a pod network overlapping the node subnet",
      { "cluster.network.podSubnet": "192.168.0.0/16" },
      "homelab:cluster.network.podSubnet",
      "192.168.0.0/16 overlaps cluster.network.subnet 192.168.1.0/24: pods and the node network cannot share addresses",
    ],
    [
      "a pod network holding node addresses when no node subnet is given",
      { "cluster.network.subnet": undefined, "cluster.network.podSubnet": "192.168.1.16/28" },
      "homelab:cluster.network.podSubnet",
      "192.168.1.16/28 overlaps cluster.nodes.k3s-server.ip 192.168.1.20, cluster.nodes.k3s-agent1.ip 192.168.1.21, cluster.nodes.k3s-agent2.ip 192.168.1.22",
    ],
    [
      "a pod network holding the VIP and a MetalLB pool",
      {
        "cluster.network.subnet": undefined,
        "cluster.network.podSubnet": "10.42.0.0/16",
        "cluster.network.vip": "10.42.0.5",
        "metallb.pools.lan.addresses": ["10.42.9.0/28"],
      },
      "homelab:cluster.network.podSubnet",
      "10.42.0.0/16 overlaps cluster.network.vip 10.42.0.5, metallb.pools.lan.addresses[0] 10.42.9.0/28",
    ],
    [
      "the controlplane placement with app NetworkPolicies but no control plane listed",
      { "traefik.placement": "controlplane", "cluster.network.vip": "192.168.1.30", "cluster.nodes.k3s-server.role": "worker" },
      "homelab:cluster.nodes",
      "the allow-traefik NetworkPolicies (for apps notes, whoami) admit Traefik by the addresses of the control planes it runs on; list the cluster's control-plane nodes",
    ],
    [
      "default deny on a cluster stated not to enforce NetworkPolicies",
      { "cluster.enforcesNetworkPolicies": false },
      "homelab:namespaces.apps.defaultDeny",
      "cluster.enforcesNetworkPolicies is false, so the cluster enforces no NetworkPolicy: default deny would deny nothing; remove defaultDeny, or, if the CNI does enforce NetworkPolicies (k3s' embedded controller, Calico, Cilium), set cluster.enforcesNetworkPolicies: true",
    ],
  ];
  itRejectsEach(BAD_K3S, "existing-cluster");

  itRejectsEach(
    [
      // tls-host-in-issuer-zone's rule, through the same solverZones the ClusterIssuers are built from.
      [
        "a host its issuer cannot solve DNS-01 for",
        { "apps.grafana.hosts": ["grafana.example.org"] },
        "homelab:apps.grafana.hosts[0]",
        "grafana.example.org is outside the zones issuer letsencrypt-production solves DNS-01 for (lab.example.org)",
      ],
    ],
    "controlplane-on-vip",
  );

  it("lets an Exact and a Prefix route share a host and path, as the policy pack and Traefik's priorities do", () => {
    const result = configFrom("deployment-behind-metallb", {
      "apps.status": {
        namespace: "apps",
        hosts: ["grafana.example.com"],
        backends: [{ path: "/", pathType: "Exact", service: "status", port: 80 }],
      },
    });
    assert.deepEqual(result.ok ? [] : result.errors, []);
  });

  itRejectsEach([
    [
      "a Talos node subnet inside Talos' pod network",
      { "cluster.network.subnet": "10.244.10.0/24" },
      "homelab:cluster.network.subnet",
      "10.244.10.0/24 overlaps 10.244.0.0/16, the pod network Talos gives pods",
    ],
  ]);

  it("resolves the pod network: Talos' default for a Talos cluster, the configured one for an existing cluster", () => {
    const talos = validConfig("deployment-behind-metallb").cluster;
    const existing = validConfig("existing-cluster").cluster;
    assert.equal(talos.provider === "talos" && talos.network.podSubnet, "10.244.0.0/16");
    assert.equal(existing.provider === "existing" && existing.network.podSubnet, "10.42.0.0/16");
  });

  it("needs no pod network from an existing cluster while no app gets a NetworkPolicy", () => {
    const result = configFrom("existing-cluster", {
      "cluster.network.podSubnet": undefined,
      namespaces: {},
      "apps.whoami.networkPolicy": false,
      "apps.notes.networkPolicy": false,
    });
    assert.ok(result.ok, result.ok ? "" : result.errors.join("\n"));
  });

  it("warns that default deny admits the whole pod network when Traefik uses the host network", () => {
    const result = configFrom("existing-cluster");
    assert.ok(result.ok, result.ok ? "" : result.errors.join("\n"));
    assert.deepEqual(besidesPrivateRecords(result.warnings), [
      "homelab:namespaces.apps.defaultDeny: Traefik uses the host network (placement daemonset), so the namespace's allow-traefik NetworkPolicy (for notes, whoami) admits the node addresses and the whole pod network 10.42.0.0/16: default deny still keeps out traffic from outside the cluster, but not from the cluster's other pods; use placement deployment to admit Traefik's pods alone (got true)",
    ]);
    const deployment = configFrom("deployment-behind-metallb");
    assert.ok(deployment.ok);
    assert.deepEqual(besidesPrivateRecords(deployment.warnings), []);
  });
});

describe("opting an app out of the shared allow-traefik policy", () => {
  it("warns, without failing, that an opt-out changes nothing while another in-cluster app of the namespace keeps the policy", () => {
    // GIVEN k3s without default deny: whoami opts out, notes (same namespace) keeps the policy, nas is external
    const result = configFrom("existing-cluster", { "namespaces.apps.defaultDeny": false, "apps.whoami.networkPolicy": false });
    assert.ok(result.ok, result.ok ? "" : result.errors.join("\n"));
    assert.deepEqual(besidesPrivateRecords(result.warnings), [
      "homelab:apps.whoami.networkPolicy: namespace apps keeps its allow-traefik NetworkPolicy for notes, and it admits Traefik to every pod there, this app's too, so networkPolicy: false changes nothing; set networkPolicy: false on notes as well, or move the app to a namespace of its own",
    ]);
  });

  it("stays quiet when every in-cluster app of the namespace opts out, or the app is alone in its namespace", () => {
    const allOut = configFrom("existing-cluster", {
      "namespaces.apps.defaultDeny": false,
      "apps.whoami.networkPolicy": false,
      "apps.notes.networkPolicy": false,
    });
    assert.ok(allOut.ok, allOut.ok ? "" : allOut.errors.join("\n"));
    assert.deepEqual(besidesPrivateRecords(allOut.warnings), []);
    const alone = configFrom("deployment-behind-metallb", { "apps.grafana.networkPolicy": false });
    assert.ok(alone.ok, alone.ok ? "" : alone.errors.join("\n"));
    assert.deepEqual(besidesPrivateRecords(alone.warnings), []);
  });

  it("still rejects an opt-out in a default-deny namespace, naming the app's key", () => {
    const result = configFrom("existing-cluster", { "apps.whoami.networkPolicy": false });
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.deepEqual(result.errors, [
      "homelab:apps.whoami.networkPolicy: namespaces.apps.defaultDeny blocks Traefik from the app's pods unless the namespace's allow-traefik policy admits it, which networkPolicy: false opts out of; remove networkPolicy: false or turn defaultDeny off",
    ]);
  });
});

describe("config reference", () => {
  it("docs/config.md and docs/config.schema.json are generated from the current schema (run npm run gen)", () => {
    const root = new URL("../../docs/", import.meta.url);
    assert.equal(readFileSync(new URL("config.md", root), "utf8"), configMarkdown());
    assert.equal(readFileSync(new URL("config.schema.json", root), "utf8"), `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  });

  it("documents every key with its default", () => {
    const md = configMarkdown();
    assert.ok(
      md.includes('| `traefik.placement` | `deployment` \\| `daemonset` \\| `controlplane` |  | `"deployment"` |'),
      md.slice(0, 200),
    );
  });
});
