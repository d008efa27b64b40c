/**
 * The private apps' LAN DNS lines, in each resolver's format: one line per
 * host and entry address (a daemonset entry has one address per node).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { adguardRewrites, dnsmasqConf, hostsFile, lanDnsEntries } from "../../builders/lan-dns.ts";
import { appDnsRecords } from "../../builders/dns.ts";

const apps = [
  { hosts: ["nas.example.org"], private: true },
  { hosts: ["blog.example.org"], private: false },
  { hosts: ["ha.example.org", "nas.example.org"], private: true },
];
const entries = lanDnsEntries(apps, ["10.0.0.22", "10.0.0.3", "10.0.0.22"]);

describe("LAN DNS for private apps", () => {
  it("lists each private host once, sorted, with every entry address in address order", () => {
    assert.deepEqual(entries, [
      { host: "ha.example.org", addresses: ["10.0.0.3", "10.0.0.22"] },
      { host: "nas.example.org", addresses: ["10.0.0.3", "10.0.0.22"] },
    ]);
  });

  it("writes hosts-file, dnsmasq host-record and AdGuard rewrite lines per address", () => {
    assert.equal(
      hostsFile(entries),
      "10.0.0.3 ha.example.org\n10.0.0.22 ha.example.org\n10.0.0.3 nas.example.org\n10.0.0.22 nas.example.org\n",
    );
    assert.equal(dnsmasqConf(entries.slice(0, 1)), "host-record=ha.example.org,10.0.0.3\nhost-record=ha.example.org,10.0.0.22\n");
    assert.equal(
      adguardRewrites(entries.slice(0, 1)),
      "filtering:\n  rewrites:\n    - domain: ha.example.org\n      answer: 10.0.0.3\n    - domain: ha.example.org\n      answer: 10.0.0.22\n",
    );
    assert.equal(adguardRewrites([]), "filtering:\n  rewrites: []\n");
  });
});

describe("an app's public records", () => {
  const dns = { ttl: 300, publicAddress: undefined };
  const base = { hosts: ["a.example.org"], proxied: false, private: false, publicRecord: false };

  it("a private app has none, unless publicRecord keeps a DNS-only A record with the entry address", () => {
    assert.deepEqual(appDnsRecords({ ...base, private: true }, ["10.0.0.3"], dns, "c", "t.cfargotunnel.com"), []);
    assert.deepEqual(
      appDnsRecords({ ...base, private: true, publicRecord: true }, ["10.0.0.3"], dns, "c", "t.cfargotunnel.com").map((r) => [
        r.type,
        r.content,
        r.proxied,
        r.ttl,
      ]),
      [["A", "10.0.0.3", false, 300]],
    );
  });

  it("a proxied app in tunnel mode gets one proxied CNAME per host to the tunnel, keyed by host", () => {
    assert.deepEqual(
      appDnsRecords(
        { ...base, proxied: true, hosts: ["b.example.org", "a.example.org"] },
        ["10.0.0.3"],
        dns,
        "c",
        "t.cfargotunnel.com",
      ).map((r) => [r.key, r.type, r.content, r.proxied, r.ttl]),
      [
        ["a.example.org-tunnel", "CNAME", "t.cfargotunnel.com", true, 1],
        ["b.example.org-tunnel", "CNAME", "t.cfargotunnel.com", true, 1],
      ],
    );
  });

  it("an unproxied app in tunnel mode keeps its A records to the entry", () => {
    assert.deepEqual(
      appDnsRecords(base, ["10.0.0.3"], dns, "c", "t.cfargotunnel.com").map((r) => [r.type, r.content]),
      [["A", "10.0.0.3"]],
    );
  });
});
