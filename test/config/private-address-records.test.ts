/**
 * No stack puts a LAN address in public DNS without a word: an app that is
 * neither proxied nor private gets public A records to the ingress entry, and
 * an entry on the LAN makes them private addresses. Refused in a tunnel stack
 * (no port-forward serves it), a warning elsewhere; publicRecord on a private
 * app is the one way to ask for such a record.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { configFrom, fixtureStack } from "../helpers/config.ts";
import { capturingWarnings } from "../helpers/runtime-warnings.ts";
import { runStack } from "../../synth/run-stack.ts";

const NAS_WARNING =
  "homelab:apps.nas.private: its public DNS record nas.example.com A 10.0.10.240 names a private address: only your LAN can use it, resolvers with DNS-rebinding protection drop it, and it shows your LAN's layout to anyone; set private: true to keep it off public DNS (lan-dns/ has the LAN resolver's lines; publicRecord: true publishes the record on purpose), or proxied: true with dns.publicAddress to publish the app";
const privateWarnings = (warnings: readonly string[]) =>
  warnings.filter((w) => w.includes("names a private address") || w.includes("name a private address"));

describe("public DNS records that would name a private address", () => {
  it("refuses, in a tunnel stack, an app neither proxied nor private, naming the key and both ways out", () => {
    const result = configFrom("cloudflare-tunnel", { "apps.status.proxied": false });
    assert.equal(result.ok, false);
    assert.deepEqual(!result.ok && result.errors, [
      "homelab:apps.status.proxied: not proxied in a tunnel stack, so its public DNS would be status.example.org A 10.30.0.240, a private address no visitor can reach (no port-forward serves a tunnel stack); set proxied: true to serve it through the tunnel, or private: true to keep it on the LAN (with publicRecord: true to publish that record on purpose) (got false)",
    ]);
  });

  it("accepts the record a private app asks for with publicRecord (the tunnel example's nas)", () => {
    const result = configFrom("cloudflare-tunnel");
    assert.ok(result.ok);
    assert.deepEqual(privateWarnings(result.warnings), []);
  });

  it("is said by the program on every deploy, as a warning pulumi preview and up show", async () => {
    const { warnings } = await capturingWarnings(() => runStack(fixtureStack("deployment-behind-metallb")));
    assert.deepEqual(privateWarnings(warnings), [
      NAS_WARNING,
      NAS_WARNING.replaceAll("apps.nas", "apps.proxmox").replace("nas.example.com", "pve.example.com"),
    ]);
  });

  it("warns elsewhere, by the app's private key, with the records it would publish", () => {
    const result = configFrom("deployment-behind-metallb");
    assert.ok(result.ok);
    assert.deepEqual(privateWarnings(result.warnings), [
      NAS_WARNING,
      NAS_WARNING.replaceAll("apps.nas", "apps.proxmox").replace("nas.example.com", "pve.example.com"),
    ]);
    const k3s = configFrom("existing-cluster");
    assert.ok(k3s.ok);
    assert.match(
      privateWarnings(k3s.warnings).join("\n"),
      /^homelab:apps\.nas\.private: its public DNS records nas\.example\.com A 192\.168\.1\.20, nas\.example\.com A 192\.168\.1\.21, nas\.example\.com A 192\.168\.1\.22 name a private address:/m,
    );
  });

  it("says nothing once the app is private, opts into the record, or is proxied through a public address", () => {
    for (const changes of [
      { "apps.nas.private": true },
      { "apps.nas.private": true, "apps.nas.publicRecord": true },
      { "apps.nas.proxied": true },
    ]) {
      // A wildcard certificate keeps the private hosts' names out of CT logs, as private apps require.
      const result = configFrom("deployment-behind-metallb", {
        ...changes,
        "apps.proxmox.private": true,
        "certManager.wildcardZones": ["example.com"],
      });
      assert.ok(result.ok, JSON.stringify(changes));
      assert.deepEqual(privateWarnings(result.warnings), [], JSON.stringify(changes));
    }
  });
});
