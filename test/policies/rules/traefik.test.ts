/**
 * Traefik: every rule of policies/traefik.ts on the program's own synth output.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as rules from "../../../policies/traefik.ts";
import { T, RELEASE, values, describeRuleCases, type RuleCase } from "../rule-cases.ts";
import { COMPONENTS } from "../../../contract/tokens.ts";
import { add, change, remove, synthDoc, violationsOf } from "../synth-output.ts";

const CASES: readonly RuleCase[] = [
  {
    rule: "traefik-hostnetwork-rolling-update",
    stack: "edge",
    fails: [
      {
        when: "the hostNetwork DaemonSet keeps the chart's maxUnavailable 0",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => delete values(r).updateStrategy.rollingUpdate.maxUnavailable),
        resource: `${RELEASE}::traefik-release`,
        message:
          /maxUnavailable 0 \(the chart's default\): Kubernetes rejects it \("maxUnavailable should be greater than 0 when using hostNetwork"\)/,
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
        edit: (d) =>
          change(d, RELEASE, "traefik-release", (r) => Object.assign(values(r).podSecurityContext, { runAsNonRoot: false, runAsUser: 0 })),
        resource: `${RELEASE}::traefik-release`,
        message: /the pod runs as root off the host network/,
      },
    ],
  },
  {
    rule: "traefik-hostnetwork-privileged-namespace",
    stack: "edge",
    fails: [
      {
        when: "the hostNetwork Traefik's namespace enforces baseline",
        edit: (d) =>
          change(d, T.namespace, "traefik-namespace", (r) => (r.inputs.metadata.labels["pod-security.kubernetes.io/enforce"] = "baseline")),
        resource: `${RELEASE}::traefik-release`,
        message:
          /uses hostNetwork in namespace traefik, which enforces Pod Security baseline: its pods are refused \(violates PodSecurity "baseline": host namespaces \(hostNetwork=true\)\)/,
      },
    ],
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
    rule: "traefik-internal-entry-points-loopback",
    stack: "edge",
    fails: [
      {
        when: "the hostNetwork Traefik's ping/API entry point has no host address",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => delete values(r).ports.traefik),
        resource: `${RELEASE}::traefik-release`,
        message:
          /uses hostNetwork and binds its traefik entry point \(:8080\) on every node address: it answers from wherever the node is reachable/,
      },
      {
        when: "the metrics entry point listens on all addresses",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).ports.metrics.hostIP = "0.0.0.0")),
        resource: `${RELEASE}::traefik-release`,
        message: /binds its metrics entry point \(:9101\) on 0\.0\.0\.0/,
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
        message:
          /DNS points at the control-plane VIP 10\.20\.0\.10, but Traefik does not tolerate the node-role\.kubernetes\.io\/control-plane:NoSchedule taint/,
      },
      {
        when: "DNS points at the VIP but nothing pins Traefik to the control planes",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => delete values(r).nodeSelector),
        resource: `${RELEASE}::traefik-release`,
        message: /DNS points at the control-plane VIP 10\.20\.0\.10, but nothing pins Traefik to control-plane nodes/,
      },
      {
        when: "a single replica covers three control planes",
        edit: (d) =>
          change(
            d,
            RELEASE,
            "traefik-release",
            (r) => (values(r).deployment = { kind: "Deployment", replicas: 1, dnsPolicy: "ClusterFirstWithHostNet" }),
          ),
        resource: `${RELEASE}::traefik-release`,
        message: /1 Traefik replica\(s\) cover 3 control planes: whenever Talos moves the VIP to a control plane without Traefik/,
      },
    ],
  },
  {
    rule: "traefik-acme-single-replica",
    stack: "homelab",
    fails: [
      {
        when: "Traefik's ACME resolver runs in two replicas",
        edit: (d) =>
          change(
            d,
            RELEASE,
            "traefik-release",
            (r) =>
              (values(r).certificatesResolvers = {
                letsencrypt: { acme: { email: "admin@example.com", storage: "/data/acme.json", httpChallenge: { entryPoint: "web" } } },
              }),
          ),
        resource: `${RELEASE}::traefik-release`,
        message: /uses Traefik's ACME resolver letsencrypt with 2 replicas: each pod keeps its own acme\.json/,
      },
    ],
  },
  {
    // The config accepts ACME on the only control plane (one pod): the pack agrees.
    rule: "traefik-acme-single-replica",
    stack: "lab",
    config: {
      "cluster.nodes": {
        "lab-cp1": { role: "controlplane", ip: "10.20.0.11", vmId: 3011, proxmoxNode: "pve1" },
        "lab-w1": { role: "worker", ip: "10.20.0.21", vmId: 3021, proxmoxNode: "pve1" },
      },
      "traefik.acme": { enabled: true, email: "acme@example.org" },
    },
    fails: [
      {
        when: "a second control plane joins the DaemonSet that runs the resolver",
        edit: (d) => change(d, T.vm, "cluster-lab-w1-vm", (r) => (r.inputs.tags = ["controlplane", "lab", "talos"])),
        resource: `${RELEASE}::traefik-release`,
        message: /uses Traefik's ACME resolver letsencrypt with a DaemonSet on 2 control plane\(s\): each pod keeps its own acme\.json/,
      },
    ],
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
        edit: (d) =>
          change(
            d,
            T.ingressRoute,
            "chat-ingressroute",
            (r) => (r.inputs.spec.routes[0].services = [{ name: "api@internal", kind: "TraefikService" }]),
          ),
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
        message:
          /trusts forwardedHeaders on web from 10\.0\.0\.0\/8, which reach private, loopback or catch-all addresses no Cloudflare edge has/,
      },
      {
        when: "everyone is trusted (0.0.0.0/0)",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).ports.websecure.forwardedHeaders.trustedIPs = ["0.0.0.0/0"])),
        resource: `${RELEASE}::traefik-release`,
        message: /trusts forwardedHeaders on websecure from 0\.0\.0\.0\/0, which reach private, loopback or catch-all addresses/,
      },
      {
        when: "a public range the lookup did not return is trusted",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => values(r).ports.web.forwardedHeaders.trustedIPs.push("198.51.100.0/24")),
        resource: `${RELEASE}::traefik-release`,
        message: /trusts forwardedHeaders on web from 198\.51\.100\.0\/24, outside the Cloudflare ranges the plan looked up/,
      },
      {
        when: "the trusted list misses a range the lookup returned",
        edit: (d) =>
          change(
            d,
            RELEASE,
            "traefik-release",
            (r) =>
              (values(r).ports.web.forwardedHeaders.trustedIPs = values(r).ports.web.forwardedHeaders.trustedIPs.filter(
                (c: string) => c !== "104.16.0.0/13",
              )),
          ),
        resource: `${RELEASE}::traefik-release`,
        message: /trusts forwardedHeaders on web from only part of the Cloudflare ranges the plan looked up \(missing 104\.16\.0\.0\/13\)/,
      },
      {
        when: "ranges are trusted but the plan looked none up",
        edit: (d) => remove(d, (r) => r.type === COMPONENTS.cloudflareIpRanges),
        resource: `${RELEASE}::traefik-release`,
        message: /but the plan looks up no Cloudflare ranges \(no homelab:cloudflare:IpRanges component\)/,
      },
      {
        when: "the lookup returned nothing (and so Traefik trusts no one)",
        edit: (d) =>
          change(
            change(d, COMPONENTS.cloudflareIpRanges, "cloudflare-ip-ranges", (r) => (r.outputs!.ipv4Cidrs = r.outputs!.ipv6Cidrs = [])),
            RELEASE,
            "traefik-release",
            (r) => {
              for (const p of ["web", "websecure"]) values(r).ports[p].forwardedHeaders.trustedIPs = [];
            },
          ),
        resource: `${COMPONENTS.cloudflareIpRanges}::cloudflare-ip-ranges`,
        message: /The Cloudflare IP-ranges lookup cloudflare-ip-ranges returned no ranges/,
      },
      {
        when: "PROXY protocol is trusted from anyone",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).ports.websecure.proxyProtocol = { insecure: true })),
        resource: `${RELEASE}::traefik-release`,
        message: /sets ports\.websecure\.proxyProtocol\.insecure: true: any client can claim any address/,
      },
      {
        when: "an argument trusts forwarded headers from anyone",
        edit: (d) =>
          change(
            d,
            RELEASE,
            "traefik-release",
            (r) => (values(r).additionalArguments = ["--entryPoints.websecure.forwardedHeaders.insecure"]),
          ),
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
        edit: (d) =>
          change(d, RELEASE, "traefik-release", (r) => (values(r).providers.kubernetesIngress.allowExternalNameServices = false)),
        resource: `${RELEASE}::traefik-release`,
        message: /an Ingress routes to an ExternalName Service, but providers\.kubernetesIngress\.allowExternalNameServices is not true/,
      },
    ],
  },
  {
    rule: "ingress-class-unique",
    stack: "homelab",
    fails: [
      {
        when: "the stack adds an IngressClass the chart already creates",
        edit: (d) =>
          add(d, {
            type: T.ingressClass,
            name: "extra-traefik-class",
            custom: true,
            inputs: {
              apiVersion: "networking.k8s.io/v1",
              kind: "IngressClass",
              metadata: { name: "traefik" },
              spec: { controller: "traefik.io/ingress-controller" },
            },
            options: { provider: "pulumi:providers:kubernetes::cluster-k8s" },
          }),
        resource: `${T.ingressClass}::extra-traefik-class`,
        message: /IngressClass traefik is created 2 times \(Helm release traefik\/traefik \(chart traefik\), IngressClass traefik\)/,
      },
    ],
  },
  {
    rule: "traefik-resources-set",
    stack: "lab",
    fails: [
      {
        when: "Traefik has no memory limit",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => delete values(r).resources.limits),
        resource: `${RELEASE}::traefik-release`,
        message: /does not set resources\.limits\.memory: without requests the ingress is the first pod evicted/,
      },
    ],
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
];

describeRuleCases("traefik", rules, CASES);

describe("Cloudflare's ranges, as the plan looked them up", () => {
  it("a range Cloudflare starts publishing is trusted as soon as the deploy-time lookup returns it, with no pack change", async () => {
    // GIVEN a lookup that returns a range no earlier list had, and Traefik trusting exactly what was looked up
    const added = "198.41.200.0/21";
    const doc = change(
      change(await synthDoc("homelab"), COMPONENTS.cloudflareIpRanges, "cloudflare-ip-ranges", (r) => r.outputs!.ipv4Cidrs.push(added)),
      RELEASE,
      "traefik-release",
      (r) => {
        for (const p of ["web", "websecure"]) values(r).ports[p].forwardedHeaders.trustedIPs.push(added);
      },
    );
    // WHEN the rule runs THEN it accepts the new range
    assert.deepEqual(await violationsOf(doc, "traefik-forwarded-headers-cloudflare-only"), []);
  });
});
