/**
 * The tunnel entry, private apps, wildcard certificates and Cloudflare's edge
 * rules, from the config's side: what the tunnel example stack resolves to,
 * and every bad input refused (or warned) with the key and the fix.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { configFrom, itRejectsEach, validConfig, type BadConfigCase } from "../helpers/config.ts";

describe("the tunnel example stack's config", () => {
  const c = validConfig("cloudflare-tunnel");

  it("enables the tunnel with its defaults and no public address, trusting forwarded headers from the pod network (Talos default) on its own entry point", () => {
    assert.deepEqual(c.tunnel, {
      name: "cgnat-homelab",
      replicas: 2,
      image: "cloudflare/cloudflared:2026.5.0",
      namespace: "cloudflared",
      forwarders: ["10.244.0.0/16"],
    });
    assert.equal(c.dns.publicAddress, undefined);
  });

  it("stops trusting Cloudflare's ranges by default: requests come from cloudflared", () => {
    assert.equal(c.traefik.trustCloudflare, false);
  });

  it("keeps private apps unproxied and marks the apps the wildcard serves", () => {
    const app = (name: string) => c.apps.find((a) => a.name === name)!;
    assert.deepEqual(
      [app("home-assistant").private, app("home-assistant").proxied, app("home-assistant").publicRecord],
      [true, false, false],
    );
    assert.deepEqual([app("nas").private, app("nas").publicRecord], [true, true]);
    assert.equal(app("blog").proxied, true);
    assert.deepEqual(
      c.apps.map((a) => [a.name, a.wildcardZone]),
      [
        ["blog", "example.org"],
        ["home-assistant", "example.org"],
        ["nas", "example.org"],
        ["status", "example.org"],
      ],
    );
  });

  it("keeps an app's own certificate when a host is deeper than the wildcard or it names another issuer", () => {
    // A private host the wildcard cannot cover needs the operator's consent to its name in CT logs.
    const deeper = validConfig("cloudflare-tunnel", {
      "apps.status.hosts": ["status.example.org", "status.lab.example.org"],
      "apps.status.proxied": false,
      "apps.status.private": true,
      "apps.status.publicCertificate": true,
    });
    assert.equal(deeper.apps.find((a) => a.name === "status")!.wildcardZone, undefined);
    const staging = validConfig("cloudflare-tunnel", { "apps.status.issuer": "letsencrypt-staging" });
    assert.equal(staging.apps.find((a) => a.name === "status")!.wildcardZone, undefined);
  });

  it("accepts a cloudflared image pinned by tag from a registry with a port, or by digest", () => {
    assert.equal(
      validConfig("cloudflare-tunnel", { "tunnel.image": "registry.lan:5000/cloudflared:2026.5.0" }).tunnel!.image,
      "registry.lan:5000/cloudflared:2026.5.0",
    );
    assert.ok(configFrom("cloudflare-tunnel", { "tunnel.image": `cloudflare/cloudflared@sha256:${"a".repeat(64)}` }).ok);
  });

  it("accepts the tunnel with every Traefik placement", () => {
    assert.equal(
      validConfig("cloudflare-tunnel", { "traefik.placement": "daemonset", "traefik.replicas": undefined, metallb: undefined }).traefik
        .placement,
      "daemonset",
    );
    assert.equal(
      validConfig("cloudflare-tunnel", { "traefik.placement": "controlplane", "traefik.replicas": undefined, metallb: undefined }).traefik
        .placement,
      "controlplane",
    );
  });

  it("warns, without refusing, about a wildcard zone no app host sits directly below", () => {
    const result = configFrom("cloudflare-tunnel", { "certManager.wildcardZones": ["example.org", "lab.example.org"] });
    assert.ok(result.ok);
    assert.ok(
      result.warnings.some(
        (w) => w.startsWith("homelab:certManager.wildcardZones[1]: ") && w.includes("the *.lab.example.org certificate serves nothing"),
      ),
      result.warnings.join("\n"),
    );
  });

  it("warns about nothing else", () => {
    const result = configFrom("cloudflare-tunnel");
    assert.ok(result.ok);
    assert.deepEqual(result.warnings, []);
  });
});

describe("refused tunnel, private-app, wildcard and edge configs", () => {
  const cases: readonly BadConfigCase[] = [
    [
      "a tunnel with a public address set",
      { "dns.publicAddress": "198.51.100.7" },
      "homelab:dns.publicAddress",
      "remove dns.publicAddress (and the router's port-forward)",
    ],
    ["a tunnel without a Cloudflare zone", { dns: undefined }, "homelab:dns", "required"],
    [
      "a tunnel trusting Cloudflare's ranges",
      { "traefik.trustCloudflare": true },
      "homelab:traefik.trustCloudflare",
      "Traefik trusts forwarded headers from cloudflared only",
    ],
    [
      "a tunnelled app allowing only Cloudflare's ranges",
      { "apps.status.middlewares": { ipAllowList: { cloudflare: true } } },
      "homelab:apps.status.middlewares.ipAllowList.cloudflare",
      "arrive from cloudflared",
    ],
    ["a single cloudflared", { "tunnel.replicas": 1 }, "homelab:tunnel.replicas", "at least 2"],
    ["an unpinned cloudflared image", { "tunnel.image": "cloudflare/cloudflared:latest" }, "homelab:tunnel.image", "pin a release tag"],
    [
      "a cloudflared image from a registry with a port but no tag",
      { "tunnel.image": "registry.lan:5000/cloudflared" },
      "homelab:tunnel.image",
      "pin the cloudflared image",
    ],
    [
      "a cloudflared image without a tag",
      { "tunnel.image": "cloudflare/cloudflared" },
      "homelab:tunnel.image",
      "pin the cloudflared image",
    ],
    [
      "a private app that is proxied",
      { "apps.home-assistant.proxied": true },
      "homelab:apps.home-assistant.proxied",
      "a private app is LAN only",
    ],
    ["a public record on a public app", { "apps.blog.publicRecord": true }, "homelab:apps.blog.publicRecord", "only a private app"],
    [
      "a proxied host two labels below the zone",
      { "apps.status.hosts": ["status.lab.example.org"] },
      "homelab:apps.status.hosts[0]",
      "Universal SSL covers example.org and *.example.org only",
    ],
    [
      "a wildcard outside the zone",
      { "certManager.wildcardZones": ["example.net"] },
      "homelab:certManager.wildcardZones[0]",
      "not dns.zone example.org",
    ],
    [
      "a wildcard listed twice",
      { "certManager.wildcardZones": ["example.org", "example.org"] },
      "homelab:certManager.wildcardZones[1]",
      "listed twice",
    ],
    [
      "a wildcard its issuer cannot solve",
      {
        "certManager.wildcardZones": ["lab.example.org"],
        "certManager.issuers": {
          "letsencrypt-production": { environment: "production", dnsZones: ["example.org"] },
          "letsencrypt-staging": { environment: "staging", dnsZones: ["home.example.org"] },
        },
        "certManager.defaultIssuer": "letsencrypt-staging",
      },
      "homelab:certManager.wildcardZones[0]",
      "add lab.example.org to certManager.issuers.letsencrypt-staging.dnsZones",
    ],
  ];
  itRejectsEach(cases, "cloudflare-tunnel");

  it("accepts a proxied host two labels down once the zone has an advanced certificate", () => {
    assert.ok(configFrom("cloudflare-tunnel", { "apps.status.hosts": ["status.lab.example.org"], "dns.advancedCertificate": true }).ok);
  });

  it("accepts an unproxied host two labels down (Cloudflare's edge never serves it)", () => {
    // Private: in a tunnel stack an unproxied public app would publish the entry's LAN address (test/config/private-address-records.test.ts).
    // Its certificate is its own (the wildcard covers one label), so it publishes the name: publicCertificate says so.
    assert.ok(
      configFrom("cloudflare-tunnel", {
        "apps.status.hosts": ["status.lab.example.org"],
        "apps.status.proxied": false,
        "apps.status.private": true,
        "apps.status.publicCertificate": true,
      }).ok,
    );
  });
});

describe("refused tunnel configs on an existing cluster", () => {
  itRejectsEach(
    [
      // Only the deployment placement's tunnel entry point trusts the pod network (a host-network Traefik trusts no forwarder).
      [
        "a tunnel entry point without the pod network",
        {
          tunnel: { enabled: true },
          "dns.publicAddress": undefined,
          "cluster.network.podSubnet": undefined,
          apps: {},
          "traefik.placement": "deployment",
          "metallb.pools": { lan: { addresses: ["192.168.1.240/29"] } },
        },
        "homelab:cluster.network.podSubnet",
        "Traefik's tunnel entry point trusts X-Forwarded-* from cloudflared",
      ],
      // Every placement's entry address is required already (pool, nodes or VIP), so a private app always has one to resolve to.
      [
        "a private app with no entry address to resolve to",
        { "apps.notes.private": true, "cluster.nodes": {} },
        "homelab:cluster.nodes",
        "placement daemonset points DNS at every node's address",
      ],
    ],
    "existing-cluster",
  );
});
