/**
 * What Traefik exposes and whom it trusts: every rule of policies/traefik-exposure.ts on the program's own synth output.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as rules from "../../../policies/traefik-exposure.ts";
import { T, RELEASE, values, describeRuleCases, type RuleCase } from "../rule-cases.ts";
import { COMPONENTS } from "../../../contract/tokens.ts";
import { add, change, remove, synthDoc, violationsOf } from "../synth-output.ts";

const CASES: readonly RuleCase[] = [
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
];

describeRuleCases("traefik-exposure", rules, CASES);

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
