/** Start-up floor: a program that only imports @pulumi/pulumi and registers one resource. */
import * as pulumi from "@pulumi/pulumi";
import { TYPES } from "../contract/tokens.ts";

class ConfigMap extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs) {
    super(TYPES.configMap, name, props);
  }
}

export const config = new ConfigMap("one", {
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "one", namespace: "default" },
  data: { key: "value" },
});
