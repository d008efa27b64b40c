/**
 * Routes: every rule of policies/routes.ts on the program's own synth output.
 */
import * as rules from "../../../policies/routes.ts";
import { T, APPS_POLICY, withoutPeer, describeRuleCases, type RuleCase } from "../rule-cases.ts";
import { add, change, cloneAs, remove } from "../synth-output.ts";

const CASES: readonly RuleCase[] = [
  {
    rule: "ingress-class-served",
    stack: "k3s",
    fails: [
      {
        when: "an Ingress names a class nobody creates",
        edit: (d) => change(d, T.ingress, "notes-ingress-api", (r) => (r.inputs.spec.ingressClassName = "nginx")),
        resource: `${T.ingress}::notes-ingress-api`,
        message: /Ingress apps\/notes-api names IngressClass nginx, which the stack does not create \(it creates traefik\)/,
      },
    ],
  },
  {
    rule: "route-host-path-unique",
    stack: "homelab",
    fails: [
      {
        when: "a second app claims grafana's host and path",
        edit: (d) =>
          add(
            d,
            cloneAs(d, T.ingress, "grafana-ingress-root", "copy-ingress-root", (r) => (r.inputs.metadata.name = "copy")),
          ),
        resource: `${T.ingress}::copy-ingress-root`,
        message:
          /Ingress monitoring\/copy routes grafana\.example\.com\/ \(Prefix\), which Ingress monitoring\/grafana-root already routes/,
      },
    ],
  },
  {
    rule: "middleware-references-exist",
    stack: "homelab",
    fails: [
      {
        when: "an IngressRoute references a Middleware that does not exist",
        edit: (d) =>
          change(
            d,
            T.ingressRoute,
            "api-gateway-ingressroute",
            (r) => (r.inputs.spec.routes[0].middlewares[0].name = "api-gateway-ratelimit"),
          ),
        resource: `${T.ingressRoute}::api-gateway-ingressroute`,
        message:
          /IngressRoute apps\/api-gateway references Middleware apps\/api-gateway-ratelimit, which the stack does not create: Traefik drops the whole router/,
      },
      {
        when: "an IngressRoute borrows another namespace's Middleware",
        edit: (d) =>
          change(
            change(d, T.middleware, "api-gateway-middleware-cors", (r) => (r.inputs.metadata.namespace = "media")),
            T.ingressRoute,
            "api-gateway-ingressroute",
            (r) => (r.inputs.spec.routes[0].middlewares[1].namespace = "media"),
          ),
        resource: `${T.ingressRoute}::api-gateway-ingressroute`,
        message:
          /references Middleware media\/api-gateway-cors in another namespace, but Traefik's providers\.kubernetesCRD\.allowCrossNamespace is not true/,
      },
      {
        when: "an Ingress annotation names a missing Middleware",
        edit: (d) =>
          change(
            d,
            T.ingress,
            "grafana-ingress-root",
            (r) =>
              (r.inputs.metadata.annotations["traefik.ingress.kubernetes.io/router.middlewares"] =
                "monitoring-grafana-headers@kubernetescrd"),
          ),
        resource: `${T.ingress}::grafana-ingress-root`,
        message:
          /references middleware monitoring-grafana-headers@kubernetescrd in traefik\.ingress\.kubernetes\.io\/router\.middlewares, but the stack creates no such Middleware/,
      },
    ],
  },
  {
    rule: "network-policy-matches-traefik-placement",
    stack: "homelab",
    fails: [
      {
        when: "a default-deny namespace loses its allow-Traefik policy",
        edit: (d) => remove(d, (r) => r.type === T.networkPolicy && r.name === "namespaces-media-allow-traefik"),
        resource: `${T.ingress}::immich-ingress-api`,
        message:
          /Namespace media denies ingress by default, and no NetworkPolicy there admits Traefik \(pod network\): Ingress media\/immich-api times out/,
      },
      {
        when: "a default-deny namespace's allow-Traefik policy is written into another namespace",
        edit: (d) => change(d, T.networkPolicy, "namespaces-media-allow-traefik", (r) => (r.inputs.metadata.namespace = "monitoring")),
        resource: `${T.ingress}::immich-ingress-api`,
        message:
          /^Namespace media denies ingress by default, and no NetworkPolicy there admits Traefik \(pod network\): Ingress media\/immich-api times out; add a policy whose from contains a peer with namespaceSelector kubernetes\.io\/metadata\.name: traefik and Traefik's pod labels\.$/,
      },
    ],
  },
  {
    rule: "network-policy-matches-traefik-placement",
    stack: "edge",
    config: { namespaces: { apps: { podSecurity: "restricted", defaultDeny: true } } },
    fails: [
      {
        // The namespace's one policy keeps its ipBlocks, so only the rule that can never match is reported.
        when: "a hostNetwork Traefik is also admitted by pod labels",
        edit: (d) =>
          change(d, T.networkPolicy, APPS_POLICY, (r) =>
            r.inputs.spec.ingress.push({
              from: [
                {
                  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "traefik" } },
                  podSelector: { matchLabels: { "app.kubernetes.io/name": "traefik" } },
                },
              ],
            }),
          ),
        resource: `${T.networkPolicy}::${APPS_POLICY}`,
        message:
          /NetworkPolicy apps\/allow-traefik admits Traefik by namespace\/pod labels, but Helm release traefik\/traefik \(chart traefik\) uses the host network/,
      },
      {
        when: "the allow rules miss a node Traefik runs on",
        edit: (d) => withoutPeer(d, APPS_POLICY, "192.168.50.11/32"),
        resource: `${T.ingress}::git-ingress-root`,
        message:
          /Namespace apps denies ingress by default, and no NetworkPolicy there admits Traefik \(host network\): Ingress apps\/git-root times out; add a policy whose from contains ipBlock peers covering the nodes Traefik runs on \(192\.168\.50\.11, 192\.168\.50\.21, 192\.168\.50\.22, 192\.168\.50\.23\) and the pod network 10\.244\.0\.0\/16/,
      },
      {
        when: "the allow rules admit the nodes' addresses but not the pod network",
        edit: (d) => withoutPeer(d, APPS_POLICY, "10.244.0.0/16"),
        resource: `${T.ingress}::git-ingress-root`,
        message:
          /Namespace apps denies ingress by default, and its NetworkPolicies admit the host-network Traefik only by the nodes' addresses \(192\.168\.50\.11, 192\.168\.50\.21, 192\.168\.50\.22, 192\.168\.50\.23\): its connections to pods on other nodes leave through the CNI's tunnel and carry the tunnel's address from the pod network 10\.244\.0\.0\/16/,
      },
      {
        when: "the Talos machine config moves the pod network away from the one the policies admit",
        edit: (d) =>
          change(d, T.configurationApply, "cluster-edge-w1-config", (r) =>
            r.inputs.configPatches.push("cluster:\n  network:\n    podSubnets: [10.32.0.0/16]\n"),
          ),
        resource: `${T.ingress}::git-ingress-root`,
        message:
          /admit the host-network Traefik only by the nodes' addresses .* carry the tunnel's address from the pod network 10\.32\.0\.0\/16/,
      },
    ],
  },
  {
    rule: "network-policy-matches-traefik-placement",
    stack: "k3s",
    fails: [
      {
        when: "the allow rules of an existing cluster (pod network unknown to the pack) list single addresses only",
        edit: (d) => withoutPeer(d, APPS_POLICY, "10.42.0.0/16"),
        resource: `${T.ingress}::notes-ingress-api`,
        message:
          /admit the host-network Traefik only by the nodes' addresses \(the node addresses\): .* from the CNI's pod network \(10\.42\.0\.0\/16 on k3s\)/,
      },
    ],
  },
  {
    rule: "network-policies-enforced",
    stack: "homelab",
    fails: [
      {
        when: "a control plane's patches leave kube-network-policies off while the stack registers NetworkPolicies",
        edit: (d) =>
          change(
            d,
            T.configurationApply,
            "cluster-cp2-config",
            (r) =>
              (r.inputs.configPatches = r.inputs.configPatches.map((p: string) =>
                p.replace("kubeNetworkPoliciesEnabled: true", "kubeNetworkPoliciesEnabled: false"),
              )),
          ),
        resource: `${T.configurationApply}::cluster-cp2-config`,
        message:
          /Talos node 10\.0\.10\.12 \(cluster-cp2-config\) does not set cluster\.network\.cni\.flannel\.kubeNetworkPoliciesEnabled: true, so Flannel runs without a NetworkPolicy enforcer/,
      },
    ],
  },
  {
    rule: "network-policies-enforced",
    stack: "k3s",
    fails: [
      {
        when: "a policy on a cluster the stack does not build states no enforcer",
        edit: (d) => change(d, T.networkPolicy, APPS_POLICY, (r) => delete r.inputs.metadata.annotations["homelab.pulumi.com/enforced-by"]),
        resource: `${T.networkPolicy}::${APPS_POLICY}`,
        message: /carries no homelab\.pulumi\.com\/enforced-by annotation: nothing states that the cluster's CNI enforces NetworkPolicies/,
      },
    ],
  },
];

describeRuleCases("routes", rules, CASES);
