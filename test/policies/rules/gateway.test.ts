/**
 * Gateway API: every rule of policies/gateway.ts on the program's own synth output.
 */
import * as rules from "../../../policies/gateway.ts";
import { T, RELEASE, values, describeRuleCases, type RuleCase } from "../rule-cases.ts";
import { change, remove } from "../synth-output.ts";

const CASES: readonly RuleCase[] = [
  {
    rule: "gateway-route-attached",
    stack: "gateway",
    fails: [
      {
        when: "an HTTPRoute names a host no listener covers",
        edit: (d) => change(d, T.httpRoute, "grafana-httproute", (r) => (r.inputs.spec.hostnames = ["grafana.example.org"])),
        resource: `${T.httpRoute}::grafana-httproute`,
        message:
          /HTTPRoute monitoring\/grafana: no listener of the Gateway it names covers grafana\.example\.org, so the route does not attach/,
      },
      {
        when: "the listeners' allowedRoutes leave out the route's namespace",
        edit: (d) =>
          change(d, RELEASE, "traefik-release", (r) => {
            const selector = values(r).gateway.listeners["wildcard-example-com"].namespacePolicy.selector.matchExpressions[0];
            selector.values = selector.values.filter((ns: string) => ns !== "monitoring");
          }),
        resource: `${T.httpRoute}::grafana-httproute`,
        message:
          /listener wildcard-example-com of Gateway traefik\/traefik-gateway serves grafana\.example\.com but its allowedRoutes do not admit namespace monitoring/,
      },
      {
        when: "the listener serving a host has no certificate",
        edit: (d) =>
          change(d, RELEASE, "traefik-release", (r) => (values(r).gateway.listeners["grpc-ml-lab-example-com"].certificateRefs = [])),
        resource: `${T.grpcRoute}::model-grpc-grpcroute`,
        message:
          /grpc\.ml\.lab\.example\.com is served by listener grpc-ml-lab-example-com of Gateway traefik\/traefik-gateway, which has no TLS certificate/,
      },
      {
        when: "a route names a Gateway the stack does not serve",
        edit: (d) => change(d, T.grpcRoute, "model-grpc-grpcroute", (r) => (r.inputs.spec.parentRefs[0].name = "envoy-gateway")),
        resource: `${T.grpcRoute}::model-grpc-grpcroute`,
        message: /GRPCRoute ml\/model-grpc attaches to Gateway traefik\/envoy-gateway, which no Traefik release of the stack serves/,
      },
      {
        when: "a TLSRoute's listener terminates TLS instead of passing it through",
        edit: (d) => change(d, RELEASE, "traefik-release", (r) => delete values(r).gateway.listeners["tls-sso-example-com"].mode),
        resource: `${T.tlsRoute}::sso-tlsroute`,
        message:
          /TLSRoute apps\/sso: sso\.example\.com is served by listener tls-sso-example-com of Gateway traefik\/traefik-gateway, which terminates TLS \(mode Terminate\)/,
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
        message:
          /HTTPRoute apps\/api-gateway reaches Middleware apps\/api-gateway-rate-limit through an ExtensionRef filter, but the stack creates no such Middleware/,
      },
      {
        when: "a backendRef crosses into another namespace without a ReferenceGrant",
        edit: (d) => change(d, T.httpRoute, "grafana-httproute", (r) => (r.inputs.spec.rules[0].backendRefs[0].namespace = "apps")),
        resource: `${T.httpRoute}::grafana-httproute`,
        message:
          /HTTPRoute monitoring\/grafana sends traffic to Service apps\/grafana in another namespace, and no ReferenceGrant in apps allows HTTPRoutes from monitoring/,
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
        message:
          /Gateway traefik\/traefik-gateway expects cert-manager to issue its listener certificates, but no cert-manager release enables config\.gatewayAPI\.enabled/,
      },
      {
        when: "the Gateway names an issuer the stack does not create",
        edit: (d) =>
          change(d, RELEASE, "traefik-release", (r) => (values(r).gateway.annotations["cert-manager.io/cluster-issuer"] = "letsencrypt")),
        resource: `${RELEASE}::traefik-release`,
        message: /names ClusterIssuer letsencrypt, which the stack does not create/,
      },
      {
        when: "a deeper host is left to the zone's wildcard listener",
        edit: (d) =>
          change(
            change(d, RELEASE, "traefik-release", (r) => delete values(r).gateway.listeners["grpc-ml-lab-example-com"]),
            T.grpcRoute,
            "model-grpc-grpcroute",
            (r) => (r.inputs.spec.parentRefs[0].sectionName = "wildcard-example-com"),
          ),
        resource: `${T.grpcRoute}::model-grpc-grpcroute`,
        message:
          /grpc\.ml\.lab\.example\.com is served by wildcard listener wildcard-example-com \(\*\.example\.com\) .* whose certificate covers one label only/,
      },
    ],
  },
];

describeRuleCases("gateway", rules, CASES);
