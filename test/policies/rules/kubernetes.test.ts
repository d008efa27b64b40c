/**
 * Kubernetes objects (namespaces, providers, MetalLB): every rule of policies/kubernetes.ts on the program's own synth output.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as rules from "../../../policies/kubernetes.ts";
import { T, RELEASE, CONFIG_GROUP, values, describeRuleCases, type RuleCase } from "../rule-cases.ts";
import { change, synthDoc, violationsOf } from "../synth-output.ts";

const CASES: readonly RuleCase[] = [
  {
    rule: "namespace-pod-security-enforced",
    stack: "homelab",
    fails: [
      {
        when: "an app namespace enforces privileged",
        edit: (d) =>
          change(d, T.namespace, "namespaces-apps", (r) => (r.inputs.metadata.labels["pod-security.kubernetes.io/enforce"] = "privileged")),
        resource: `${T.namespace}::namespaces-apps`,
        message: /Namespace apps enforces Pod Security privileged, but nothing the stack installs there needs host access/,
      },
      {
        when: "a namespace has no enforce label",
        edit: (d) =>
          change(d, T.namespace, "namespaces-media", (r) => delete r.inputs.metadata.labels["pod-security.kubernetes.io/enforce"]),
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
    fails: [
      {
        when: "an Ingress falls back to the default Kubernetes provider",
        edit: (d) => change(d, T.ingress, "whoami-ingress-root", (r) => delete r.options.provider),
        resource: `${T.ingress}::whoami-ingress-root`,
        message: /^Ingress whoami-ingress-root uses the default Kubernetes provider: it deploys to whichever cluster/,
      },
    ],
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
        edit: (d) =>
          change(d, RELEASE, "traefik-release", (r) => (values(r).service.annotations["metallb.io/loadBalancerIPs"] = "10.0.10.200")),
        resource: `${RELEASE}::traefik-release`,
        message:
          /requests 10\.0\.10\.200, which no MetalLB IPAddressPool of the stack contains \(10\.0\.10\.240\/28\): the Service stays <pending> forever/,
      },
    ],
  },
  {
    rule: "metallb-pool-advertised",
    stack: "homelab",
    fails: [
      {
        when: "the L2Advertisement names another pool",
        edit: (d) => change(d, T.l2Advertisement, "metallb-l2", (r) => (r.inputs.spec.ipAddressPools = ["other"])),
        resource: `${T.ipAddressPool}::metallb-pool-services`,
        message: /IPAddressPool metallb-system\/services is not announced by any L2Advertisement/,
      },
    ],
  },
];

describeRuleCases("kubernetes", rules, CASES);

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
    const selected = change(
      change(await synthDoc("homelab"), T.ipAddressPool, "metallb-pool-services", (r) => (r.inputs.metadata.labels = { pool: "services" })),
      T.l2Advertisement,
      "metallb-l2",
      (r) => {
        delete r.inputs.spec.ipAddressPools;
        r.inputs.spec.ipAddressPoolSelectors = [{ matchLabels: { pool: "services" } }];
      },
    );
    assert.deepEqual(await violationsOf(selected, "metallb-pool-advertised"), []);
    const other = change(
      selected,
      T.l2Advertisement,
      "metallb-l2",
      (r) => (r.inputs.spec.ipAddressPoolSelectors = [{ matchLabels: { pool: "other" } }]),
    );
    assert.deepEqual(
      (await violationsOf(other, "metallb-pool-advertised")).map((v) => v.resource),
      [`${T.ipAddressPool}::metallb-pool-services`],
    );
  });

  it("a Traefik pinned to the control planes by node affinity is placed like one pinned by nodeSelector", async () => {
    const affinity = change(await synthDoc("lab"), RELEASE, "traefik-release", (r) => {
      delete values(r).nodeSelector;
      values(r).affinity = {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists" }] }],
          },
        },
      };
    });
    for (const rule of ["traefik-controlplane-placement", "dns-targets-ingress-entry", "network-policy-matches-traefik-placement"]) {
      assert.deepEqual(await violationsOf(affinity, rule), [], rule);
    }
  });
});
