/** Start-up floor: a program that only imports @pulumi/pulumi and registers one resource. */
import * as pulumi from "@pulumi/pulumi";

class ConfigMap extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs) {
    super("kubernetes:core/v1:ConfigMap", name, props);
  }
}

export const config = new ConfigMap("one", {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "one", namespace: "default" },
  data: { key: "value" },
});
