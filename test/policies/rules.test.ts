/**
 * Every rule of the pack, on the program's own synth output: it passes on an
 * example stack as synthesized, and fails when one thing is changed (a
 * resource's props or options in resources.json, or the stack's config).
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { homelabPolicies } from "../../policies/rules.ts";
import { TYPES } from "../../policies/common.ts";
import type { SynthDocument } from "../../policies/offline.ts";
import { add, change, cloneAs, remove, synthDoc, violationsOf, type EditableResource } from "./synth-output.ts";

const T = TYPES;
const RELEASE = T.release;
const CONFIG_GROUP = "kubernetes:yaml/v2:ConfigGroup";

/** A Helm release's values, for edits. */
const values = (r: EditableResource): Record<string, any> => r.inputs.values as Record<string, any>;

interface Failing {
  /** Completes "fails when …". */
  readonly when: string;
  readonly edit: (doc: SynthDocument) => SynthDocument;
  /** `<type>::<name>` the violation is reported against. */
  readonly resource: string;
  readonly message: RegExp;
}

interface RuleCase {
  readonly rule: string;
  /** The example stack, optionally with config changes, the rule passes on and the edits start from. */
  readonly stack: string;
  readonly config?: Record<string, unknown>;
  readonly fails: readonly Failing[];
}

/** The legacy Talos VIP shape (≤ 1.11): on the interface. */
const legacyVipPatch = (vip: string) => `machine:\n  network:\n    interfaces:\n      - interface: eth0\n        vip:\n          ip: ${vip}\n`;
const vipDocument = (vip: string) => `apiVersion: v1alpha1\nkind: Layer2VIPConfig\nname: ${vip}\nlink: eth0\n`;

/** The allow-Traefik policy of namespace apps, which every app there shares (edge: git, status, wiki; k3s: notes, whoami). */
const APPS_POLICY = "namespaces-apps-allow-traefik";

/** The document with one ipBlock peer dropped from the named NetworkPolicy's allow rule. */
const withoutPeer = (doc: SynthDocument, policy: string, cidr: string): SynthDocument =>
  change(doc, T.networkPolicy, policy, (r) => {
    const from = r.inputs.spec.ingress[0].from as { ipBlock?: { cidr: string } }[];
    assert.ok(from.some((p) => p.ipBlock?.cidr === cidr), `${policy} has no ipBlock ${cidr}`);
    r.inputs.spec.ingress[0].from = from.filter((p) => p.ipBlock?.cidr !== cidr);
  });

const CASES: readonly RuleCase[] = [
  // ── Talos and Proxmox ──────────────────────────────────────────────────────
  {
    rule: "talos-vip-control-planes-only",
    stack: "homelab",
    fails: [
      {
        when: "a worker's patches carry the Layer2VIPConfig document",
        edit: (d) => change(d, T.configurationApply, "cluster-worker1-config", (r) => r.inputs.configPatches.push(vipDocument("10.0.10.10"))),
        resource: `${T.configurationApply}::cluster-worker1-config`,
        message: /Talos node 10\.0\.10\.21 \(cluster-worker1-config\) is a worker but its patches declare the shared VIP 10\.0\.10\.10: Talos rejects the config \("virtual \(shared\) IP is not allowed on non-controlplane nodes"\)/,
      },
      {
        when: "one control plane lacks the VIP the others share",
        edit: (d) => change(d, T.configurationApply, "cluster-cp2-config", (r) => (r.inputs.configPatches = r.inputs.configPatches.filter((p: string) => !p.includes("Layer2VIPConfig")))),
        resource: `${T.configurationApply}::cluster-cp2-config`,
        message: /declares no VIP while the control planes share 10\.0\.10\.10: the VIP only fails over to control planes that declare it/,
      },
    ],
  },
  {
    rule: "talos-vip-control-planes-only",
    stack: "homelab",
    config: { "cluster.talos.version": "v1.11.6" },
    fails: [{
      when: "a worker on Talos 1.11 gets the interface-level VIP",
      edit: (d) => change(d, T.configurationApply, "cluster-worker2-config", (r) => r.inputs.configPatches.push(legacyVipPatch("10.0.10.10"))),
      resource: `${T.configurationApply}::cluster-worker2-config`,
      message: /is a worker but its patches declare the shared VIP 10\.0\.10\.10/,
    }],
  },
  {
    rule: "talos-endpoint-uses-vip",
    stack: "homelab",
    fails: [{
      when: "a node's cluster endpoint is one control plane's address",
      edit: (d) => change(d, T.configurationApply, "cluster-worker1-config", (r) => (r.inputs.configPatches[0] = r.inputs.configPatches[0].replace("https://10.0.10.10:6443", "https://10.0.10.11:6443"))),
      resource: `${T.configurationApply}::cluster-worker1-config`,
      message: /^Talos node 10\.0\.10\.21 \(cluster-worker1-config\) uses cluster endpoint https:\/\/10\.0\.10\.11:6443 although the control planes share VIP 10\.0\.10\.10: .*set cluster\.controlPlane\.endpoint to https:\/\/10\.0\.10\.10:6443/,
    }, {
      when: "the VIP patch is dropped from every control plane while the endpoint still names the VIP",
      edit: (d) => ["cluster-cp1-config", "cluster-cp2-config", "cluster-cp3-config"].reduce((acc, name) => change(acc, T.configurationApply, name, (r) => (r.inputs.configPatches = r.inputs.configPatches.filter((p: string) => !p.includes("Layer2VIPConfig")))), d),
      resource: `${T.configurationApply}::cluster-cp1-config`,
      message: /^Talos node 10\.0\.10\.11 \(cluster-cp1-config\), .*Talos node 10\.0\.10\.22 \(cluster-worker2-config\) use cluster endpoint https:\/\/10\.0\.10\.10:6443, but no control plane has that address and none declares it as a VIP: the nodes never reach the API/,
    }],
  },
  {
    rule: "talos-api-not-through-vip",
    stack: "homelab",
    fails: [{
      when: "the bootstrap talks to the Talos API through the VIP",
      edit: (d) => change(d, T.bootstrap, "cluster-bootstrap", (r) => (r.inputs.endpoint = "10.0.10.10")),
      resource: `${T.bootstrap}::cluster-bootstrap`,
      message: /Bootstrap cluster-bootstrap talks to the Talos API through the VIP 10\.0\.10\.10 \(endpoint\): the VIP exists only once etcd is bootstrapped/,
    }],
  },
  {
    rule: "talos-single-bootstrap",
    stack: "homelab",
    fails: [
      {
        when: "a second control plane is bootstrapped too",
        edit: (d) => add(d, cloneAs(d, T.bootstrap, "cluster-bootstrap", "cluster-bootstrap-cp2", (r) => {
          r.inputs.node = r.inputs.endpoint = "10.0.10.12";
          r.options.dependsOn = [`${T.configurationApply}::cluster-cp2-config`];
        })),
        resource: `${T.bootstrap}::cluster-bootstrap-cp2`,
        message: /Expected 1 Talos Bootstrap \(one per cluster's machine secrets\) but found 2: bootstrapping a second node creates a second etcd cluster/,
      },
      {
        when: "the bootstrap does not wait for its node's configuration apply",
        edit: (d) => change(d, T.bootstrap, "cluster-bootstrap", (r) => (r.options.dependsOn = [`${T.talosSecrets}::cluster-secrets`])),
        resource: `${T.bootstrap}::cluster-bootstrap`,
        message: /Bootstrap cluster-bootstrap does not depend on cluster-cp1-config, the configuration apply of 10\.0\.10\.11/,
      },
    ],
  },
  {
    rule: "stateful-resources-protected",
    stack: "homelab",
    fails: [
      {
        when: "the Talos machine secrets lose protect",
        edit: (d) => change(d, T.talosSecrets, "cluster-secrets", (r) => delete r.options.protect),
        resource: `${T.talosSecrets}::cluster-secrets`,
        message: /^Talos machine secrets cluster-secrets is not protected: a delete or replace generates new CAs and tokens.*set protect: true/,
      },
      {
        when: "a Proxmox VM loses protect",
        edit: (d) => change(d, T.vm, "cluster-worker2-vm", (r) => delete r.options.protect),
        resource: `${T.vm}::cluster-worker2-vm`,
        message: /^Proxmox VM worker2 is not protected: deleting the VM deletes the node's disk/,
      },
    ],
  },
  {
    rule: "talos-image-nocloud",
    stack: "homelab",
    fails: [{
      when: "the image is the metal platform's",
      edit: (d) => change(d, T.download, "cluster-image-pve1", (r) => (r.inputs.url = r.inputs.url.replace("nocloud-amd64", "metal-amd64"))),
      resource: `${T.download}::cluster-image-pve1`,
      message: /fetches https:\/\/factory\.talos\.dev\/.*metal-amd64\.qcow2, not the nocloud image: the node ignores the cloud-init drive/,
    }],
  },
  {
    rule: "talos-kubeconfig-renewal",
    stack: "homelab",
    fails: [{
      when: "the kubeconfig sets no certificate renewal",
      edit: (d) => change(d, T.kubeconfig, "cluster-kubeconfig", (r) => delete r.inputs.certificateRenewalDuration),
      resource: `${T.kubeconfig}::cluster-kubeconfig`,
      message: /sets no certificateRenewalDuration: its client certificate expires a year after creation/,
    }],
  },
  {
    rule: "proxmox-vm-ignores-image-changes",
    stack: "lab",
    fails: [{
      when: "a VM stops ignoring its disk's image",
      edit: (d) => change(d, T.vm, "cluster-lab-cp2-vm", (r) => (r.options.ignoreChanges = ["cdrom"])),
      resource: `${T.vm}::cluster-lab-cp2-vm`,
      message: /Proxmox VM lab-cp2 does not ignore changes to disks\[0\]\.importFrom: the next Talos version or schematic changes the image and every later plan shows a disk change that applying never carries out/,
    }],
  },
  {
    rule: "proxmox-vm-cpu-type",
    stack: "edge",
    fails: [{
      when: "a VM falls back to Proxmox's default CPU type",
      edit: (d) => change(d, T.vm, "cluster-edge-w1-vm", (r) => delete r.inputs.cpu.type),
      resource: `${T.vm}::cluster-edge-w1-vm`,
      message: /Proxmox VM edge-w1 has CPU type qemu64 \(Proxmox's default\): it lacks x86-64-v2, so Talos halts at boot/,
    }],
  },

  // ── Traefik ────────────────────────────────────────────────────────────────
  {
    rule: "traefik-hostnetwork-rolling-update",
    stack: "edge",
    fails: [
      {
        when: "the hostNetwork DaemonSet keeps the chart's maxUnavailable 0",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => delete values(r).updateStrategy.rollingUpdate.maxUnavailable),
        resource: `${RELEASE}::traefik-release`,
        message: /maxUnavailable 0 \(the chart's default\): Kubernetes rejects it \("maxUnavailable should be greater than 0 when using hostNetwork"\)/,
      },
      {
        when: "the hostNetwork DaemonSet surges",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).updateStrategy.rollingUpdate.maxSurge = 1)),
        resource: `${RELEASE}::traefik-release`,
        message: /maxSurge 1: a surge pod needs the same host ports on the same node and stays Pending/,
      },
    ],
  },
  {
    rule: "traefik-capabilities",
    stack: "edge",
    fails: [
      {
        when: "another capability is added beside NET_BIND_SERVICE",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => values(r).securityContext.capabilities.add.push("NET_ADMIN")),
        resource: `${RELEASE}::traefik-release`,
        message: /adds capabilities NET_ADMIN: Traefik needs none beyond NET_BIND_SERVICE/,
      },
      {
        when: "Traefik listens on :80/:443 without NET_BIND_SERVICE",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => delete values(r).securityContext.capabilities.add),
        resource: `${RELEASE}::traefik-release`,
        message: /listens on web:80, websecure:443 without NET_BIND_SERVICE: Traefik fails with "bind: permission denied"/,
      },
    ],
  },
  {
    rule: "traefik-security-context",
    stack: "homelab",
    fails: [
      {
        when: "privilege escalation is allowed",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).securityContext.allowPrivilegeEscalation = true)),
        resource: `${RELEASE}::traefik-release`,
        message: /securityContext\.allowPrivilegeEscalation is true; the proxy faces the internet/,
      },
      {
        when: "a pod-network Traefik runs as root",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => Object.assign(values(r).podSecurityContext, { runAsNonRoot: false, runAsUser: 0 })),
        resource: `${RELEASE}::traefik-release`,
        message: /the pod runs as root off the host network/,
      },
    ],
  },
  {
    rule: "traefik-hostnetwork-privileged-namespace",
    stack: "edge",
    fails: [{
      when: "the hostNetwork Traefik's namespace enforces baseline",
      edit: (d) => change(d, T.namespace, "traefik-namespace", (r) => (r.inputs.metadata.labels["pod-security.kubernetes.io/enforce"] = "baseline")),
      resource: `${RELEASE}::traefik-release`,
      message: /uses hostNetwork in namespace traefik, which enforces Pod Security baseline: its pods are refused \(violates PodSecurity "baseline": host namespaces \(hostNetwork=true\)\)/,
    }],
  },
  {
    rule: "traefik-hostnetwork-ports",
    stack: "edge",
    fails: [
      {
        when: "websecure's hostPort differs from its port",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).ports.websecure.hostPort = 8443)),
        resource: `${RELEASE}::traefik-release`,
        message: /sets ports\.websecure\.hostPort 8443 but port 443: with hostNetwork the container port is the host port/,
      },
      {
        when: "the hostNetwork Traefik keeps a Service",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).service = { enabled: true })),
        resource: `${RELEASE}::traefik-release`,
        message: /uses hostNetwork but keeps its Service/,
      },
    ],
  },
  {
    rule: "traefik-controlplane-placement",
    stack: "lab",
    fails: [
      {
        when: "the control-plane Traefik does not tolerate the control-plane taint",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => delete values(r).tolerations),
        resource: `${RELEASE}::traefik-release`,
        message: /DNS points at the control-plane VIP 10\.20\.0\.10, but Traefik does not tolerate the node-role\.kubernetes\.io\/control-plane:NoSchedule taint/,
      },
      {
        when: "DNS points at the VIP but nothing pins Traefik to the control planes",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => delete values(r).nodeSelector),
        resource: `${RELEASE}::traefik-release`,
        message: /DNS points at the control-plane VIP 10\.20\.0\.10, but nothing pins Traefik to control-plane nodes/,
      },
      {
        when: "a single replica covers three control planes",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).deployment = { kind: "Deployment", replicas: 1, dnsPolicy: "ClusterFirstWithHostNet" })),
        resource: `${RELEASE}::traefik-release`,
        message: /1 Traefik replica\(s\) cover 3 control planes: whenever Talos moves the VIP to a control plane without Traefik/,
      },
    ],
  },
  {
    rule: "traefik-acme-single-replica",
    stack: "homelab",
    fails: [{
      when: "Traefik's ACME resolver runs in two replicas",
      edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).certificatesResolvers = { letsencrypt: { acme: { email: "admin@example.com", storage: "/data/acme.json", httpChallenge: { entryPoint: "web" } } } })),
      resource: `${RELEASE}::traefik-release`,
      message: /uses Traefik's ACME resolver letsencrypt with 2 replicas: each pod keeps its own acme\.json/,
    }],
  },
  {
    // The config accepts ACME on the only control plane (one pod): the pack agrees.
    rule: "traefik-acme-single-replica",
    stack: "lab",
    config: {
      "cluster.nodes": { "lab-cp1": { role: "controlplane", ip: "10.20.0.11", vmId: 3011, proxmoxNode: "pve1" }, "lab-w1": { role: "worker", ip: "10.20.0.21", vmId: 3021, proxmoxNode: "pve1" } },
      "traefik.acme": { enabled: true, email: "acme@example.org" },
    },
    fails: [{
      when: "a second control plane joins the DaemonSet that runs the resolver",
      edit: (d) => change(d, T.vm, "cluster-lab-w1-vm", (r) => (r.inputs.tags = ["controlplane", "lab", "talos"])),
      resource: `${RELEASE}::traefik-release`,
      message: /uses Traefik's ACME resolver letsencrypt with a DaemonSet on 2 control plane\(s\): each pod keeps its own acme\.json/,
    }],
  },
  {
    rule: "traefik-dashboard-not-exposed",
    stack: "homelab",
    fails: [
      {
        when: "the dashboard IngressRoute is enabled",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).ingressRoute.dashboard.enabled = true)),
        resource: `${RELEASE}::traefik-release`,
        message: /enables ingressRoute\.dashboard: the dashboard and API show every router/,
      },
      {
        when: "an IngressRoute routes to api@internal",
        edit: (d) => change(d, T.ingressRoute, "chat-ingressroute", (r) => (r.inputs.spec.routes[0].services = [{ name: "api@internal", kind: "TraefikService" }])),
        resource: `${T.ingressRoute}::chat-ingressroute`,
        message: /IngressRoute apps\/chat routes to api@internal, publishing Traefik's dashboard and API/,
      },
      {
        when: "the API is served without authentication",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).api = { insecure: true })),
        resource: `${RELEASE}::traefik-release`,
        message: /sets api\.insecure: true, serving the API and dashboard without authentication/,
      },
      {
        when: "the internal traefik entry point is put on the Service",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).ports.traefik = { port: 8080, expose: { default: true } })),
        resource: `${RELEASE}::traefik-release`,
        message: /exposes the internal traefik entry point \(ports\.traefik\.expose\.default: true\) on its Service/,
      },
      {
        when: "--api.insecure is passed as an argument",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).additionalArguments = ["--api.insecure=true"])),
        resource: `${RELEASE}::traefik-release`,
        message: /passes --api\.insecure=true: the dashboard and API show every router/,
      },
    ],
  },
  {
    rule: "traefik-forwarded-headers-cloudflare-only",
    stack: "homelab",
    fails: [
      {
        when: "forwarded headers are trusted from anyone",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).ports.websecure.forwardedHeaders.insecure = true)),
        resource: `${RELEASE}::traefik-release`,
        message: /sets ports\.websecure\.forwardedHeaders\.insecure: true: any client can claim any address/,
      },
      {
        when: "a LAN range is trusted beside Cloudflare's",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => values(r).ports.web.forwardedHeaders.trustedIPs.push("10.0.0.0/8")),
        resource: `${RELEASE}::traefik-release`,
        message: /trusts forwardedHeaders on web from 10\.0\.0\.0\/8, outside Cloudflare's ranges/,
      },
      {
        when: "PROXY protocol is trusted from anyone",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).ports.websecure.proxyProtocol = { insecure: true })),
        resource: `${RELEASE}::traefik-release`,
        message: /sets ports\.websecure\.proxyProtocol\.insecure: true: any client can claim any address/,
      },
      {
        when: "an argument trusts forwarded headers from anyone",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).additionalArguments = ["--entryPoints.websecure.forwardedHeaders.insecure"])),
        resource: `${RELEASE}::traefik-release`,
        message: /passes --entryPoints\.websecure\.forwardedHeaders\.insecure: any client can forge its address/,
      },
    ],
  },
  {
    rule: "traefik-providers-match-routes",
    stack: "homelab",
    fails: [
      {
        when: "the Kubernetes Ingress provider is disabled while the stack has Ingresses",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).providers.kubernetesIngress.enabled = false)),
        resource: `${RELEASE}::traefik-release`,
        message: /disables providers\.kubernetesIngress while the stack declares 11 Ingress\(es\)/,
      },
      {
        when: "an Ingress routes to an ExternalName Service the provider refuses",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).providers.kubernetesIngress.allowExternalNameServices = false)),
        resource: `${RELEASE}::traefik-release`,
        message: /an Ingress routes to an ExternalName Service, but providers\.kubernetesIngress\.allowExternalNameServices is not true/,
      },
    ],
  },
  {
    rule: "ingress-class-unique",
    stack: "homelab",
    fails: [{
      when: "the stack adds an IngressClass the chart already creates",
      edit: (d) => add(d, {
        type: T.ingressClass, name: "extra-traefik-class", custom: true,
        inputs: { apiVersion: "networking.k8s.io/v1", kind: "IngressClass", metadata: { name: "traefik" }, spec: { controller: "traefik.io/ingress-controller" } },
        options: { provider: "pulumi:providers:kubernetes::cluster-k8s" },
      }),
      resource: `${T.ingressClass}::extra-traefik-class`,
      message: /IngressClass traefik is created 2 times \(Helm release traefik\/traefik \(chart traefik\), IngressClass traefik\)/,
    }],
  },
  {
    rule: "traefik-resources-set",
    stack: "lab",
    fails: [{
      when: "Traefik has no memory limit",
      edit: (d) => change(d, RELEASE, "traefik-release", (r) => delete values(r).resources.limits),
      resource: `${RELEASE}::traefik-release`,
      message: /does not set resources\.limits\.memory: without requests the ingress is the first pod evicted/,
    }],
  },
  {
    rule: "traefik-deployment-availability",
    stack: "homelab",
    fails: [
      {
        when: "the Deployment runs one replica",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).deployment.replicas = 1)),
        resource: `${RELEASE}::traefik-release`,
        message: /runs 1 replica: every rollout or node drain interrupts all routes/,
      },
      {
        when: "the PodDisruptionBudget is off",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).podDisruptionBudget = { enabled: false })),
        resource: `${RELEASE}::traefik-release`,
        message: /has no PodDisruptionBudget: a drain may evict every replica at once/,
      },
    ],
  },

  // ── Kubernetes and MetalLB ─────────────────────────────────────────────────
  {
    rule: "namespace-pod-security-enforced",
    stack: "homelab",
    fails: [
      {
        when: "an app namespace enforces privileged",
        edit: (d) => change(d, T.namespace, "namespaces-apps", (r) => (r.inputs.metadata.labels["pod-security.kubernetes.io/enforce"] = "privileged")),
        resource: `${T.namespace}::namespaces-apps`,
        message: /Namespace apps enforces Pod Security privileged, but nothing the stack installs there needs host access/,
      },
      {
        when: "a namespace has no enforce label",
        edit: (d) => change(d, T.namespace, "namespaces-media", (r) => delete r.inputs.metadata.labels["pod-security.kubernetes.io/enforce"]),
        resource: `${T.namespace}::namespaces-media`,
        message: /Namespace media has no pod-security\.kubernetes\.io\/enforce label/,
      },
      {
        when: "a Helm release creates its own namespace",
        edit: (d) => change(d, RELEASE, "cert-manager-release", (r) => (r.inputs.createNamespace = true)),
        resource: `${RELEASE}::cert-manager-release`,
        message: /sets createNamespace: true: Helm creates namespace cert-manager without Pod Security labels/,
      },
    ],
  },
  {
    rule: "kubernetes-explicit-provider",
    stack: "k3s",
    fails: [{
      when: "an Ingress falls back to the default Kubernetes provider",
      edit: (d) => change(d, T.ingress, "whoami-ingress-root", (r) => delete r.options.provider),
      resource: `${T.ingress}::whoami-ingress-root`,
      message: /^Ingress whoami-ingress-root uses the default Kubernetes provider: it deploys to whichever cluster/,
    }],
  },
  {
    rule: "loadbalancer-ip-pinned",
    stack: "homelab",
    fails: [
      {
        when: "the Traefik Service requests no address",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).service.annotations = {})),
        resource: `${RELEASE}::traefik-release`,
        message: /the Service of Helm release traefik\/traefik \(chart traefik\) is a LoadBalancer without a requested address/,
      },
      {
        when: "the requested address is outside every MetalLB pool",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).service.annotations["metallb.io/loadBalancerIPs"] = "10.0.10.200")),
        resource: `${RELEASE}::traefik-release`,
        message: /requests 10\.0\.10\.200, which no MetalLB IPAddressPool of the stack contains \(10\.0\.10\.240\/28\): the Service stays <pending> forever/,
      },
    ],
  },
  {
    rule: "metallb-pool-advertised",
    stack: "homelab",
    fails: [{
      when: "the L2Advertisement names another pool",
      edit: (d) => change(d, T.l2Advertisement, "metallb-l2", (r) => (r.inputs.spec.ipAddressPools = ["other"])),
      resource: `${T.ipAddressPool}::metallb-pool-services`,
      message: /IPAddressPool metallb-system\/services is not announced by any L2Advertisement/,
    }],
  },

  // ── Helm ───────────────────────────────────────────────────────────────────
  {
    rule: "helm-release-pinned",
    stack: "homelab",
    fails: [
      {
        when: "a chart version is a range",
        edit: (d) => change(d, RELEASE, "metallb-release", (r) => (r.inputs.version = "^0.16.0")),
        resource: `${RELEASE}::metallb-release`,
        message: /Helm release metallb-system\/metallb \(chart metallb\) has chart version "\^0\.16\.0": an unpinned chart changes under the stack/,
      },
      {
        when: "a release names no repository",
        edit: (d) => change(d, RELEASE, "cert-manager-release", (r) => delete r.inputs.repositoryOpts),
        resource: `${RELEASE}::cert-manager-release`,
        message: /names no chart repository \(repositoryOpts\.repo is unset\)/,
      },
    ],
  },
  {
    rule: "helm-image-tag-pinned",
    stack: "edge",
    fails: [{
      when: "Traefik's image tag is latest",
      edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).image = { tag: "latest" })),
      resource: `${RELEASE}::traefik-release`,
      message: /sets values\.image to tag "latest": a moving tag deploys different code on every pod restart/,
    }],
  },
  {
    rule: "helm-values-current-shapes",
    stack: "homelab",
    fails: [
      {
        when: "the web entry point uses the old redirectTo shape",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).ports.web.redirectTo = { port: "websecure" })),
        resource: `${RELEASE}::traefik-release`,
        message: /sets values\.ports\.web\.redirectTo, a shape older traefik charts used: chart 41\.3\.0 rejects or ignores it.*use ports\.<name>\.http\.redirections\.entryPoint/,
      },
      {
        when: "cert-manager installs CRDs with the deprecated installCRDs",
        edit: (d) => change(d, RELEASE, "cert-manager-release", (r) => (values(r).installCRDs = true)),
        resource: `${RELEASE}::cert-manager-release`,
        message: /sets values\.installCRDs.*use crds\.enabled: true/,
      },
    ],
  },
  {
    rule: "traefik-crds-upgraded",
    stack: "lab",
    fails: [
      {
        when: "the traefik release installs CRDs from its crds/ folder",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => delete r.inputs.skipCrds),
        resource: `${RELEASE}::traefik-release`,
        message: /installs Traefik's CRDs from its own crds\/ folder \(skipCrds is not true\): Helm never upgrades those/,
      },
      {
        when: "the CRD manifests come from another chart version",
        edit: (d) => change(d, CONFIG_GROUP, "traefik-crds", (r) => (r.inputs.files = r.inputs.files.map((f: string) => f.replace("/v41.3.0/", "/v39.0.0/")))),
        resource: `${CONFIG_GROUP}::traefik-crds`,
        message: /ConfigGroup traefik-crds applies Traefik CRDs from another chart version than Helm release traefik\/traefik/,
      },
    ],
  },
  {
    rule: "custom-resources-wait-for-crds",
    stack: "homelab",
    fails: [
      {
        when: "an IngressRoute no longer depends on the CRDs",
        edit: (d) => change(d, T.ingressRoute, "chat-ingressroute", (r) => (r.options.dependsOn = r.options.dependsOn.filter((x: string) => !x.includes("ConfigGroup") && !x.endsWith("::traefik-release")))),
        resource: `${T.ingressRoute}::chat-ingressroute`,
        message: /IngressRoute apps\/chat does not depend on ConfigGroup traefik-crds: Pulumi may create it before its CRD exists/,
      },
      {
        when: "the cert-manager release the issuers wait for skips awaiting",
        edit: (d) => change(d, RELEASE, "cert-manager-release", (r) => (r.inputs.skipAwait = true)),
        resource: `${RELEASE}::cert-manager-release`,
        message: /Helm release cert-manager\/cert-manager \(chart cert-manager\) sets skipAwait: true, yet ClusterIssuer letsencrypt-production, ClusterIssuer letsencrypt-staging are created right after it/,
      },
    ],
  },

  // ── Routes and TLS ─────────────────────────────────────────────────────────
  {
    rule: "ingress-class-served",
    stack: "k3s",
    fails: [{
      when: "an Ingress names a class nobody creates",
      edit: (d) => change(d, T.ingress, "notes-ingress-api", (r) => (r.inputs.spec.ingressClassName = "nginx")),
      resource: `${T.ingress}::notes-ingress-api`,
      message: /Ingress apps\/notes-api names IngressClass nginx, which the stack does not create \(it creates traefik\)/,
    }],
  },
  {
    rule: "route-host-path-unique",
    stack: "homelab",
    fails: [{
      when: "a second app claims grafana's host and path",
      edit: (d) => add(d, cloneAs(d, T.ingress, "grafana-ingress-root", "copy-ingress-root", (r) => (r.inputs.metadata.name = "copy"))),
      resource: `${T.ingress}::copy-ingress-root`,
      message: /Ingress monitoring\/copy routes grafana\.example\.com\/ \(Prefix\), which Ingress monitoring\/grafana-root already routes/,
    }],
  },
  {
    rule: "middleware-references-exist",
    stack: "homelab",
    fails: [
      {
        when: "an IngressRoute references a Middleware that does not exist",
        edit: (d) => change(d, T.ingressRoute, "api-gateway-ingressroute", (r) => (r.inputs.spec.routes[0].middlewares[0].name = "api-gateway-ratelimit")),
        resource: `${T.ingressRoute}::api-gateway-ingressroute`,
        message: /IngressRoute apps\/api-gateway references Middleware apps\/api-gateway-ratelimit, which the stack does not create: Traefik drops the whole router/,
      },
      {
        when: "an IngressRoute borrows another namespace's Middleware",
        edit: (d) => change(
          change(d, T.middleware, "api-gateway-middleware-cors", (r) => (r.inputs.metadata.namespace = "media")),
          T.ingressRoute, "api-gateway-ingressroute", (r) => (r.inputs.spec.routes[0].middlewares[1].namespace = "media"),
        ),
        resource: `${T.ingressRoute}::api-gateway-ingressroute`,
        message: /references Middleware media\/api-gateway-cors in another namespace, but Traefik's providers\.kubernetesCRD\.allowCrossNamespace is not true/,
      },
      {
        when: "an Ingress annotation names a missing Middleware",
        edit: (d) => change(d, T.ingress, "grafana-ingress-root", (r) => (r.inputs.metadata.annotations["traefik.ingress.kubernetes.io/router.middlewares"] = "monitoring-grafana-headers@kubernetescrd")),
        resource: `${T.ingress}::grafana-ingress-root`,
        message: /references middleware monitoring-grafana-headers@kubernetescrd in traefik\.ingress\.kubernetes\.io\/router\.middlewares, but the stack creates no such Middleware/,
      },
    ],
  },
  {
    rule: "network-policy-matches-traefik-placement",
    stack: "homelab",
    fails: [{
      when: "a default-deny namespace loses its allow-Traefik policy",
      edit: (d) => remove(d, (r) => r.type === T.networkPolicy && r.name === "namespaces-media-allow-traefik"),
      resource: `${T.ingress}::immich-ingress-api`,
      message: /Namespace media denies ingress by default, and no NetworkPolicy there admits Traefik \(pod network\): Ingress media\/immich-api times out/,
    }, {
      when: "a default-deny namespace's allow-Traefik policy is written into another namespace",
      edit: (d) => change(d, T.networkPolicy, "namespaces-media-allow-traefik", (r) => (r.inputs.metadata.namespace = "monitoring")),
      resource: `${T.ingress}::immich-ingress-api`,
      message: /^Namespace media denies ingress by default, and no NetworkPolicy there admits Traefik \(pod network\): Ingress media\/immich-api times out; add a policy whose from contains a peer with namespaceSelector kubernetes\.io\/metadata\.name: traefik and Traefik's pod labels\.$/,
    }],
  },
  {
    rule: "network-policy-matches-traefik-placement",
    stack: "edge",
    config: { namespaces: { apps: { podSecurity: "restricted", defaultDeny: true } } },
    fails: [
      {
        // The namespace's one policy keeps its ipBlocks, so only the rule that can never match is reported.
        when: "a hostNetwork Traefik is also admitted by pod labels",
        edit: (d) => change(d, T.networkPolicy, APPS_POLICY, (r) => r.inputs.spec.ingress.push({ from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "traefik" } }, podSelector: { matchLabels: { "app.kubernetes.io/name": "traefik" } } }] })),
        resource: `${T.networkPolicy}::${APPS_POLICY}`,
        message: /NetworkPolicy apps\/allow-traefik admits Traefik by namespace\/pod labels, but Helm release traefik\/traefik \(chart traefik\) uses the host network/,
      },
      {
        when: "the allow rules miss a node Traefik runs on",
        edit: (d) => withoutPeer(d, APPS_POLICY, "192.168.50.11/32"),
        resource: `${T.ingress}::git-ingress-root`,
        message: /Namespace apps denies ingress by default, and no NetworkPolicy there admits Traefik \(host network\): Ingress apps\/git-root times out; add a policy whose from contains ipBlock peers covering the nodes Traefik runs on \(192\.168\.50\.11, 192\.168\.50\.21, 192\.168\.50\.22, 192\.168\.50\.23\) and the pod network 10\.244\.0\.0\/16/,
      },
      {
        when: "the allow rules admit the nodes' addresses but not the pod network",
        edit: (d) => withoutPeer(d, APPS_POLICY, "10.244.0.0/16"),
        resource: `${T.ingress}::git-ingress-root`,
        message: /Namespace apps denies ingress by default, and its NetworkPolicies admit the host-network Traefik only by the nodes' addresses \(192\.168\.50\.11, 192\.168\.50\.21, 192\.168\.50\.22, 192\.168\.50\.23\): its connections to pods on other nodes leave through the CNI's tunnel and carry the tunnel's address from the pod network 10\.244\.0\.0\/16/,
      },
      {
        when: "the Talos machine config moves the pod network away from the one the policies admit",
        edit: (d) => change(d, T.configurationApply, "cluster-edge-w1-config", (r) => r.inputs.configPatches.push("cluster:\n  network:\n    podSubnets: [10.32.0.0/16]\n")),
        resource: `${T.ingress}::git-ingress-root`,
        message: /admit the host-network Traefik only by the nodes' addresses .* carry the tunnel's address from the pod network 10\.32\.0\.0\/16/,
      },
    ],
  },
  {
    rule: "network-policy-matches-traefik-placement",
    stack: "k3s",
    fails: [{
      when: "the allow rules of an existing cluster (pod network unknown to the pack) list single addresses only",
      edit: (d) => withoutPeer(d, APPS_POLICY, "10.42.0.0/16"),
      resource: `${T.ingress}::notes-ingress-api`,
      message: /admit the host-network Traefik only by the nodes' addresses \(the node addresses\): .* from the CNI's pod network \(10\.42\.0\.0\/16 on k3s\)/,
    }],
  },
  {
    rule: "ingress-tls-issued",
    stack: "homelab",
    fails: [
      {
        when: "an Ingress has no TLS",
        edit: (d) => change(d, T.ingress, "jellyfin-ingress-root", (r) => delete r.inputs.spec.tls),
        resource: `${T.ingress}::jellyfin-ingress-root`,
        message: /Ingress media\/jellyfin-root serves media\.example\.com without a TLS entry/,
      },
      {
        when: "two Ingresses of one app both ask cert-manager for the shared secret",
        edit: (d) => change(d, T.ingress, "immich-ingress-api", (r) => (r.inputs.metadata.annotations["cert-manager.io/cluster-issuer"] = "letsencrypt-production")),
        resource: `${T.ingress}::immich-ingress-root`,
        message: /TLS secret media\/immich-tls is issued by 2 sources \(Ingress media\/immich-api, Ingress media\/immich-root\): cert-manager names the Certificate after the secret/,
      },
    ],
  },
  {
    rule: "tls-issuer-exists",
    stack: "lab",
    fails: [{
      when: "an Ingress names a misspelt ClusterIssuer",
      edit: (d) => change(d, T.ingress, "registry-ingress-root", (r) => (r.inputs.metadata.annotations["cert-manager.io/cluster-issuer"] = "letsencrypt-prod")),
      resource: `${T.ingress}::registry-ingress-root`,
      message: /Ingress tools\/registry-root asks ClusterIssuer letsencrypt-prod for its certificate, which the stack does not create \(ClusterIssuers: letsencrypt-production, letsencrypt-staging\)/,
    }],
  },
  {
    rule: "ingressroute-tls-from-certificate",
    stack: "lab",
    fails: [
      {
        when: "the IngressRoute's secret is written by no Certificate",
        edit: (d) => change(d, T.ingressRoute, "argocd-ingressroute", (r) => (r.inputs.spec.tls.secretName = "argocd-cert")),
        resource: `${T.ingressRoute}::argocd-ingressroute`,
        message: /IngressRoute tools\/argocd serves TLS from secret tools\/argocd-cert, which no Certificate in the stack writes: cert-manager ignores IngressRoutes/,
      },
      {
        when: "the Certificate misses the route's host",
        edit: (d) => change(d, T.certificate, "argocd-certificate", (r) => (r.inputs.spec.dnsNames = ["cd.lab.example.org"])),
        resource: `${T.ingressRoute}::argocd-ingressroute`,
        message: /serves argocd\.lab\.example\.org, but Certificate tools\/argocd-tls covers only cd\.lab\.example\.org/,
      },
      {
        when: "the IngressRoute uses Traefik's certResolver",
        edit: (d) => change(d, T.ingressRoute, "argocd-ingressroute", (r) => (r.inputs.spec.tls = { certResolver: "letsencrypt" })),
        resource: `${T.ingressRoute}::argocd-ingressroute`,
        message: /gets its certificate from Traefik's resolver letsencrypt/,
      },
    ],
  },
  {
    rule: "tls-host-in-issuer-zone",
    stack: "edge",
    fails: [{
      when: "an Ingress asks for a host outside the issuer's DNS-01 zone",
      edit: (d) => change(d, T.ingress, "git-ingress-root", (r) => {
        r.inputs.spec.rules[0].host = "git.example.org";
        r.inputs.spec.tls[0].hosts = ["git.example.org"];
      }),
      resource: `${T.ingress}::git-ingress-root`,
      message: /Ingress apps\/git-root requests git\.example\.org from ClusterIssuer letsencrypt-production, whose solvers only answer for example\.net: cert-manager finds no solver/,
    }],
  },
  {
    rule: "cert-manager-dns01-recursive-nameservers",
    stack: "homelab",
    fails: [{
      when: "DNS-01 self-checks may use the cluster's resolvers",
      edit: (d) => change(d, RELEASE, "cert-manager-release", (r) => delete values(r).dns01RecursiveNameserversOnly),
      resource: `${RELEASE}::cert-manager-release`,
      message: /lets DNS-01 self-checks use the cluster's resolvers: a split-horizon homelab DNS never shows the challenge record/,
    }],
  },

  // ── DNS ────────────────────────────────────────────────────────────────────
  {
    rule: "route-host-has-dns-record",
    stack: "edge",
    fails: [
      {
        when: "a routed host has no record",
        edit: (d) => remove(d, (r) => r.type === T.dnsRecord && r.name.startsWith("wiki-dns-")),
        resource: `${T.ingress}::wiki-ingress-root`,
        message: /Ingress apps\/wiki-root serves wiki\.example\.net, but the stack manages no A\/AAAA\/CNAME record for it/,
      },
      {
        when: "one record sits in another zone",
        edit: (d) => change(d, T.dnsRecord, "status-dns-status.example.net-198.51.100.20", (r) => (r.inputs.zoneId = "ffffffffffffffffffffffffffffffff")),
        resource: `${T.dnsRecord}::status-dns-status.example.net-198.51.100.20`,
        message: /DNS record status\.example\.net is in zone ffffffffffffffffffffffffffffffff, while the stack's other records are in 0123456789abcdef0123456789abcdef/,
      },
    ],
  },
  {
    rule: "dns-targets-ingress-entry",
    stack: "edge",
    fails: [{
      when: "a record points at a LAN address where Traefik does not listen",
      edit: (d) => change(d, T.dnsRecord, "git-dns-git.example.net-192.168.50.21", (r) => (r.inputs.content = "192.168.50.99")),
      resource: `${T.dnsRecord}::git-dns-git.example.net-192.168.50.21`,
      message: /DNS record git\.example\.net → 192\.168\.50\.99 points at a LAN address where Traefik does not listen \(the entry is 192\.168\.50\.11, 192\.168\.50\.21, 192\.168\.50\.22, 192\.168\.50\.23\)/,
    }],
  },
  {
    rule: "dns-proxied-public-target",
    stack: "homelab",
    fails: [{
      when: "a proxied record points at the private MetalLB address",
      edit: (d) => change(d, T.dnsRecord, "grafana-dns-grafana.example.com-203.0.113.10", (r) => (r.inputs.content = "10.0.10.240")),
      resource: `${T.dnsRecord}::grafana-dns-grafana.example.com-203.0.113.10`,
      message: /DNS record grafana\.example\.com is proxied by Cloudflare but points at private address 10\.0\.10\.240: Cloudflare's edge cannot connect to it/,
    }],
  },

  // ── Secrets ────────────────────────────────────────────────────────────────
  {
    rule: "credentials-in-kubernetes-secrets",
    stack: "homelab",
    fails: [
      {
        when: "basic-auth users are inline in the Middleware",
        edit: (d) => change(d, T.middleware, "traefik-admin-middleware-basic-auth", (r) => (r.inputs.spec.basicAuth = { users: ["admin:$apr1$hash"] })),
        resource: `${T.middleware}::traefik-admin-middleware-basic-auth`,
        message: /Middleware apps\/traefik-admin-basic-auth lists basic-auth users inline \(spec\.basicAuth\.users\): the hashes are stored in plain text/,
      },
      {
        when: "the Cloudflare token Secret is not created by the stack",
        edit: (d) => remove(d, (r) => r.type === T.secret && r.name === "cert-manager-cloudflare-token"),
        resource: `${T.clusterIssuer}::cert-manager-issuer-letsencrypt-production`,
        message: /ClusterIssuer letsencrypt-production, ClusterIssuer letsencrypt-staging read Secret cert-manager\/cloudflare-api-token, which the stack does not create/,
      },
      {
        when: "the token Secret holds a plain (non-secret) value",
        edit: (d) => change(d, T.secret, "cert-manager-cloudflare-token", (r) => (r.inputs.stringData = { "api-token": "cf-token-in-plain-config" })),
        resource: `${T.secret}::cert-manager-cloudflare-token`,
        message: /Secret cert-manager\/cloudflare-api-token holds api-token \(read by ClusterIssuer letsencrypt-production, ClusterIssuer letsencrypt-staging\) as a plain value/,
      },
    ],
  },
  {
    rule: "no-secrets-in-helm-values",
    stack: "homelab",
    fails: [
      {
        when: "a secret is placed inside Helm values",
        edit: (d) => change(d, RELEASE, "cert-manager-release", (r) => (values(r).cloudflareToken = "[secret]")),
        resource: `${RELEASE}::cert-manager-release`,
        message: /has a secret inside its values: Pulumi then treats all values as secret/,
      },
      {
        when: "a credential is a literal env value",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).env = [{ name: "CF_DNS_API_TOKEN", value: "abc123" }])),
        resource: `${RELEASE}::traefik-release`,
        message: /sets values\.env\[0\] \(CF_DNS_API_TOKEN\) to a literal value/,
      },
    ],
  },
  // ── Gateway API ────────────────────────────────────────────────────────────
  {
    rule: "gateway-route-attached",
    stack: "gateway",
    fails: [
      {
        when: "an HTTPRoute names a host no listener covers",
        edit: (d) => change(d, T.httpRoute, "grafana-httproute", (r) => (r.inputs.spec.hostnames = ["grafana.example.org"])),
        resource: `${T.httpRoute}::grafana-httproute`,
        message: /HTTPRoute monitoring\/grafana: no listener of Gateway traefik\/traefik-gateway covers grafana\.example\.org, so the route does not attach/,
      },
      {
        when: "the listeners' allowedRoutes leave out the route's namespace",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => {
          const selector = values(r).gateway.listeners["wildcard-example-com"].namespacePolicy.selector.matchExpressions[0];
          selector.values = selector.values.filter((ns: string) => ns !== "monitoring");
        }),
        resource: `${T.httpRoute}::grafana-httproute`,
        message: /listener wildcard-example-com of Gateway traefik\/traefik-gateway serves grafana\.example\.com but its allowedRoutes do not admit namespace monitoring/,
      },
      {
        when: "the listener serving a host has no certificate",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).gateway.listeners["grpc-ml-lab-example-com"].certificateRefs = [])),
        resource: `${T.grpcRoute}::model-grpc-grpcroute`,
        message: /grpc\.ml\.lab\.example\.com is served by listener grpc-ml-lab-example-com of Gateway traefik\/traefik-gateway, which has no TLS certificate/,
      },
      {
        when: "a route names a Gateway the stack does not serve",
        edit: (d) => change(d, T.grpcRoute, "model-grpc-grpcroute", (r) => (r.inputs.spec.parentRefs[0].name = "envoy-gateway")),
        resource: `${T.grpcRoute}::model-grpc-grpcroute`,
        message: /GRPCRoute ml\/model-grpc attaches to Gateway traefik\/envoy-gateway, which no Traefik release of the stack serves/,
      },
    ],
  },
  {
    rule: "gateway-route-references-exist",
    stack: "gateway",
    fails: [
      {
        when: "an ExtensionRef names a Middleware that does not exist",
        edit: (d) => remove(d, (r) => r.type === T.middleware && r.name === "api-gateway-middleware-rate-limit"),
        resource: `${T.httpRoute}::api-gateway-httproute`,
        message: /HTTPRoute apps\/api-gateway reaches Middleware apps\/api-gateway-rate-limit through an ExtensionRef filter, but the stack creates no such Middleware/,
      },
      {
        when: "a backendRef crosses into another namespace without a ReferenceGrant",
        edit: (d) => change(d, T.httpRoute, "grafana-httproute", (r) => (r.inputs.spec.rules[0].backendRefs[0].namespace = "apps")),
        resource: `${T.httpRoute}::grafana-httproute`,
        message: /HTTPRoute monitoring\/grafana sends traffic to Service apps\/grafana in another namespace, and no ReferenceGrant in apps allows HTTPRoutes from monitoring/,
      },
    ],
  },
  {
    rule: "gateway-tls-issued",
    stack: "gateway",
    fails: [
      {
        when: "cert-manager's gateway-shim is off",
        edit: (d) => change(d, RELEASE, "cert-manager-release", (r) => delete values(r).config),
        resource: `${RELEASE}::traefik-release`,
        message: /Gateway traefik\/traefik-gateway expects cert-manager to issue its listener certificates, but no cert-manager release enables config\.gatewayAPI\.enabled/,
      },
      {
        when: "the Gateway names an issuer the stack does not create",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).gateway.annotations["cert-manager.io/cluster-issuer"] = "letsencrypt")),
        resource: `${RELEASE}::traefik-release`,
        message: /names ClusterIssuer letsencrypt, which the stack does not create/,
      },
      {
        when: "a deeper host is left to the zone's wildcard listener",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => delete values(r).gateway.listeners["grpc-ml-lab-example-com"]),
        resource: `${T.grpcRoute}::model-grpc-grpcroute`,
        message: /grpc\.ml\.lab\.example\.com is served by wildcard listener wildcard-example-com \(\*\.example\.com\) .* whose certificate covers one label only/,
      },
    ],
  },
];
const key = (c: Pick<RuleCase, "stack" | "config">) => `${c.stack}${c.config ? ` with ${JSON.stringify(c.config)}` : ""}`;

describe("policy rules on the program's own synth output", () => {
  const docs = new Map<string, SynthDocument>();
  before(async () => {
    for (const c of CASES) if (!docs.has(key(c))) docs.set(key(c), await synthDoc(c.stack, c.config));
  });

  it("every rule of the pack has a passing and a failing case here", () => {
    const covered = [...new Set(CASES.map((c) => c.rule))].sort();
    assert.deepEqual(covered, homelabPolicies().map((p) => p.name).sort());
    assert.ok(CASES.every((c) => c.fails.length > 0));
  });

  for (const c of CASES) {
    describe(`${c.rule} (${key(c)})`, () => {
      it("passes on the stack as synthesized", async () => {
        assert.deepEqual(await violationsOf(docs.get(key(c))!, c.rule), []);
      });
      for (const f of c.fails) {
        it(`fails when ${f.when}`, async () => {
          // GIVEN the synthesized stack with one change
          const edited = f.edit(docs.get(key(c))!);
          // WHEN the pack evaluates it
          const found = await violationsOf(edited, c.rule);
          // THEN exactly this rule reports the change, against the resource that carries it, at its default level
          assert.equal(found.length, 1, `expected one violation, got:\n${found.map((v) => `${v.resource}: ${v.message}`).join("\n")}`);
          const level = homelabPolicies().find((p) => p.name === c.rule)!.enforcementLevel;
          assert.equal(found[0]!.resource, f.resource);
          assert.equal(found[0]!.level, level);
          assert.match(found[0]!.message, f.message);
        });
      }
    });
  }
});

describe("components", () => {
  it("kubernetes-explicit-provider leaves a component without a provider of its own alone, as the engine reports it", async () => {
    // GIVEN the k3s stack whose Traefik CRDs ConfigGroup (a component) carries no provider reference
    const doc = change(await synthDoc("k3s"), CONFIG_GROUP, "traefik-crds", (r) => delete r.options.provider);
    // WHEN the rule runs THEN it reports nothing: the ConfigGroup's children carry the provider
    assert.deepEqual(await violationsOf(doc, "kubernetes-explicit-provider"), []);
  });
});

describe("selectors, read the way Kubernetes and MetalLB read them", () => {
  it("metallb-pool-advertised: a pool an advertisement selects by label is announced; one it does not select is not", async () => {
    const selected = change(change(await synthDoc("homelab"), T.ipAddressPool, "metallb-pool-services", (r) => (r.inputs.metadata.labels = { pool: "services" })),
      T.l2Advertisement, "metallb-l2", (r) => {
        delete r.inputs.spec.ipAddressPools;
        r.inputs.spec.ipAddressPoolSelectors = [{ matchLabels: { pool: "services" } }];
      });
    assert.deepEqual(await violationsOf(selected, "metallb-pool-advertised"), []);
    const other = change(selected, T.l2Advertisement, "metallb-l2", (r) => (r.inputs.spec.ipAddressPoolSelectors = [{ matchLabels: { pool: "other" } }]));
    assert.deepEqual((await violationsOf(other, "metallb-pool-advertised")).map((v) => v.resource), [`${T.ipAddressPool}::metallb-pool-services`]);
  });

  it("a Traefik pinned to the control planes by node affinity is placed like one pinned by nodeSelector", async () => {
    const affinity = change(await synthDoc("lab"), RELEASE, "traefik-release", (r) => {
      delete values(r).nodeSelector;
      values(r).affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists" }] }] } } };
    });
    for (const rule of ["traefik-controlplane-placement", "dns-targets-ingress-entry", "network-policy-matches-traefik-placement"]) {
      assert.deepEqual(await violationsOf(affinity, rule), [], rule);
    }
  });
});

describe("unknown values during preview", () => {
  it("a rule that reads an unknown value becomes an advisory 'can't run during preview', as in the engine", async () => {
    // GIVEN the lab stack whose kubeconfig renewal is only known after deploy
    const doc = change(await synthDoc("lab"), T.kubeconfig, "cluster-kubeconfig", (r) => (r.inputs.certificateRenewalDuration = "[unknown]"));
    // WHEN the pack evaluates it
    const found = await violationsOf(doc, "talos-kubeconfig-renewal");
    // THEN the rule reports that it could not run, as advisory, instead of passing or failing the stack
    assert.deepEqual(found, [{
      policy: "talos-kubeconfig-renewal",
      level: "advisory",
      resource: `${T.kubeconfig}::cluster-kubeconfig`,
      message: "can't run policy 'talos-kubeconfig-renewal' during preview: value at .certificateRenewalDuration can't be known during preview",
    }]);
  });

  it("a stack rule checks every resource it can read, then says which value it could not", async () => {
    // GIVEN the edge stack with one worker's patches unknown (as on a first preview) and another worker carrying the VIP
    const base = await synthDoc("edge");
    const doc = change(
      change(base, T.configurationApply, "cluster-edge-w1-config", (r) => (r.inputs.configPatches = ["[unknown]", r.inputs.configPatches[1]])),
      T.configurationApply, "cluster-edge-w2-config", (r) => r.inputs.configPatches.push(vipDocument("192.168.50.10")),
    );
    // WHEN the VIP rule runs
    const found = await violationsOf(doc, "talos-vip-control-planes-only");
    // THEN the known worker is reported at the rule's level, and the unknown patch as an advisory "can't run"
    assert.deepEqual(found.map((v) => [v.level, v.resource]), [
      ["mandatory", `${T.configurationApply}::cluster-edge-w2-config`],
      ["advisory", "pulumi:pulumi:Stack::homelab-edge"],
    ]);
    assert.equal(found[1]!.message, "can't run policy 'talos-vip-control-planes-only' during preview: value at .configPatches.0 can't be known during preview");
  });
});
