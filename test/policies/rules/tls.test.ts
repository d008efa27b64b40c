/**
 * TLS: every rule of policies/tls.ts on the program's own synth output.
 */
import * as rules from "../../../policies/tls.ts";
import { T, RELEASE, values, describeRuleCases, type RuleCase } from "../rule-cases.ts";
import { change } from "../synth-output.ts";

const CASES: readonly RuleCase[] = [
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
        edit: (d) =>
          change(
            d,
            T.ingress,
            "immich-ingress-api",
            (r) => (r.inputs.metadata.annotations["cert-manager.io/cluster-issuer"] = "letsencrypt-production"),
          ),
        resource: `${T.ingress}::immich-ingress-root`,
        message:
          /TLS secret media\/immich-tls is issued by 2 sources \(Ingress media\/immich-api, Ingress media\/immich-root\): cert-manager names the Certificate after the secret/,
      },
    ],
  },
  {
    rule: "tls-issuer-exists",
    stack: "lab",
    fails: [
      {
        when: "an Ingress names a misspelt ClusterIssuer",
        edit: (d) =>
          change(
            d,
            T.ingress,
            "registry-ingress-root",
            (r) => (r.inputs.metadata.annotations["cert-manager.io/cluster-issuer"] = "letsencrypt-prod"),
          ),
        resource: `${T.ingress}::registry-ingress-root`,
        message:
          /Ingress tools\/registry-root asks ClusterIssuer letsencrypt-prod for its certificate, which the stack does not create \(ClusterIssuers: letsencrypt-production, letsencrypt-staging\)/,
      },
    ],
  },
  {
    rule: "ingressroute-tls-from-certificate",
    stack: "lab",
    fails: [
      {
        when: "the IngressRoute's secret is written by no Certificate",
        edit: (d) => change(d, T.ingressRoute, "argocd-ingressroute", (r) => (r.inputs.spec.tls.secretName = "argocd-cert")),
        resource: `${T.ingressRoute}::argocd-ingressroute`,
        message:
          /IngressRoute tools\/argocd serves TLS from secret tools\/argocd-cert, which no Certificate in the stack writes: cert-manager ignores IngressRoutes/,
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
    fails: [
      {
        when: "an Ingress asks for a host outside the issuer's DNS-01 zone",
        edit: (d) =>
          change(d, T.ingress, "git-ingress-root", (r) => {
            r.inputs.spec.rules[0].host = "git.example.org";
            r.inputs.spec.tls[0].hosts = ["git.example.org"];
          }),
        resource: `${T.ingress}::git-ingress-root`,
        message:
          /Ingress apps\/git-root requests git\.example\.org from ClusterIssuer letsencrypt-production, whose solvers only answer for example\.net: cert-manager finds no solver/,
      },
    ],
  },
  {
    rule: "cert-manager-dns01-recursive-nameservers",
    stack: "homelab",
    fails: [
      {
        when: "DNS-01 self-checks may use the cluster's resolvers",
        edit: (d) => change(d, RELEASE, "cert-manager-release", (r) => delete values(r).dns01RecursiveNameserversOnly),
        resource: `${RELEASE}::cert-manager-release`,
        message: /lets DNS-01 self-checks use the cluster's resolvers: a split-horizon homelab DNS never shows the challenge record/,
      },
    ],
  },
];

describeRuleCases("tls", rules, CASES);
