import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { appKey, generateApp, generateApps, withGeneratedApps } from "../../bench/generate.ts";
import { homelabEntries, parseHomelabConfig } from "../../config/validate.ts";
import type { StackConfig } from "../../synth/recorder.ts";
import { exampleStack } from "../helpers/config.ts";

function parse(config: StackConfig) {
  const { raw, secretKeys } = homelabEntries(config.values, (k) => config.secretKeys.includes(k));
  return parseHomelabConfig(raw, secretKeys);
}

describe("benchmark app generator", () => {
  for (const count of [10, 100, 500]) {
    it(`GIVEN the example cluster WHEN ${count} apps are generated THEN the stack config is valid with exactly those apps`, () => {
      const result = parse(withGeneratedApps(exampleStack("homelab"), count));
      assert.ok(result.ok, result.ok ? "" : result.errors.join("\n"));
      assert.equal(result.config.apps.length, count);
      assert.equal(result.config.apps[0]!.name, "app-001");
      assert.equal(result.config.apps[count - 1]!.name, appKey(count));
    });
  }

  it("keeps the example stack's cluster, platform and secrets, replacing only its apps", () => {
    const base = exampleStack("homelab");
    const generated = withGeneratedApps(base, 10);
    const { "homelab:apps": apps, ...rest } = generated.values;
    const { "homelab:apps": _, ...baseRest } = base.values;
    assert.deepEqual(rest, baseRest);
    assert.deepEqual(generated.secretKeys, base.secretKeys);
    assert.deepEqual(
      Object.keys(JSON.parse(apps!) as object),
      Array.from({ length: 10 }, (_, i) => appKey(i + 1)),
    );
  });

  it("makes each app depend only on its key, so a larger fleet only adds apps", () => {
    const small = generateApps(10, "example.com");
    const large = generateApps(500, "example.com");
    for (const [name, app] of Object.entries(small)) assert.deepEqual(large[name], app);
    assert.deepEqual(generateApp(7, "example.com"), small["app-007"]);
  });

  it("mixes every kind and middleware of the example stack, one of each per ten apps", () => {
    const apps = Object.values(generateApps(10, "example.com"));
    const kinds = apps.map((a) => a.kind ?? "ingress").sort();
    assert.deepEqual(kinds, [
      "external",
      "external",
      "ingress",
      "ingress",
      "ingress",
      "ingress",
      "ingress",
      "ingressRoute",
      "ingressRoute",
      "ingressRoute",
    ]);
    const middlewares = new Set(apps.flatMap((a) => Object.keys(a.middlewares ?? {})));
    assert.deepEqual([...middlewares].sort(), [
      "basicAuth",
      "cors",
      "ipAllowList",
      "rateLimit",
      "redirect",
      "securityHeaders",
      "stripPrefix",
    ]);
    assert.ok(
      apps.some((a) => a.sticky),
      "no sticky-session app",
    );
    assert.ok(
      apps.some((a) => a.issuer === "letsencrypt-staging"),
      "no app with its own issuer",
    );
    assert.ok(
      apps.some((a) => a.proxied === false),
      "no unproxied app",
    );
  });

  it("gives every app its own hosts inside the zone", () => {
    const hosts = Object.values(generateApps(500, "example.com")).flatMap((a) => a.hosts);
    assert.equal(new Set(hosts).size, hosts.length);
    assert.ok(hosts.every((h) => h.endsWith(".example.com")));
    assert.deepEqual(generateApps(10, "example.com")["app-010"]!.hosts, ["app-010.example.com", "www-app-010.example.com"]);
  });

  it("refuses a base stack without a DNS zone", () => {
    assert.throws(() => withGeneratedApps({ values: {}, secretKeys: [] }, 10), /no homelab:dns.zone/);
  });
});
