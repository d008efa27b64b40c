import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { validateManifests } from "../../synth/validate-manifests.ts";
import { strictKindSchemas } from "../../scripts/k8s-schemas.ts";
import { DEFAULTS } from "../../config/defaults.ts";
import kubernetes from "../../synth/schemas/kubernetes.json" with { type: "json" };

const minor = (version: string) => version.split(".").slice(0, 2).join(".");

async function problems(manifest: Record<string, unknown>): Promise<string[]> {
  return validateManifests(new Map([["m.yaml", manifest]]));
}

const service = (spec: Record<string, unknown>) => ({ apiVersion: "v1", kind: "Service", metadata: { name: "web", namespace: "apps" }, spec });

describe("built-in kinds are validated against the Kubernetes release the stacks run", () => {
  it("holds the schemas of the Kubernetes minor Talos installs by default", () => {
    assert.equal(minor(kubernetes.kubernetesVersion), minor(DEFAULTS.talos.kubernetesDefault));
    assert.equal(minor(DEFAULTS.talos.kubernetesDefault), "1.36");
    assert.match(kubernetes.source, /kubernetes\/kubernetes v1\.36\.\d+ api\/openapi-spec\/swagger\.json/);
  });

  it("refuses a field Kubernetes 1.36 does not have, as the API server's strict field validation does", async () => {
    // networking.k8s.io/v1beta1's spec.backend is spec.defaultBackend in v1.
    const ingress = { apiVersion: "networking.k8s.io/v1", kind: "Ingress", metadata: { name: "x", namespace: "apps" }, spec: { backend: { service: { name: "s", port: { number: 80 } } } } };
    assert.deepEqual(await problems(ingress), ['m.yaml: spec: unknown field "backend" (Kubernetes 1.36 has no such field)']);
    const typo = service({ ports: [{ port: 80, targetPot: 8080 }] });
    assert.deepEqual(await problems(typo), ['m.yaml: spec.ports.0: unknown field "targetPot" (Kubernetes 1.36 has no such field)']);
  });

  it("refuses a wrong type, and takes a number or a name where Kubernetes takes either", async () => {
    assert.deepEqual(await problems(service({ ports: [{ port: "80" }] })), ["m.yaml: spec.ports.0.port: must be integer"]);
    assert.deepEqual(await problems(service({ ports: [{ port: 80, targetPort: "http" }, { name: "b", port: 81, targetPort: 8081 }] })), []);
    assert.deepEqual(await problems(service({ ports: [{ port: 80, targetPort: true }] })), ["m.yaml: spec.ports.0.targetPort: must be integer or string"]);
  });

  it("closes metadata too: a bare Namespace passes, a misspelt metadata key does not", async () => {
    assert.deepEqual(await problems({ apiVersion: "v1", kind: "Namespace", metadata: { name: "apps" } }), []);
    assert.deepEqual(await problems({ apiVersion: "v1", kind: "Namespace", metadata: { name: "apps", labelz: {} } }), ['m.yaml: metadata: unknown field "labelz" (Kubernetes 1.36 has no such field)']);
  });

  it("names the generator when synth emits a built-in kind the data file lacks", async () => {
    assert.deepEqual(await problems({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "apps" } }), [
      "m.yaml: no Kubernetes 1.36 schema for v1 ConfigMap; add the kind to BUILTIN_KINDS in scripts/gen-k8s-schemas.ts and rerun npm run gen:k8s-schemas",
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
        properties: { apiVersion: { type: "string" }, kind: { type: "string" }, spec: { $ref: "#/definitions/io.k8s.api.core.v1.WidgetSpec" } },
        type: "object",
      },
      "io.k8s.api.core.v1.WidgetSpec": {
        properties: {
          port: { $ref: "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString" },
          labels: { additionalProperties: { type: "string" }, type: "object" },
          size: { format: "int32", type: "integer" },
        },
        type: "object",
      },
      "io.k8s.apimachinery.pkg.util.intstr.IntOrString": { format: "int-or-string", type: "string" },
      "io.k8s.api.core.v1.Unused": { properties: { a: { type: "string" } }, type: "object" },
    },
  };

  it("keeps exactly the kinds' reachable definitions, closes every object and fixes apiVersion and kind", () => {
    const out = strictKindSchemas(swagger, [{ apiVersion: "v1", kind: "Widget" }], "1.36.2", "fixture");
    assert.deepEqual(out, {
      kubernetesVersion: "1.36.2",
      source: "fixture",
      kinds: { "v1 Widget": "io.k8s.api.core.v1.Widget" },
      definitions: {
        "io.k8s.api.core.v1.Widget": {
          type: "object",
          required: ["apiVersion", "kind", "spec"],
          properties: { apiVersion: { const: "v1" }, kind: { const: "Widget" }, spec: { $ref: "#/definitions/io.k8s.api.core.v1.WidgetSpec" } },
          additionalProperties: false,
        },
        "io.k8s.api.core.v1.WidgetSpec": {
          type: "object",
          properties: {
            port: { $ref: "#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString" },
            labels: { type: "object", additionalProperties: { type: "string" } },
            size: { type: "integer" },
          },
          additionalProperties: false,
        },
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString": { type: ["integer", "string"] },
      },
    });
  });

  it("fails on a kind the spec does not define", () => {
    assert.throws(() => strictKindSchemas(swagger, [{ apiVersion: "apps/v1", kind: "Widget" }], "1.36.2", "fixture"), /the spec has no definition for apps\/v1 Widget/);
  });
});
