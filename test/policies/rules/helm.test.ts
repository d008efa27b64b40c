/**
 * Helm releases: every rule of policies/helm.ts on the program's own synth output.
 */
import * as rules from "../../../policies/helm.ts";
import { T, RELEASE, CONFIG_GROUP, values, describeRuleCases, type RuleCase } from "../rule-cases.ts";
import { change } from "../synth-output.ts";
import { COMPONENTS } from "../../../contract/tokens.ts";

const CASES: readonly RuleCase[] = [
  {
    rule: "helm-release-pinned",
    stack: "homelab",
    fails: [
      {
        when: "a chart version is a range",
        edit: (d) => change(d, RELEASE, "metallb-release", (r) => (r.inputs.version = "^0.16.0")),
        resource: `${RELEASE}::metallb-release`,
        message:
          /Helm release metallb-system\/metallb \(chart metallb\) has chart version "\^0\.16\.0": an unpinned chart changes under the stack/,
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
    fails: [
      {
        when: "Traefik's image tag is latest",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).image = { tag: "latest" })),
        resource: `${RELEASE}::traefik-release`,
        message: /sets values\.image to tag "latest": a moving tag deploys different code on every pod restart/,
      },
    ],
  },
  {
    rule: "helm-values-current-shapes",
    stack: "homelab",
    fails: [
      {
        when: "the web entry point uses the old redirectTo shape",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => (values(r).ports.web.redirectTo = { port: "websecure" })),
        resource: `${RELEASE}::traefik-release`,
        message:
          /sets values\.ports\.web\.redirectTo, a shape older traefik charts used: chart 41\.3\.0 rejects or ignores it.*use ports\.<name>\.http\.redirections\.entryPoint/,
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
        // A stack rule sees the ConfigGroup's files where the engine keeps them: its parent's registered outputs.
        edit: (d) =>
          change(
            d,
            COMPONENTS.traefik,
            "traefik",
            (r) => (r.outputs!.crdFiles = r.outputs!.crdFiles.map((f: string) => f.replace("/v41.3.0/", "/v39.0.0/"))),
          ),
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
        edit: (d) =>
          change(
            d,
            T.ingressRoute,
            "chat-ingressroute",
            (r) =>
              (r.options.dependsOn = r.options.dependsOn.filter(
                (x: string) => !x.includes("ConfigGroup") && !x.endsWith("::traefik-release"),
              )),
          ),
        resource: `${T.ingressRoute}::chat-ingressroute`,
        message: /IngressRoute apps\/chat does not depend on ConfigGroup traefik-crds: Pulumi may create it before its CRD exists/,
      },
      {
        when: "the cert-manager release the issuers wait for skips awaiting",
        edit: (d) => change(d, RELEASE, "cert-manager-release", (r) => (r.inputs.skipAwait = true)),
        resource: `${RELEASE}::cert-manager-release`,
        message:
          /Helm release cert-manager\/cert-manager \(chart cert-manager\) sets skipAwait: true, yet ClusterIssuer letsencrypt-production, ClusterIssuer letsencrypt-staging are created right after it/,
      },
    ],
  },
];

describeRuleCases("helm", rules, CASES);
