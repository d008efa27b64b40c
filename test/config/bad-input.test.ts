/**
 * Values the API server, Traefik or Proxmox would refuse at deploy time are
 * refused when the config is read, naming the key; names JavaScript treats
 * specially are handled like any other name.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { configFrom, fixtureRaw, itRejectsEach, type BadConfigCase } from "../helpers/config.ts";
import { parseHomelabConfig } from "../../config/validate.ts";
import { PORT_NAME_ERROR, QUANTITY_ERROR } from "../../model/formats.ts";

const CORS = "apps.api-gateway.middlewares.cors";

describe("values refused at deploy time are refused first", () => {
  itRejectsEach([
    [
      "a path with '//', which the API server refuses in an Ingress",
      { "apps.grafana.backends[0].path": "/a//b" },
      "homelab:apps.grafana.backends[0].path",
      "Kubernetes refuses an Ingress path containing '//'",
    ],
    ["a path with '/../'", { "apps.grafana.backends[0].path": "/a/../b" }, "homelab:apps.grafana.backends[0].path", "containing '/../'"],
    ["a path ending in '/.'", { "apps.grafana.backends[0].path": "/a/." }, "homelab:apps.grafana.backends[0].path", "ending in '/.'"],
    [
      "an encoded slash in a path",
      { "apps.grafana.backends[0].path": "/a%2Fb" },
      "homelab:apps.grafana.backends[0].path",
      "containing '%2F'",
    ],
    [
      "a backtick in a path, which breaks Traefik's rule",
      { "apps.grafana.backends[0].path": "/a`b" },
      "homelab:apps.grafana.backends[0].path",
      "cannot contain whitespace or '`'",
    ],
    [
      "a stripped prefix Kubernetes would refuse",
      { "apps.api-gateway.middlewares.stripPrefix": ["/v1//"] },
      "homelab:apps.api-gateway.middlewares.stripPrefix[0]",
      "containing '//'",
    ],
    [
      "a port name longer than 15 characters",
      { "apps.grafana.backends[0].port": "grafana-http-port" },
      "homelab:apps.grafana.backends[0].port",
      PORT_NAME_ERROR,
    ],
    [
      "a port name with a double '-'",
      { "apps.grafana.backends[0].port": "http--alt" },
      "homelab:apps.grafana.backends[0].port",
      PORT_NAME_ERROR,
    ],
    ["a port name without a letter", { "apps.grafana.backends[0].port": "8080" }, "homelab:apps.grafana.backends[0].port", PORT_NAME_ERROR],
    ["a port number out of range", { "apps.grafana.backends[0].port": 70000 }, "homelab:apps.grafana.backends[0].port", PORT_NAME_ERROR],
    [
      "a CPU request that is not a quantity",
      { "traefik.resources.requests.cpu": "100 millicores" },
      "homelab:traefik.resources.requests.cpu",
      QUANTITY_ERROR,
    ],
    [
      "a memory limit that is not a quantity",
      { "traefik.resources.limits.memory": "256MB" },
      "homelab:traefik.resources.limits.memory",
      QUANTITY_ERROR,
    ],
    [
      "more cores than the Proxmox provider accepts",
      { "cluster.nodes.cp1.cores": 4096 },
      "homelab:cluster.nodes.cp1.cores",
      "at most 2304 cores",
    ],
    [
      "more sockets than the Proxmox provider accepts",
      { "cluster.nodes.cp1.sockets": 32 },
      "homelab:cluster.nodes.cp1.sockets",
      "at most 16 sockets",
    ],
    [
      "more memory than the Proxmox provider accepts",
      { "cluster.nodes.cp1.memory": 300_000_000 },
      "homelab:cluster.nodes.cp1.memory",
      "at most 268435456 MB",
    ],
    [
      "a Proxmox node name with a path in it",
      { "cluster.nodes.cp1.proxmoxNode": "pve1/../pve2" },
      "homelab:cluster.nodes.cp1.proxmoxNode",
      "expected a Proxmox node name",
    ],
    [
      "a datastore id with a space",
      { "cluster.nodes.cp1.diskDatastore": "local lvm" },
      "homelab:cluster.nodes.cp1.diskDatastore",
      "expected a Proxmox storage id",
    ],
    [
      "a bridge name longer than Linux allows",
      { "cluster.nodes.cp1.bridge": "vmbr-very-long-name" },
      "homelab:cluster.nodes.cp1.bridge",
      "at most 15 characters",
    ],
    [
      "a host name that is not a DNS name",
      { "apps.grafana.hosts": ["graf_ana.example.com"] },
      "homelab:apps.grafana.hosts[0]",
      "expected a lower-case fully qualified host name",
    ],
    [
      "a CORS method with a CR LF (header injection)",
      { [`${CORS}.methods`]: ["GET\r\nX-Injected: 1"] },
      `homelab:${CORS}.methods[0]`,
      "contains the control character U+000D",
    ],
    [
      "a CORS method that is not an HTTP token",
      { [`${CORS}.methods`]: ["GET POST"] },
      `homelab:${CORS}.methods[0]`,
      "expected an HTTP method",
    ],
    ["a CORS header name with a space", { [`${CORS}.headers`]: ["X Custom"] }, `homelab:${CORS}.headers[0]`, "expected a header name"],
    [
      "two origins in one entry",
      { [`${CORS}.origins`]: ["https://app.example.com, https://evil.example"] },
      `homelab:${CORS}.origins[0]`,
      "expected an origin",
    ],
    [
      "a tab in a host name",
      { "apps.grafana.hosts": ["grafana\t.example.com"] },
      "homelab:apps.grafana.hosts[0]",
      "contains the control character U+0009",
    ],
  ] satisfies readonly BadConfigCase[]);
});

describe("names that collide with JavaScript object properties", () => {
  /** The homelab config with an app, a node, a namespace and a pool renamed (JSON-decoded, as the runtime hands it over). */
  function renamed(name: string): Record<string, unknown> {
    const raw = structuredClone(fixtureRaw("deployment-behind-metallb").raw) as Record<string, any>;
    const json = JSON.stringify(raw)
      .replace('"grafana":{', `"${name}":{`)
      .replace('"cp2":{', `"${name}":{`)
      .replace('"monitoring":{', `"${name}":{`)
      .replaceAll('"namespace":"monitoring"', `"namespace":"${name}"`);
    return JSON.parse(json) as Record<string, unknown>;
  }

  it("constructor, a valid DNS label, is an ordinary name", () => {
    const result = parseHomelabConfig(renamed("constructor"), fixtureRaw("deployment-behind-metallb").secretKeys);
    assert.ok(result.ok, result.ok ? "" : result.errors.join("\n"));
    assert.ok(result.config.apps.some((a) => a.name === "constructor"));
    assert.ok(result.config.cluster.nodes.some((n) => n.name === "constructor"));
  });

  it("__proto__ is refused by name, once per place, instead of vanishing", () => {
    const result = parseHomelabConfig(renamed("__proto__"), fixtureRaw("deployment-behind-metallb").secretKeys);
    assert.deepEqual(
      result.ok ? [] : [...result.errors].sort(),
      ["apps", "cluster.nodes", "namespaces"].map(
        (at) => `homelab:${at}.__proto__: the name __proto__ is reserved (JavaScript would drop the entry silently); rename it`,
      ),
    );
  });

  for (const name of ["toString", "hasOwnProperty", "valueOf"]) {
    it(`${name} is refused as a name that is not a DNS label, one line per place`, () => {
      const result = parseHomelabConfig(renamed(name), fixtureRaw("deployment-behind-metallb").secretKeys);
      assert.equal(result.ok, false);
      if (result.ok) return;
      assert.deepEqual(result.errors.map((e) => e.split(": ")[0]).sort(), [
        `homelab:apps.${name}`,
        `homelab:cluster.nodes.${name}`,
        `homelab:namespaces.${name}`,
      ]);
      assert.ok(
        result.errors.every((e) => e.includes(`the name ${name} is not a DNS label`)),
        result.errors.join("\n"),
      );
    });
  }

  it("a key path naming an Object.prototype property reports the value that is there, not a function", () => {
    const result = configFrom("deployment-behind-metallb", { "traefik.constructor": 1 });
    assert.equal(result.ok, false);
    assert.match(result.ok ? "" : result.errors.join("\n"), /^homelab:traefik\.constructor: unknown key/m);
  });
});
