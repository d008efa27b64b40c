import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { validateManifests } from "../../synth/validate-manifests.ts";
import { BUILTIN_KINDS, kindKey, strictKindSchemas } from "../../scripts/k8s-schemas.ts";
import { goEnums } from "../../scripts/k8s-enums.ts";
import { DEFAULTS } from "../../model/defaults.ts";
import kubernetes from "../../synth/schemas/kubernetes.json" with { type: "json" };

const minor = (version: string) => version.split(".").slice(0, 2).join(".");

async function problems(manifest: Record<string, unknown>): Promise<string[]> {
  return validateManifests(new Map([["m.yaml", manifest]]));
}

const service = (spec: Record<string, unknown>) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "apps" },
  spec,
});

describe("built-in kinds are validated against the Kubernetes release the stacks run", () => {
  it("holds the schemas of the Kubernetes minor Talos installs by default", () => {
    assert.equal(minor(kubernetes.kubernetesVersion), minor(DEFAULTS.talos.kubernetesDefault));
    assert.equal(minor(DEFAULTS.talos.kubernetesDefault), "1.36");
    assert.match(kubernetes.source, /kubernetes\/kubernetes v1\.36\.\d+ api\/openapi-spec\/swagger\.json/);
  });

  it("holds exactly the kinds the generator is told synth emits (regenerated after BUILTIN_KINDS changed)", () => {
    assert.deepEqual(
      Object.keys(kubernetes.kinds),
      BUILTIN_KINDS.map((k) => kindKey(k.apiVersion, k.kind)),
    );
  });

  it("refuses a field Kubernetes 1.36 does not have, as the API server's strict field validation does", async () => {
    // networking.k8s.io/v1beta1's spec.backend is spec.defaultBackend in v1.
    const ingress = {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "x", namespace: "apps" },
      spec: { backend: { service: { name: "s", port: { number: 80 } } } },
    };
    assert.deepEqual(await problems(ingress), ['m.yaml: spec: unknown field "backend" (Kubernetes 1.36 has no such field)']);
    const typo = service({ ports: [{ port: 80, targetPot: 8080 }] });
    assert.deepEqual(await problems(typo), ['m.yaml: spec.ports.0: unknown field "targetPot" (Kubernetes 1.36 has no such field)']);
  });

  it("refuses a wrong type, and takes a number or a name where Kubernetes takes either", async () => {
    assert.deepEqual(await problems(service({ ports: [{ port: "80" }] })), ["m.yaml: spec.ports.0.port: must be integer"]);
    assert.deepEqual(
      await problems(
        service({
          ports: [
            { port: 80, targetPort: "http" },
            { name: "b", port: 81, targetPort: 8081 },
          ],
        }),
      ),
      [],
    );
    assert.deepEqual(await problems(service({ ports: [{ port: 80, targetPort: true }] })), [
      "m.yaml: spec.ports.0.targetPort: must be integer or string",
    ]);
  });

  it("refuses a value outside the field's enum, which the OpenAPI v2 spec alone would let through", async () => {
    assert.deepEqual(await problems(service({ type: "Loadbalancer", ports: [{ port: 80 }] })), [
      'm.yaml: spec.type: must be one of "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    ]);
    const policy = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "p", namespace: "apps" },
      spec: { podSelector: {}, policyTypes: ["Ingress", "egress"] },
    };
    assert.deepEqual(await problems(policy), ['m.yaml: spec.policyTypes.1: must be one of "Egress", "Ingress"']);
  });

  it("closes metadata too: a bare Namespace passes, a misspelt metadata key does not", async () => {
    assert.deepEqual(await problems({ apiVersion: "v1", kind: "Namespace", metadata: { name: "apps" } }), []);
    assert.deepEqual(await problems({ apiVersion: "v1", kind: "Namespace", metadata: { name: "apps", labelz: {} } }), [
      'm.yaml: metadata: unknown field "labelz" (Kubernetes 1.36 has no such field)',
    ]);
  });

  it("names the generator when synth emits a built-in kind the data file lacks", async () => {
    assert.deepEqual(await problems({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "apps" } }), [
      "m.yaml: no Kubernetes 1.36 schema for v1 ConfigMap; add the kind to BUILTIN_KINDS in scripts/k8s-schemas.ts and rerun npm run gen:k8s-schemas",
    ]);
  });
});

describe("generating strict schemas from a Kubernetes OpenAPI v2 spec", () => {
  const swagger = {
    definitions: {
      "io.k8s.api.core.v1.Widget": {
        "x-kubernetes-group-version-kind": [{ group: "", version: "v1", kind: "Widget" }],
        description: "dropped",
        required: ["spec"],
        properties: {
          apiVersion: { type: "string" },
          kind: { type: "string" },
          spec: { $ref: "#/definitions/io.k8s.api.core.v1.WidgetSpec" },
        },
        type: "object",
      },
      "io.k8s.api.core.v1.WidgetSpec": {
        properties: {
          port: { $ref: "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString" },
          labels: { additionalProperties: { type: "string" }, type: "object" },
          size: { format: "int32", type: "integer" },
          mode: { type: "string" },
        },
        type: "object",
      },
      "io.k8s.apimachinery.pkg.util.intstr.IntOrString": { format: "int-or-string", type: "string" },
      "io.k8s.api.core.v1.Unused": { properties: { a: { type: "string" } }, type: "object" },
    },
  };

  it("keeps exactly the kinds' reachable definitions, closes every object, fixes apiVersion and kind and adds the enums", () => {
    const out = strictKindSchemas(
      swagger,
      [{ apiVersion: "v1", kind: "Widget" }],
      { "io.k8s.api.core.v1.WidgetSpec": { mode: ["Fast", "Slow"] } },
      "1.36.2",
      "fixture",
    );
    assert.deepEqual(out, {
      kubernetesVersion: "1.36.2",
      source: "fixture",
      kinds: { "v1 Widget": "io.k8s.api.core.v1.Widget" },
      definitions: {
        "io.k8s.api.core.v1.Widget": {
          type: "object",
          required: ["apiVersion", "kind", "spec"],
          properties: {
            apiVersion: { const: "v1" },
            kind: { const: "Widget" },
            spec: { $ref: "#/definitions/io.k8s.api.core.v1.WidgetSpec" },
          },
          additionalProperties: false,
        },
        "io.k8s.api.core.v1.WidgetSpec": {
          type: "object",
          properties: {
            port: { $ref: "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString" },
            labels: { type: "object", additionalProperties: { type: "string" } },
            size: { type: "integer" },
            mode: { type: "string", enum: ["Fast", "Slow"] },
          },
          additionalProperties: false,
        },
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString": { type: ["integer", "string"] },
      },
    });
  });

  it("fails on a kind the spec does not define", () => {
    assert.throws(
      () => strictKindSchemas(swagger, [{ apiVersion: "apps/v1", kind: "Widget" }], {}, "1.36.2", "fixture"),
      /the spec has no definition for apps\/v1 Widget/,
    );
  });
});

describe("reading enum values from the Go types of k8s.io/api", () => {
  const core = [
    "// Protocol defines network protocols supported for things like container ports.",
    "// +enum",
    "type Protocol string",
    "",
    "const (",
    "\t// ProtocolTCP is the TCP protocol.",
    '\tProtocolTCP Protocol = "TCP"',
    '\tProtocolUDP Protocol = "UDP"',
    ")",
    "",
    "type IPFamily string",
    "const (",
    '\tIPv4Protocol IPFamily = "IPv4"',
    ")",
    "",
    "type ContainerCommon struct {",
    '\tProtocol Protocol `json:"protocol,omitempty" protobuf:"bytes,1,opt,name=protocol"`',
    "}",
    "",
    "type Container struct {",
    '\tContainerCommon `json:",inline" protobuf:"bytes,1,opt,name=common"`',
    '\tFamilies []IPFamily `json:"families,omitempty"`',
    "}",
  ].join("\n");
  const discovery = [
    'import (\n\tv1 "k8s.io/api/core/v1"\n)',
    "// +enum",
    "type AddressType string",
    "const (",
    "\tAddressTypeIPv4 = AddressType(v1.IPv4Protocol)",
    '\tAddressTypeFQDN = AddressType("FQDN")',
    ")",
    "type EndpointSlice struct {",
    '\tAddressType AddressType `json:"addressType" protobuf:"bytes,4,rep,name=addressType"`',
    "}",
    "type EndpointPort struct {",
    '\tProtocol *v1.Protocol `json:"protocol,omitempty"`',
    "}",
  ].join("\n");

  it("takes the constants of +enum types only, through inline embeds, conversions and other packages", () => {
    assert.deepEqual(goEnums({ "core/v1": core, "discovery/v1": discovery }), {
      "io.k8s.api.core.v1.ContainerCommon": { protocol: ["TCP", "UDP"] },
      "io.k8s.api.core.v1.Container": { protocol: ["TCP", "UDP"] },
      "io.k8s.api.discovery.v1.EndpointSlice": { addressType: ["FQDN", "IPv4"] },
      "io.k8s.api.discovery.v1.EndpointPort": { protocol: ["TCP", "UDP"] },
    });
  });
});
