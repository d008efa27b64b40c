/**
 * Secrets: every rule of policies/secrets.ts on the program's own synth output.
 */
import * as rules from "../../../policies/secrets.ts";
import { T, RELEASE, values, describeRuleCases, type RuleCase } from "../rule-cases.ts";
import { change, remove } from "../synth-output.ts";

const CASES: readonly RuleCase[] = [
  {
    rule: "credentials-in-kubernetes-secrets",
    stack: "homelab",
    fails: [
      {
        when: "basic-auth users are inline in the Middleware",
        edit: (d) =>
          change(
            d,
            T.middleware,
            "traefik-admin-middleware-basic-auth",
            (r) => (r.inputs.spec.basicAuth = { users: ["admin:$apr1$hash"] }),
          ),
        resource: `${T.middleware}::traefik-admin-middleware-basic-auth`,
        message:
          /Middleware apps\/traefik-admin-basic-auth lists basic-auth users inline \(spec\.basicAuth\.users\): the hashes are stored in plain text/,
      },
      {
        when: "the Cloudflare token Secret is not created by the stack",
        edit: (d) => remove(d, (r) => r.type === T.secret && r.name === "cert-manager-cloudflare-token"),
        resource: `${T.clusterIssuer}::cert-manager-issuer-letsencrypt-production`,
        message:
          /ClusterIssuer letsencrypt-production, ClusterIssuer letsencrypt-staging read Secret cert-manager\/cloudflare-api-token, which the stack does not create/,
      },
      {
        when: "the token Secret holds a plain (non-secret) value",
        edit: (d) =>
          change(d, T.secret, "cert-manager-cloudflare-token", (r) => (r.inputs.stringData = { "api-token": "cf-token-in-plain-config" })),
        resource: `${T.secret}::cert-manager-cloudflare-token`,
        message:
          /Secret cert-manager\/cloudflare-api-token holds api-token \(read by ClusterIssuer letsencrypt-production, ClusterIssuer letsencrypt-staging\) as a plain value/,
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
];

describeRuleCases("secrets", rules, CASES);
