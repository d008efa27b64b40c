/**
 * Traefik's placement: every rule of policies/traefik.ts on the program's own synth output.
 */
import * as rules from "../../../policies/traefik.ts";
import { T, RELEASE, values, describeRuleCases, type RuleCase } from "../rule-cases.ts";
import { change } from "../synth-output.ts";

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
