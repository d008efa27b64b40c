/**
 * The twin's world models against the behaviours they copy (each model file
 * cites its source): what fails a step, with the provider's own message.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Props, ResourceModel, StepContext } from "./engine.ts";
import { emptyKubeWorld, kubernetesBetweenRuns, kubernetesModels, kubernetesObjectModel } from "./world/kubernetes.ts";
import { clusterHealth, emptyTalosWorld, talosInvokes } from "./world/talos.ts";
import { proxmoxModels, proxmoxWorld } from "./world/proxmox.ts";
import { cloudflareWorld } from "./world/cloudflare.ts";
import { commandModel, commandWorld } from "./world/command.ts";
import type { TwinWorld } from "./world/time.ts";
import { TYPES, INVOKES } from "../../contract/tokens.ts";

function world(overrides: Partial<TwinWorld> = {}): TwinWorld {
  return {
    clock: 0,
    kubernetes: emptyKubeWorld(true),
    proxmox: proxmoxWorld(["pve"]),
    cloudflare: cloudflareWorld(),
    command: commandWorld("/tmp", { PATH: "/usr/bin:/bin" }),
    stages: {},
    ...overrides,
  };
}

const ctx = (w: TwinWorld, inputs: Props, name = "r"): StepContext<TwinWorld> => ({
  urn: `urn:pulumi:s::p::t::${name}`,
  name,
  type: "t",
  inputs,
  world: w,
});
const create = async (model: ResourceModel<TwinWorld>, w: TwinWorld, inputs: Props, name?: string) => model.create(ctx(w, inputs, name));

const namespace = (name: string) => ({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
const release = (chart: string, namespace: string, values: Props = {}) => ({
  name: chart,
  namespace,
  chart,
  version: "1.0.0",
  values,
  timeout: 600,
  atomic: true,
});
const pool = {
  apiVersion: "metallb.io/v1beta1",
  kind: "IPAddressPool",
  metadata: { name: "default", namespace: "metallb-system" },
  spec: { addresses: ["10.0.0.240/28"], autoAssign: true },
};
const l2 = {
  apiVersion: "metallb.io/v1beta1",
  kind: "L2Advertisement",
  metadata: { name: "l2", namespace: "metallb-system" },
  spec: { ipAddressPools: ["default"] },
};
const models = kubernetesModels();

test("MetalLB: with the chart's default failurePolicy, a pool created right after the release is refused (connection refused, not retried); it is admitted once the webhook serves", async () => {
  const w = world();
  await create(models[TYPES.namespace]!, w, namespace("metallb-system"));
  await create(models[TYPES.release]!, w, release("metallb", "metallb-system"));
  await assert.rejects(
    create(kubernetesObjectModel, w, pool),
    /failed calling webhook "ipaddresspoolvalidationwebhook\.metallb\.io": failed to call webhook: Post "https:\/\/metallb-webhook-service\.metallb-system\.svc:443\/validate-metallb-io-v1beta1-ipaddresspool\?timeout=10s": .*connect: connection refused/,
  );
  kubernetesBetweenRuns(w);
  await create(kubernetesObjectModel, w, pool);
  assert.ok(Object.values(w.kubernetes.objects).some((o) => o.kind === "IPAddressPool"));
});

test("MetalLB: with failurePolicy Ignore the pools are admitted before the webhook serves", async () => {
  const w = world();
  await create(models[TYPES.namespace]!, w, namespace("metallb-system"));
  await create(models[TYPES.release]!, w, release("metallb", "metallb-system", { crds: { validationFailurePolicy: "Ignore" } }));
  await create(kubernetesObjectModel, w, pool);
  await create(kubernetesObjectModel, w, l2);
  assert.equal(w.kubernetes.webhooks[0]!.serving, false);
});

test("a custom resource before its CRD fails with NoMatch; one in a missing namespace with NotFound", async () => {
  const w = world();
  await assert.rejects(create(kubernetesObjectModel, w, pool), /no matches for kind "IPAddressPool" in version "metallb\.io\/v1beta1"/);
  await assert.rejects(
    create(kubernetesObjectModel, w, { apiVersion: "v1", kind: "Secret", metadata: { name: "s", namespace: "apps" } }),
    /namespaces "apps" not found/,
  );
});

const ingress = {
  apiVersion: "networking.k8s.io/v1",
  kind: "Ingress",
  metadata: { name: "web", namespace: "default" },
  spec: { ingressClassName: "traefik" },
};

test("Ingress: without a published Service or ingressEndpoint Traefik writes no status, and the await fails after 10 minutes with pulumi-kubernetes' message; the object stays", async () => {
  const w = world();
  await create(models[TYPES.namespace]!, w, namespace("traefik"));
  await create(
    models[TYPES.release]!,
    w,
    release("traefik", "traefik", { service: { enabled: false }, ingressClass: { name: "traefik" } }),
  );
  await assert.rejects(create(kubernetesObjectModel, w, ingress, "web-ingress"), (err: Error & { created?: Props }) => {
    assert.match(
      err.message,
      /was successfully created, but the Kubernetes API server reported that it failed to fully initialize or become live: 'web' timed out waiting to be Ready\n\s+\* Ingress \.status\.loadBalancer field was not updated with a hostname\/IP address/,
    );
    assert.ok(err.created);
    return true;
  });
  assert.equal(w.clock, 600);
});

test("Ingress: ingressEndpoint.ip, or a published LoadBalancer Service's address, becomes the status", async () => {
  const hostNetwork = world();
  await create(models[TYPES.namespace]!, hostNetwork, namespace("traefik"));
  await create(
    models[TYPES.release]!,
    hostNetwork,
    release("traefik", "traefik", {
      service: { enabled: false },
      ingressClass: { name: "traefik" },
      providers: { kubernetesIngress: { ingressEndpoint: { ip: "192.168.1.50" } } },
    }),
  );
  assert.deepEqual(await create(kubernetesObjectModel, hostNetwork, ingress), {
    id: "default/web",
    status: { loadBalancer: { ingress: [{ ip: "192.168.1.50" }] } },
  });

  const lb = world();
  for (const ns of ["metallb-system", "traefik"]) await create(models[TYPES.namespace]!, lb, namespace(ns));
  await create(models[TYPES.release]!, lb, release("metallb", "metallb-system", { crds: { validationFailurePolicy: "Ignore" } }));
  await create(kubernetesObjectModel, lb, pool);
  await create(kubernetesObjectModel, lb, l2);
  await create(
    models[TYPES.release]!,
    lb,
    release("traefik", "traefik", {
      service: { annotations: { "metallb.io/loadBalancerIPs": "10.0.0.241" }, spec: { type: "LoadBalancer" } },
    }),
  );
  assert.deepEqual((await create(kubernetesObjectModel, lb, ingress)).status, { loadBalancer: { ingress: [{ ip: "10.0.0.241" }] } });
});

test("Helm: a LoadBalancer Service without a MetalLB address fails the release after its timeout (helm --wait), and atomic uninstalls it", async () => {
  const w = world();
  await create(models[TYPES.namespace]!, w, namespace("traefik"));
  await assert.rejects(
    create(models[TYPES.release]!, w, release("traefik", "traefik", { service: { spec: { type: "LoadBalancer" } } })),
    /release traefik failed, and has been uninstalled due to atomic being set: context deadline exceeded/,
  );
  assert.deepEqual(w.kubernetes.releases, {});
  assert.equal(w.clock, 600);
});

test("Talos' checks: a Kubernetes Node not in the lists is 'unexpected', an etcd member that is no listed control plane fails the etcd check", () => {
  const w = world({ kubernetes: emptyKubeWorld(false), talos: emptyTalosWorld() });
  const t = w.talos!;
  for (const [ip, role] of [
    ["10.0.0.11", "controlplane"],
    ["10.0.0.12", "controlplane"],
    ["10.0.0.21", "worker"],
  ] as const) {
    t.nodes[ip] = {
      ip,
      vm: ip,
      phase: "running",
      readyAt: 0,
      release: "v1.13.9",
      schematic: "s",
      role,
      hostname: ip,
      config: { machineType: role, machineConfiguration: "", patches: [] },
    };
  }
  t.bootstrappedAt = 0;
  t.bootstrapNode = "10.0.0.11";
  t.apiServerAt = 0;
  w.clock = 1000;
  t.etcd = [
    { id: "a1", hostname: "cp1", ip: "10.0.0.11", healthy: true },
    { id: "b2", hostname: "cp2", ip: "10.0.0.12", healthy: true },
  ];
  t.kubernetesNodes = ["10.0.0.11", "10.0.0.12", "10.0.0.21"].map((ip) => ({ name: ip, ip, registeredAt: 0 }));
  assert.equal(clusterHealth(w, ["10.0.0.11", "10.0.0.12"], ["10.0.0.21"]), undefined);
  // A retiring worker left out of the lists while still a Kubernetes Node.
  assert.deepEqual(clusterHealth(w, ["10.0.0.11", "10.0.0.12"], []), {
    check: "all k8s nodes to report",
    error: 'unexpected nodes with IPs ["10.0.0.21"]',
  });
  // A retiring control plane left out while still an etcd member.
  assert.deepEqual(clusterHealth(w, ["10.0.0.11"], ["10.0.0.21"]), {
    check: "etcd members to be control plane nodes",
    error: 'etcd member ips ["10.0.0.11" "10.0.0.12"] are not subset of control plane node ips ["10.0.0.11"]',
  });
  assert.throws(
    () =>
      talosInvokes[INVOKES.talosClusterHealth]!(
        { controlPlaneNodes: ["10.0.0.11"], workerNodes: ["10.0.0.21"], timeouts: { read: "1m" } },
        { world: w, preview: false },
      ),
    /health check failed: waiting for etcd members to be control plane nodes: etcd member ips/,
  );
  assert.equal(w.clock, 1060, "the check polled until its timeout");
});

const vm = (cdrom: string) => ({
  nodeName: "pve",
  name: "cp1",
  machine: "q35",
  cdrom: { fileId: "none", interface: cdrom },
  disks: [{ interface: "virtio0" }],
  initialization: { interface: "ide2", ipConfigs: [{ ipv4: { address: "10.0.0.11/24" } }] },
});

test("Proxmox: a q35 VM with a drive on ide3 does not start on a qemu-server without the remap; ide0 does; two drives in one slot fail", async () => {
  const vmLegacy = proxmoxModels[TYPES.vm]!;
  await assert.rejects(create(vmLegacy, world(), vm("ide3")), /Can't create IDE unit 1, bus supports only 1 units/);
  await create(vmLegacy, world({ proxmox: proxmoxWorld(["pve"], true) }), vm("ide3"));
  await create(vmLegacy, world(), vm("ide0"));
  await assert.rejects(create(vmLegacy, world(), vm("ide2")), /cdrom and cloud-init drive both on ide2/);
});

test("local Command: create runs with /bin/sh -c in the project directory with the world's PATH and the resource's environment; a failure reports exit status, command and output", async () => {
  const w = world();
  const out = await create(commandModel, w, {
    create: 'echo "$GREETING from $(pwd)"; command -v talosctl || echo no talosctl',
    environment: { GREETING: "hi" },
  });
  assert.deepEqual(out, { stdout: "hi from /tmp\nno talosctl", stderr: "" });
  await assert.rejects(
    create(commandModel, w, { create: "echo broken >&2; exit 3" }),
    (err: Error) => err.message === 'exit status 3: running "echo broken >&2; exit 3":\nbroken\n',
  );
  assert.deepEqual(w.command.ran.length, 2);
});
