/**
 * The stack file's keys outside the homelab schema: credentials refused in
 * plain text with the command that encrypts them, the provider settings the
 * program needs, and misspelt provider keys reported like misspelt homelab keys.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { parseStackConfig } from "../../config/validate.ts";
import { PROVIDER_KEYS } from "../../config/stack-keys.ts";
import { fixtureStack, type Fixture, exampleStack } from "../helpers/config.ts";

/** A fixture's whole config map with keys set (a string), made plain (`plain`) or removed (`undefined`). */
function stackWith(
  stack: Fixture,
  edits: Record<string, string | undefined | { plain: string }>,
): { values: Record<string, string>; secret: (k: string) => boolean } {
  const base = fixtureStack(stack);
  const values = { ...base.values };
  const secretKeys = new Set(base.secretKeys);
  for (const [key, edit] of Object.entries(edits)) {
    if (edit === undefined) {
      delete values[key];
      secretKeys.delete(key);
    } else if (typeof edit === "string") values[key] = edit;
    else {
      values[key] = edit.plain;
      secretKeys.delete(key);
    }
  }
  return { values, secret: (k) => secretKeys.has(k) };
}

function errorsOf(stack: Fixture, edits: Parameters<typeof stackWith>[1], env: Record<string, string> = {}): readonly string[] {
  const { values, secret } = stackWith(stack, edits);
  const result = parseStackConfig(values, secret, env);
  return result.ok ? [] : result.errors;
}

const TOKEN = "cf-token-typed-in-plain-text";

describe("credentials typed in plain text are refused with the command that encrypts them", () => {
  for (const [stack, key, command] of [
    ["deployment-behind-metallb", "cloudflare:apiToken", "pulumi config set --secret cloudflare:apiToken <token>"],
    ["deployment-behind-metallb", "proxmoxve:apiToken", "pulumi config set --secret proxmoxve:apiToken 'user@pve!pulumi=<uuid>'"],
    ["deployment-behind-metallb", "homelab:adminUsers", "pulumi config set --secret homelab:adminUsers <value>"],
    ["existing-cluster", "homelab:dns01Token", "pulumi config set --secret homelab:dns01Token <token>"],
    ["existing-cluster", "homelab:kubeconfig", "pulumi config set --secret homelab:kubeconfig <value>"],
  ] as const) {
    it(`${key} (${stack}): one line naming the key and the exact command, never the value`, () => {
      const errors = errorsOf(stack, { [key]: { plain: TOKEN } });
      assert.deepEqual(errors, [
        `${key}: holds a credential but is set in plain text, so everyone who can read the stack file (and its git history) has it; set it encrypted with: ${command} (and rotate it, since it was in plain text)`,
      ]);
      assert.ok(!errors.join("\n").includes(TOKEN));
    });
  }

  it("the example stacks, whose credentials are secure: values, pass", () => {
    for (const stack of ["edge", "homelab", "k3s", "lab"]) {
      const { values, secretKeys } = exampleStack(stack);
      const result = parseStackConfig(values, (k) => secretKeys.includes(k), {});
      assert.deepEqual(result.ok ? [] : result.errors, [], stack);
    }
  });
});

describe("the provider settings the program needs", () => {
  it("a Talos stack needs the Proxmox endpoint and credentials, and every stack a Cloudflare token", () => {
    assert.deepEqual(
      errorsOf("deployment-behind-metallb", {
        "proxmoxve:endpoint": undefined,
        "proxmoxve:apiToken": undefined,
        "cloudflare:apiToken": undefined,
      }),
      [
        "cloudflare:apiToken: is required (the Cloudflare provider manages the DNS records and needs an API token); set it with: pulumi config set --secret cloudflare:apiToken <token with Zone:DNS:Edit, Zone:Zone:Read and Zone:Zone Settings:Read> (or export CLOUDFLARE_API_TOKEN)",
        "proxmoxve:endpoint: is required (cluster.provider talos creates its VMs through the Proxmox VE API); set it with: pulumi config set proxmoxve:endpoint https://<proxmox host>:8006/ (or export PROXMOX_VE_ENDPOINT)",
        "proxmoxve:apiToken: is required (cluster.provider talos needs credentials for the Proxmox VE API); set it with: pulumi config set --secret proxmoxve:apiToken 'user@pve!pulumi=<uuid>' (or export PROXMOX_VE_API_TOKEN)",
      ],
    );
  });

  it("a Proxmox endpoint that is not an https URL is refused before the provider tries it", () => {
    assert.deepEqual(errorsOf("deployment-behind-metallb", { "proxmoxve:endpoint": "pve1.lan:8006" }), [
      'proxmoxve:endpoint: expected the Proxmox VE API\'s https URL, e.g. https://pve1.lan:8006/ (got "pve1.lan:8006"); set it with: pulumi config set proxmoxve:endpoint https://<proxmox host>:8006/',
    ]);
  });

  it("an existing cluster needs no Proxmox settings", () => {
    assert.deepEqual(errorsOf("existing-cluster", { "proxmoxve:endpoint": undefined, "proxmoxve:apiToken": undefined }), []);
  });

  it("the providers' environment variables stand in for the keys", () => {
    assert.deepEqual(
      errorsOf(
        "deployment-behind-metallb",
        { "proxmoxve:endpoint": undefined, "proxmoxve:apiToken": undefined, "cloudflare:apiToken": undefined },
        {
          PROXMOX_VE_ENDPOINT: "https://pve:8006/",
          PROXMOX_VE_API_TOKEN: "x",
          CLOUDFLARE_API_TOKEN: "y",
        },
      ),
      [],
    );
  });
});

describe("misspelt provider keys are reported like misspelt homelab keys", () => {
  it("a key in a provider namespace the provider does not know", () => {
    const errors = errorsOf("deployment-behind-metallb", { "cloudflare:apiToken": undefined, "cloudflare:apitoken": { plain: TOKEN } });
    assert.equal(
      errors[0],
      `cloudflare:apitoken: unknown key (the cloudflare provider ignores it); did you mean cloudflare:apiToken?; cloudflare accepts: ${PROVIDER_KEYS.cloudflare!.join(", ")}`,
    );
    assert.match(errors[1]!, /^cloudflare:apiToken: is required/);
    assert.ok(!errors.join("\n").includes(TOKEN));
  });

  it("a namespace one edit away from a provider's", () => {
    const errors = errorsOf("deployment-behind-metallb", { "proxmoxve:endpoint": undefined, "proxmox:endpoint": "https://pve1.lan:8006/" });
    assert.equal(errors[0], "proxmox:endpoint: unknown namespace proxmox (no provider reads it); did you mean proxmoxve:endpoint?");
    assert.match(errors[1]!, /^proxmoxve:endpoint: is required/);
  });

  it("the lists of provider keys are the installed SDKs' own", () => {
    const require = createRequire(import.meta.url);
    for (const [ns, pkg] of [
      ["cloudflare", "@pulumi/cloudflare"],
      ["proxmoxve", "@muhlba91/pulumi-proxmoxve"],
    ] as const) {
      const vars = readFileSync(join(dirname(require.resolve(`${pkg}/package.json`)), "config", "vars.d.ts"), "utf8");
      const declared = [...vars.matchAll(/export declare const (\w+)/g)].map((m) => m[1]!).sort();
      assert.deepEqual([...PROVIDER_KEYS[ns]!].sort(), declared, ns);
    }
  });
});
