/**
 * Issue 23: stack files written carelessly or with hostile intent. Each class
 * of problem has its concrete cases (the ones the issue names) and a property
 * over the whole class: JavaScript's own names as references, YAML aliases,
 * duplicate keys and size, credentials typed into any key, values checked by
 * their consumer's rules, settings without effect.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseStackConfig } from "../../config/validate.ts";
import { maskCredentials } from "../../config/mask.ts";
import { cronScheduleProblem, httpUrlProblem, kubernetesReleaseProblem, re2Problem } from "../../model/formats.ts";
import { MAX_ALIASES, MAX_EXPANDED_VALUES, MAX_STACK_FILE_BYTES, parseStackFile, StackFileError } from "../../synth/stack-file.ts";
import { configFrom, fixtureRaw, itRejectsEach, type BadConfigCase, fixtureStack } from "../helpers/config.ts";

const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype);
const STACK_FRAME = /\n\s+at |TypeError|ReferenceError|\[object |function /;

/** Every key whose value names another entry of the config (an issuer, a pool, a namespace, a node, a secret key). */
const REFERENCE_KEYS = [
  "certManager.defaultIssuer",
  "apps.grafana.issuer",
  "traefik.pool",
  "apps.grafana.namespace",
  "cluster.bootstrapNode",
  "cluster.backup.s3.accessKeyIdSecret",
  "cluster.backup.s3.secretAccessKeySecret",
  "apps.traefik-admin.middlewares.basicAuth.usersSecret",
  "cluster.nodes.cp1.proxmoxNode",
  "tunnel.namespace",
] as const;

function assertCleanErrors(result: ReturnType<typeof configFrom>, key: string): void {
  if (result.ok) return;
  for (const line of result.errors) {
    assert.match(line, /^[a-z]+:[^\s]*: \S/, `not a key-path error line: ${line}`);
    assert.doesNotMatch(line, STACK_FRAME, line);
  }
  assert.ok(
    result.errors.some((e) => e.startsWith(`homelab:${key}`)),
    `no error names homelab:${key}:\n${result.errors.join("\n")}`,
  );
}

describe("Object.prototype names as references (own-property lookups)", () => {
  it("every reference key set to every Object.prototype name is refused naming the key, or accepted; never a crash", () => {
    for (const key of REFERENCE_KEYS) {
      for (const name of PROTO_NAMES) {
        const result = configFrom("deployment-behind-metallb", { [key]: name });
        // A name that is a valid namespace or Proxmox host (toString is one) may be accepted; a reference must resolve.
        if (result.ok) {
          assert.ok(
            ["apps.grafana.namespace", "cluster.nodes.cp1.proxmoxNode", "tunnel.namespace"].includes(key),
            `${key}: ${name} was accepted`,
          );
          continue;
        }
        assertCleanErrors(result, key);
      }
    }
  });

  it("the concrete cases: defaultIssuer valueOf and constructor, an app's issuer constructor, traefik.pool constructor", () => {
    for (const [key, name, says] of [
      ["certManager.defaultIssuer", "valueOf", "issuer valueOf is not defined"],
      ["certManager.defaultIssuer", "constructor", "issuer constructor is not defined"],
      ["apps.grafana.issuer", "constructor", "issuer constructor is not defined"],
      ["traefik.pool", "constructor", "pool constructor is not defined"],
    ] as const) {
      const result = configFrom("deployment-behind-metallb", { [key]: name });
      assert.equal(result.ok, false);
      if (!result.ok)
        assert.ok(
          result.errors.some((e) => e.startsWith(`homelab:${key}: ${says}`)),
          result.errors.join("\n"),
        );
    }
  });

  it("Object.prototype names as stack-file namespaces and keys of every namespace", () => {
    const base = fixtureStack("deployment-behind-metallb");
    fc.assert(
      fc.property(fc.constantFrom(...PROTO_NAMES), fc.constantFrom("ns", "cloudflare", "proxmoxve", "homelab"), (name, where) => {
        const key = where === "ns" ? `${name}:x` : `${where}:${name}`;
        const result = parseStackConfig({ ...base.values, [key]: "1" }, (k) => base.secretKeys.includes(k));
        const lines = result.ok ? result.warnings : result.errors;
        for (const line of lines) assert.doesNotMatch(line, STACK_FRAME, line);
        if (where !== "ns")
          assert.ok(
            !result.ok && result.errors.some((e) => e.startsWith(`${key}: `) || e.startsWith(`homelab:${name}`)),
            `${key} not refused:\n${lines.join("\n")}`,
          );
      }),
      { numRuns: 60 },
    );
  });
});

const FILE = "Pulumi.hostile.yaml";
const parse = (text: string) => parseStackFile(text, FILE);
function refusal(text: string): string {
  try {
    parse(text);
  } catch (err) {
    assert.ok(err instanceof StackFileError, String(err));
    assert.doesNotMatch(err.message, /\n/, "one line");
    return err.message;
  }
  assert.fail("expected the file to be refused");
}

describe("YAML: aliases, merge keys, duplicate keys, size", () => {
  it("an anchored middleware block merged into 200 apps is accepted, merged as the Pulumi CLI merges it (pulumi/pulumi#6480)", () => {
    const apps = Array.from({ length: 200 }, (_, i) => `    app${i}: { <<: *mw, namespace: ns${i} }\n`).join("");
    const parsed = parse(`config:\n  homelab:apps:\n    base: &mw { middlewares: { securityHeaders: true }, namespace: base }\n${apps}`);
    const value = JSON.parse(parsed.values["homelab:apps"]!) as Record<string, { middlewares: unknown; namespace: string }>;
    assert.deepEqual(value.app199, { middlewares: { securityHeaders: true }, namespace: "ns199" });
  });

  it("an alias bomb is refused in one line naming the file and line, without expanding it", () => {
    let text = "config:\n  homelab:x:\n    a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (let i = 1; i < 12; i++)
      text += `    a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(", ")}]\n`;
    const started = performance.now();
    const message = refusal(text);
    assert.ok(performance.now() - started < 2000);
    assert.match(
      message,
      new RegExp(
        `^${FILE}:\\d+:\\d+: with its aliases expanded the file stands for more than ${MAX_EXPANDED_VALUES.toLocaleString("en")} values`,
      ),
    );
  });

  it("more aliases than the limit are refused at the first one past it", () => {
    const lines = Array.from({ length: MAX_ALIASES + 1 }, () => "    - *a\n").join("");
    const message = refusal(`config:\n  homelab:x:\n    - &a 1\n${lines}`);
    assert.match(message, new RegExp(`^${FILE}:${MAX_ALIASES + 4}:7: more than ${MAX_ALIASES.toLocaleString("en")} aliases`));
  });

  it("an alias inside its own anchor, and nesting deeper than the reader goes, are refused in one line", () => {
    assert.equal(
      refusal("config:\n  homelab:x: &a [1, *a]\n"),
      `${FILE}:2:21: the alias *a lies inside the node it names (&a), a loop no config value can hold; copy the value instead`,
    );
    assert.match(
      refusal(`config:\n  homelab:x: ${"[".repeat(100_000)}${"]".repeat(100_000)}\n`),
      new RegExp(`^${FILE}:2:\\d+: not valid YAML: nested too deeply to read; fix the file at that line$`),
    );
  });

  it("a file over the size limit is refused before it is parsed", () => {
    const message = refusal(`config:\n  homelab:x: "${"a".repeat(MAX_STACK_FILE_BYTES)}"\n`);
    assert.match(message, /^Pulumi\.hostile\.yaml: 8\.0 MB is more than a stack file holds \(at most 8 MB/);
  });

  it("property: a key repeated in any mapping, at any depth, is refused naming the line of its second occurrence", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/), { minLength: 2, maxLength: 30 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 2 }),
        (keys, dupSeed, atSeed, depth) => {
          const dup = keys[dupSeed % keys.length]!;
          const at = 1 + (atSeed % keys.length);
          const order = [...keys.slice(0, at), dup, ...keys.slice(at)];
          if (order.indexOf(dup) === order.lastIndexOf(dup) - 0) return;
          const indent = "  ".repeat(depth + 2);
          const head = ["config:", "  homelab:x:", ...Array.from({ length: depth }, (_, d) => `${"  ".repeat(d + 2)}n${d}:`)];
          const body = order.map((k, i) => `${indent}${k}: ${i}`);
          const second = order.indexOf(dup, order.indexOf(dup) + 1);
          const message = refusal([...head, ...body, ""].join("\n"));
          assert.equal(
            message,
            `${FILE}:${head.length + second + 1}:${indent.length + 1}: the key ${dup} appears twice in one mapping, which YAML forbids (which one counts would depend on the reader); keep one`,
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it("parsing is linear in the number of keys: four times the keys take about four times as long, not sixteen", () => {
    const text = (n: number) => `config:\n  homelab:x:\n${Array.from({ length: n }, (_, i) => `    k${i}: ${i}\n`).join("")}`;
    // The fastest of three runs, so a busy machine does not decide the ratio.
    const time = (n: number) => {
      const t = text(n);
      return Math.min(
        ...[0, 1, 2].map(() => {
          const started = performance.now();
          parse(t);
          return performance.now() - started;
        }),
      );
    };
    time(2000);
    const small = time(5_000);
    const large = time(20_000);
    // The yaml package's own uniqueKeys check is quadratic (10k keys took 2.8 s, 40k keys 20.7 s).
    assert.ok(large < small * 8, `5k keys ${small.toFixed(0)} ms, 20k keys ${large.toFixed(0)} ms`);
  });
});

const AGE_SECRET = "AGE-SECRET-KEY-1QQQQYYQQQQ5LZQH8XZ0R4D6GGF3DRGSXYZ3FSWVAQ9Z2VDZAXG5QPQYQSZ3LLV8";
const CF_TOKEN = "Yq3vN8xK2pR7tL0mZ5wB9cD4fG6hJ1sA-eUiOoQp";
const PEM = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----";

describe("credentials typed into keys that are not secret are never echoed", () => {
  itRejectsEach([
    [
      "an age private key as the backup's public key",
      { "cluster.backup.agePublicKey": AGE_SECRET },
      "homelab:cluster.backup.agePublicKey",
      '(got "<age secret key hidden, 79 characters>")',
    ],
    ["a Cloudflare API token as the zone id", { "dns.zoneId": CF_TOKEN }, "homelab:dns.zoneId", "<token hidden, 40 characters>"],
  ] satisfies readonly BadConfigCase[]);

  /** Credential shapes: age secret keys, Cloudflare-style tokens, PEM private keys, AWS key ids. */
  const credential = fc.oneof(
    fc.stringMatching(/^[02-9AC-HJ-NP-Z]{58}$/).map((s) => `AGE-SECRET-KEY-1${s}`),
    fc
      .tuple(fc.stringMatching(/^[A-Za-z0-9_-]{37}$/), fc.constantFrom("a", "b"), fc.constantFrom("Q", "Z"), fc.constantFrom("3", "7"))
      .map(([s, l, u, d]) => `${s}${l}${u}${d}`),
    fc.stringMatching(/^[A-Za-z0-9+/]{20,60}$/).map((b) => `-----BEGIN PRIVATE KEY-----\n${b}\n-----END PRIVATE KEY-----`),
    fc.stringMatching(/^[0-9A-Z]{16}$/).map((s) => `AKIA${s}`),
  );
  const STRING_KEYS = [
    "cluster.backup.agePublicKey",
    "dns.zoneId",
    "dns.zone",
    "apps.grafana.hosts[0]",
    "certManager.defaultIssuer",
    "traefik.pool",
    "tunnel.name",
    "apps.grafana.backends[0].service",
    "cluster.talos.version",
    "apps.grafana.unknownKey",
    "cluster.backup.s3.endpoint",
    "apps.grafana.middlewares.redirect.regex",
  ];

  it("property: any credential in any string key, alone or inside other text, appears in no error or warning", () => {
    fc.assert(
      fc.property(credential, fc.constantFrom(...STRING_KEYS), fc.constantFrom("", "x ", "https://"), (secret, key, prefix) => {
        const result = configFrom("deployment-behind-metallb", { [key]: `${prefix}${secret}` });
        const lines = result.ok ? result.warnings : result.errors;
        for (const line of lines) {
          for (const part of secret.split("\n"))
            if (part.length >= 16) assert.ok(!line.includes(part), `${key} echoed a credential: ${line}`);
        }
      }),
      { numRuns: 150 },
    );
  });

  it("a credential in a provider key's value or a stack file's key is masked too", () => {
    const base = fixtureStack("deployment-behind-metallb");
    const result = parseStackConfig({ ...base.values, "proxmoxve:endpoint": CF_TOKEN, [`homelab:${AGE_SECRET}`]: "1" }, (k) =>
      base.secretKeys.includes(k),
    );
    assert.equal(result.ok, false);
    if (!result.ok) for (const line of result.errors) assert.ok(!line.includes(CF_TOKEN) && !line.includes(AGE_SECRET.slice(16)), line);
    assert.doesNotMatch(
      refusal(`config:\n  homelab:x: 1\n  homelab:x: ${PEM.split("\n").join(" ")}\n`),
      /b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ/,
    );
  });

  it("names, hosts, digests, ids and age public keys the errors print are left alone", () => {
    for (const line of [
      "homelab:cluster.talos.allowConfigContractChange: expected boolean",
      "homelab:apps.grafana.hosts[0]: grafana.example.com is outside dns.zone example.net",
      "image ghcr.io/siderolabs/talos-backup@sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
      'homelab:dns.zoneId: expected a 32-character Cloudflare zone id (got "0123456789abcdef0123456789abcdef")',
      "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
      "placeholder-for-homelab-etcdBackupSecretAccessKey",
    ])
      assert.equal(maskCredentials(line), line);
  });
});

describe("values checked by the rules of their consumer", () => {
  itRejectsEach([
    [
      "a backup schedule with hour 24 (the API server refuses the CronJob)",
      { "cluster.backup.schedule": "0 24 * * *" },
      "homelab:cluster.backup.schedule",
      "Invalid value for hour: 24",
    ],
    [
      "an S3 endpoint without a scheme",
      { "cluster.backup.s3.endpoint": "minio.lan:9000" },
      "homelab:cluster.backup.s3.endpoint",
      "not http or https",
    ],
    [
      "a Kubernetes release that does not exist",
      { "cluster.talos.kubernetesVersion": "1.63.3" },
      "homelab:cluster.talos.kubernetesVersion",
      "1.63.3 is no Kubernetes release",
    ],
    [
      "a redirect regex with a lookahead, which Go's RE2 refuses",
      { "apps.legacy-blog.middlewares.redirect.regex": "^https://(?!www)(.*)" },
      "homelab:apps.legacy-blog.middlewares.redirect.regex",
      "Go's RE2 syntax, which refuses it",
    ],
    [
      "a redirect regex with an unclosed group",
      { "apps.legacy-blog.middlewares.redirect.regex": "^https://(www" },
      "homelab:apps.legacy-blog.middlewares.redirect.regex",
      "Go's RE2 syntax, which refuses it",
    ],
    ["dns.publicAddress 0.0.0.0", { "dns.publicAddress": "0.0.0.0" }, "homelab:dns.publicAddress", "0.0.0.0 is in 0.0.0.0/8"],
    [
      "dns.publicAddress 255.255.255.255",
      { "dns.publicAddress": "255.255.255.255" },
      "homelab:dns.publicAddress",
      "255.255.255.255 is reserved",
    ],
    [
      "a node on a loopback address",
      { "cluster.nodes.cp1.ip": "127.0.0.1" },
      "homelab:cluster.nodes.cp1.ip",
      "127.0.0.1 is a loopback address",
    ],
    [
      "a route path whose Ingress name is over Kubernetes' 253 characters",
      { "apps.grafana.backends[0].path": `/${"a".repeat(300)}` },
      "homelab:apps.grafana.backends[0].path",
      "Kubernetes names are at most 253",
    ],
    [
      "a Service name with a leading digit",
      { "apps.grafana.backends[0].service": "1grafana" },
      "homelab:apps.grafana.backends[0].service",
      "expected a Service name",
    ],
  ] satisfies readonly BadConfigCase[]);

  it("a Gateway API path over 1024 characters is refused by key", () => {
    const result = configFrom("gateway-api", {});
    assert.ok(result.ok);
    const app = Object.entries(fixtureRaw("gateway-api").raw.apps as Record<string, { kind?: string }>).find(
      ([, a]) => a.kind === "httpRoute",
    )![0];
    const refused = configFrom("gateway-api", { [`apps.${app}.backends[0].path`]: `/${"p".repeat(1100)}` });
    assert.ok(
      !refused.ok &&
        refused.errors.some((e) => e.startsWith(`homelab:apps.${app}.backends[0].path: Gateway API takes a path match of at most 1024`)),
      refused.ok ? "" : refused.errors.join("\n"),
    );
  });

  it("property: a route path is refused by its key exactly when its Ingress name (app-path) would pass Kubernetes' 253 characters", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 400 }), (length) => {
        const result = configFrom("deployment-behind-metallb", { "apps.grafana.backends[0].path": `/${"a".repeat(length)}` });
        const named =
          !result.ok && result.errors.some((e) => e.startsWith("homelab:apps.grafana.backends[0].path: its Ingress would be named"));
        assert.equal(named, "grafana-".length + length > 253, `path of ${length + 1} characters`);
      }),
      { numRuns: 40 },
    );
  });

  // robfig/cron v3.0.1 parser.go (Kubernetes' CronJob schedule parser): bounds minute 0-59, hour 0-23,
  // dom 1-31, month 1-12, dow 0-6; `*`, `?`, a-b, /step, names; descriptors.
  const BOUNDS = [
    [0, 59],
    [0, 23],
    [1, 31],
    [1, 12],
    [0, 6],
  ] as const;
  const inBounds = ([lo, hi]: readonly [number, number]) =>
    fc.oneof(
      fc.constant("*"),
      fc.integer({ min: lo, max: hi }).map(String),
      fc.tuple(fc.integer({ min: lo, max: hi }), fc.integer({ min: lo, max: hi })).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
      fc.integer({ min: 1, max: hi }).map((s) => `*/${s}`),
    );
  it("property: every schedule robfig's ParseStandard accepts within these forms is accepted", () => {
    fc.assert(
      fc.property(fc.tuple(...BOUNDS.map(inBounds)), (fields) => {
        assert.equal(cronScheduleProblem(fields.join(" ")), undefined, fields.join(" "));
      }),
      { numRuns: 300 },
    );
  });
  it("property: a value past its field's bounds, a sixth field, L, W, # or weekday 7 is refused", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), fc.constantFrom("out", "L", "W", "#", "seconds"), (field, kind) => {
        const fields = ["0", "0", "1", "1", "0"];
        if (kind === "out") fields[field] = String(BOUNDS[field]![1] + 1);
        else if (kind === "seconds") fields.push("0");
        else fields[field] = kind === "#" ? "5#2" : `1${kind}`;
        assert.ok(cronScheduleProblem(fields.join(" ")), fields.join(" "));
      }),
      { numRuns: 100 },
    );
    for (const ok of ["@daily", "@midnight", "@every 1h30m", "0 0 * jan-mar mon-fri", "5/15 * * * *", "0 0 ? * ?"])
      assert.equal(cronScheduleProblem(ok), undefined, ok);
    for (const bad of ["* * * * 7", "CRON_TZ=UTC 0 0 * * *", "@reboot", "0 0 * * * *"]) assert.ok(cronScheduleProblem(bad), bad);
  });

  it("property: RE2 syntax is accepted, and a lookaround or backreference anywhere is refused", () => {
    const atom = fc.constantFrom("a", "\\.", "[a-z]", "(.*)", "\\d+", "^", "$", "(?:ab|cd)", "x{2,3}");
    fc.assert(
      fc.property(
        fc.array(atom, { minLength: 1, maxLength: 8 }),
        fc.constantFrom("(?=a)", "(?!a)", "(?<=a)", "(?<!a)", "(a)\\1", "(", "x**"),
        fc.nat(),
        (atoms, bad, at) => {
          assert.equal(re2Problem(atoms.join("")), undefined, atoms.join(""));
          const i = at % (atoms.length + 1);
          const broken = [...atoms.slice(0, i), bad, ...atoms.slice(i)].join("");
          assert.ok(re2Problem(broken), broken);
        },
      ),
      { numRuns: 150 },
    );
    // Go's named groups, both spellings (Go 1.22+), and its refusal of a name used twice.
    assert.equal(re2Problem("^/(?P<year>\\d{4})/(?<slug>[^/]+)$"), undefined);
    assert.match(re2Problem("(?P<n>a)(?P<n>b)") ?? "", /duplicate capture group name/);
  });

  it("property: host:port without a scheme is refused, http(s) URLs accepted", () => {
    fc.assert(
      fc.property(fc.domain(), fc.integer({ min: 1, max: 65535 }), (host, port) => {
        assert.ok(httpUrlProblem(`${host}:${port}`), `${host}:${port}`);
        assert.equal(httpUrlProblem(`https://${host}:${port}`), undefined);
      }),
      { numRuns: 100 },
    );
  });

  it("property: an address in any special-purpose range is refused for nodes, VIP and public address", () => {
    const special = fc
      .oneof(
        fc.tuple(fc.constant(0), fc.nat(255), fc.nat(255), fc.nat(255)),
        fc.tuple(fc.constant(127), fc.nat(255), fc.nat(255), fc.nat(255)),
        fc.tuple(fc.constant(169), fc.constant(254), fc.nat(255), fc.nat(255)),
        fc.tuple(fc.integer({ min: 224, max: 255 }), fc.nat(255), fc.nat(255), fc.nat(255)),
      )
      .map((o) => o.join("."));
    fc.assert(
      fc.property(
        special,
        fc.constantFrom("cluster.nodes.cp1.ip", "cluster.network.vip", "dns.publicAddress", "traefik.loadBalancerIP"),
        (ip, key) => {
          const result = configFrom("deployment-behind-metallb", { [key]: ip });
          assert.ok(
            !result.ok && result.errors.some((e) => e.startsWith(`homelab:${key}: ${ip} is `)),
            result.ok ? `${key} ${ip} accepted` : result.errors.join("\n"),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it("property: Kubernetes releases outside the minors the supported Talos releases run are refused", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 99 }), fc.nat(20), (minor, patch) => {
        const problem = kubernetesReleaseProblem(`1.${minor}.${patch}`);
        assert.equal(problem === undefined, minor >= 29 && minor <= 37, `1.${minor}.${patch}: ${problem}`);
      }),
    );
  });
});

describe("settings without effect, and namespaces, reported by key", () => {
  itRejectsEach([
    [
      "firewall ingressSources with the deployment placement",
      { "cluster.firewall.ingressSources": ["0.0.0.0/0"] },
      "homelab:cluster.firewall.ingressSources",
      "placement deployment: Traefik answers on a MetalLB address",
    ],
    [
      "a tunnel in kube-system (relabelled restricted)",
      { "tunnel.enabled": true, "tunnel.namespace": "kube-system", "dns.publicAddress": undefined, "traefik.trustCloudflare": undefined },
      "homelab:tunnel.namespace",
      "Kubernetes creates namespace kube-system itself",
    ],
    [
      "an app namespace that is Traefik's",
      { "namespaces.traefik": { podSecurity: "baseline" } },
      "homelab:namespaces.traefik",
      "namespace traefik is already Traefik's namespace (traefik)",
    ],
    [
      "the tunnel in an app namespace",
      { "tunnel.enabled": true, "tunnel.namespace": "media", "dns.publicAddress": undefined, "traefik.trustCloudflare": undefined },
      "homelab:namespaces.media",
      "namespace media is already cloudflared's namespace (tunnel.namespace)",
    ],
  ] satisfies readonly BadConfigCase[]);

  it("host firewall, host-network placement: unproxied apps whose clients ingressSources does not admit are warned about", () => {
    const admitted = configFrom("daemonset-edge-site", {});
    assert.ok(
      admitted.ok && !admitted.warnings.some((w) => w.startsWith("homelab:cluster.firewall.ingressSources")),
      admitted.ok ? admitted.warnings.join("\n") : admitted.errors.join("\n"),
    );
    const result = configFrom("daemonset-edge-site", { "cluster.firewall.ingressSources": ["203.0.113.0/24"] });
    assert.ok(result.ok, result.ok ? "" : result.errors.join("\n"));
    assert.ok(
      result.warnings.some((w) =>
        w.startsWith(
          "homelab:cluster.firewall.ingressSources: placement daemonset with the host firewall: the unproxied apps git, grafana resolve to the nodes' addresses, whose clients come from private networks",
        ),
      ),
      result.warnings.join("\n"),
    );
  });

  it("keys in another project's namespace: refused when they name a homelab section, warned otherwise", () => {
    const base = fixtureStack("deployment-behind-metallb");
    const check = (extra: Record<string, string>) => parseStackConfig({ ...base.values, ...extra }, (k) => base.secretKeys.includes(k));
    const apps = check({ "website:apps": "{}" });
    assert.ok(
      !apps.ok &&
        apps.errors.includes(
          "website:apps: unknown namespace website, so nothing reads this key, while apps is a section of this project's config; set it as homelab:apps",
        ),
      apps.ok ? "" : apps.errors.join("\n"),
    );
    const replicas = check({ "traefik:replicas": "3" });
    assert.ok(
      !replicas.ok &&
        replicas.errors.includes(
          "traefik:replicas: unknown namespace traefik, so nothing reads this key, while traefik is a section of this project's config; set it as homelab:traefik (a mapping holding replicas)",
        ),
    );
    const other = check({ "website:colour": "blue" });
    assert.ok(
      other.ok &&
        other.warnings.includes(
          "website:colour: no provider this stack uses and not this project reads namespace website, so the key has no effect; remove it, or move it to homelab: if it was meant for this project",
        ),
    );
  });
});
