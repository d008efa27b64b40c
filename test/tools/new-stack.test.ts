/**
 * A new operator's own stack: `npm run new-stack` and the `pulumi new` template
 * both produce a one-node stack that synthesizes and passes the policy pack.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { synthStack } from "../helpers/runtime-warnings.ts";
import { secretPlaceholder } from "../../synth/stack-file.ts";
import { newStackFile } from "../../tools/new-stack.ts";
import { TYPES } from "../../contract/tokens.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const NEW_STACK = join(ROOT, "scripts", "new-stack.ts");
const SYNTH = join(ROOT, "scripts", "synth.ts");

const FLAGS = [
  "--proxmox-endpoint",
  "https://pve.lan:8006/",
  "--proxmox-node",
  "pve",
  "--node-ip",
  "192.168.1.50",
  "--zone",
  "example.com",
  "--email",
  "admin@example.com",
];

function newStack(args: readonly string[], input?: string) {
  const dir = mkdtempSync(join(tmpdir(), "homelab-new-stack-"));
  const run = spawnSync(process.execPath, [NEW_STACK, ...args, "--dir", dir], { encoding: "utf8", input: input ?? "" });
  return { dir, run };
}

async function synthOk(stack: string, dir: string) {
  const result = await synthStack(stack, { dir });
  if (!result.ok) assert.fail(`synth ${stack} failed:\n${result.errors.join("\n")}`);
  return result;
}

describe("npm run new-stack", () => {
  it("writes a commented Pulumi.<name>.yaml without placeholders that synthesizes and passes every policy", async () => {
    const { dir, run } = newStack(["mine", ...FLAGS, "--no-input"]);
    assert.equal(run.status, 0, run.stderr);
    const text = readFileSync(join(dir, "Pulumi.mine.yaml"), "utf8");
    assert.match(text, /^# It creates 1 VM: 2 vCPU, 4096 MB memory, a 32 GB disk on local-lvm\.$/m);
    assert.match(text, /^# {3}pulumi config set --secret cloudflare:apiToken /m);
    const result = await synthOk("mine", dir);
    const summary = result.files.get("summary.md")!;
    assert.match(summary, /^Creates 1 VM: 2 vCPU, 4 GiB memory \(4096 MB\), 32 GB disk\.$/m);
    assert.match(summary, /^\| mine-cp1 \| controlplane \| 192\.168\.1\.50 \| pve \| 1001 \|$/m);
    // No public address given: the app stays on the LAN, and no public record carries the node's private address.
    assert.match(summary, /^\| whoami\.example\.com \| \/ \| {2}\| no \| default\/whoami:80 \| Ingress \|/m);
    assert.match(summary, /^\| whoami\.example\.com \| 192\.168\.1\.50 \|$/m);
    assert.equal(result.doc.resources.filter((r) => r.type === TYPES.dnsRecord).length, 0);
    assert.doesNotMatch(summary, /private address/);
    assert.match(summary, /^All \d+ rules pass\.$/m);
    // A new Talos stack has neither token yet: synth names both, as the file's comments do.
    assert.deepEqual(result.offlineWarnings, [
      "cloudflare:apiToken is not set for this stack yet; synth used a placeholder. Before pulumi preview: pulumi config set --secret cloudflare:apiToken <token with Zone:DNS:Edit, Zone:Zone:Read and Zone:Zone Settings:Read>",
      "proxmoxve:apiToken is not set for this stack yet; synth used a placeholder. Before pulumi preview: pulumi config set --secret proxmoxve:apiToken 'user@pve!pulumi=<uuid>'",
    ]);
    assert.match(text, /^# {3}pulumi config set --secret proxmoxve:apiToken /m);
    const config = (parse(text) as { config: Record<string, any> }).config;
    // Only comments may show what to type; no value is a stand-in to replace.
    assert.doesNotMatch(JSON.stringify(config), /"secure"|placeholder|[<>]|TODO|CHANGE/i);
    assert.deepEqual(Object.keys(config["homelab:cluster"].nodes), ["mine-cp1"]);
    assert.equal(config["homelab:traefik"].placement, "daemonset");
    assert.equal("homelab:metallb" in config, false);
  });

  it("asks for what no flag answered, line by line, an empty answer taking the default", async () => {
    // endpoint, node, ip, subnet (default), gateway (default), vm id, zone, email, app, host (default), service (default), port, public address
    const answers = [
      "https://pve1.home.arpa:8006/",
      "pve1",
      "10.1.2.30",
      "",
      "",
      "2001",
      "home.example.org",
      "ops@example.org",
      "wiki",
      "",
      "",
      "3000",
      "203.0.113.7",
    ];
    const { dir, run } = newStack(["home"], `${answers.join("\n")}\n`);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /Node subnet \(CIDR\) \[10\.1\.2\.0\/24\]: Default gateway \[10\.1\.2\.1\]: /);
    const config = (parse(readFileSync(join(dir, "Pulumi.home.yaml"), "utf8")) as { config: Record<string, any> }).config;
    assert.deepEqual(config["homelab:cluster"].network, { subnet: "10.1.2.0/24", gateway: "10.1.2.1" });
    assert.deepEqual(config["homelab:cluster"].nodes["home-cp1"], {
      role: "controlplane",
      ip: "10.1.2.30",
      vmId: 2001,
      proxmoxNode: "pve1",
      cores: 2,
      memory: 4096,
      diskSize: 32,
    });
    assert.deepEqual(config["homelab:dns"], { zone: "home.example.org", proxied: true, publicAddress: "203.0.113.7" });
    assert.deepEqual(config["homelab:apps"], { wiki: { hosts: ["wiki.home.example.org"], backends: [{ service: "wiki", port: 3000 }] } });
    const result = await synthOk("home", dir);
    assert.match(result.files.get("summary.md")!, /^\| wiki\.home\.example\.org \| \/ \| 203\.0\.113\.7 \| yes \|/m);
  });

  it("exits once the file is written on a terminal, while the terminal's input stays open", async () => {
    const dir = mkdtempSync(join(tmpdir(), "homelab-new-stack-tty-"));
    const answers = [
      "--subnet",
      "192.168.1.0/24",
      "--gateway",
      "192.168.1.1",
      "--vm-id",
      "1001",
      "--app",
      "whoami",
      "--host",
      "whoami.example.com",
      "--service",
      "whoami",
      "--port",
      "80",
      "--public-address",
      "''",
    ];
    // util-linux script(1) runs it on a pseudo-terminal; its stdin (ours) is never closed.
    const child = spawn(
      "script",
      ["-qec", [process.execPath, NEW_STACK, "mine", ...FLAGS, ...answers, "--dir", dir].join(" "), "/dev/null"],
      { stdio: ["pipe", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    const exit = await new Promise<number | string | null>((resolve) => {
      const hung = setTimeout(() => {
        child.kill();
        resolve("still running after 60 s");
      }, 60_000);
      child.on("exit", (code) => {
        clearTimeout(hung);
        resolve(code);
      });
    });
    assert.equal(exit, 0, output);
    assert.match(output, /wrote .*Pulumi\.mine\.yaml\./);
    assert.match(output, /More nodes: copy cluster\.nodes\.mine-cp1 in the file under a new name with its own ip, vmId and proxmoxNode/);
    assert.ok(existsSync(join(dir, "Pulumi.mine.yaml")));
  });

  it("checks the answers as synth will, provider keys too: an endpoint synth refuses is refused before anything is written", () => {
    const { dir, run } = newStack(["mine", ...FLAGS.map((f) => (f === "https://pve.lan:8006/" ? "pve1.home.arpa" : f)), "--no-input"]);
    assert.equal(run.status, 2);
    assert.match(
      run.stderr,
      /nothing written\):\n {2}- proxmoxve:endpoint: expected the Proxmox VE API's https URL, e\.g\. https:\/\/pve1\.lan:8006\/ \(got "pve1\.home\.arpa"\)/,
    );
    assert.equal(existsSync(join(dir, "Pulumi.mine.yaml")), false);
  });

  it("answers --help with its usage and every question's flag, and writes nothing", () => {
    const { dir, run } = newStack(["--help"]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^usage: npm run new-stack -- <name> /);
    assert.match(run.stdout, /^ {2}--public-address +Public \(WAN\) IPv4/m);
    assert.deepEqual(readdirSync(dir), []);
  });

  it("names every unanswered question and writes nothing", () => {
    const { dir, run } = newStack(["mine", "--zone", "example.com", "--no-input"]);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /^new-stack: no answer for:\n {2}--proxmox-endpoint \(Proxmox VE API URL/);
    assert.match(run.stderr, /--node-ip .*\n {2}--email /s);
    assert.equal(existsSync(join(dir, "Pulumi.mine.yaml")), false);
  });

  it("refuses answers the config rules reject, by key path, and writes nothing", () => {
    const { dir, run } = newStack(["mine", ...FLAGS, "--subnet", "10.0.0.0/24", "--no-input"]);
    assert.equal(run.status, 2);
    assert.match(
      run.stderr,
      /nothing written\):\n {2}- homelab:cluster\.nodes\.mine-cp1\.ip: node address 192\.168\.1\.50 is outside cluster\.network\.subnet 10\.0\.0\.0\/24/,
    );
    assert.equal(existsSync(join(dir, "Pulumi.mine.yaml")), false);
  });

  it("never overwrites a stack file, and rejects a stack name that is not a DNS label", () => {
    const { dir } = newStack(["mine", ...FLAGS, "--no-input"]);
    const before = readFileSync(join(dir, "Pulumi.mine.yaml"), "utf8");
    const again = spawnSync(process.execPath, [NEW_STACK, "mine", ...FLAGS, "--no-input", "--dir", dir], { encoding: "utf8" });
    assert.equal(again.status, 2);
    assert.match(again.stderr, /Pulumi\.mine\.yaml exists; pick another name or edit that file/);
    assert.equal(readFileSync(join(dir, "Pulumi.mine.yaml"), "utf8"), before);
    const bad = spawnSync(process.execPath, [NEW_STACK, "My_Stack", ...FLAGS, "--no-input", "--dir", dir], { encoding: "utf8" });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /stack name My_Stack must be a DNS label/);
  });

  it("is what examples/Pulumi.single.yaml holds (the minimal example is the generator's output)", () => {
    const expected = newStackFile({
      stack: "single",
      proxmoxEndpoint: "https://pve.lan:8006/",
      proxmoxNode: "pve",
      nodeIp: "192.168.1.50",
      subnet: "192.168.1.0/24",
      gateway: "192.168.1.1",
      vmId: 1001,
      zone: "example.com",
      email: "admin@example.com",
      app: "whoami",
      host: "whoami.example.com",
      service: "whoami",
      port: 80,
      publicAddress: "",
    });
    assert.equal(readFileSync(join(ROOT, "examples", "Pulumi.single.yaml"), "utf8"), expected);
  });
});

describe("npm run synth finds stacks", () => {
  it("beside Pulumi.yaml first, then in examples/, and names the fix for a missing one", () => {
    const dir = mkdtempSync(join(tmpdir(), "homelab-find-"));
    const missing = spawnSync(process.execPath, [SYNTH, "--stack", "nope"], { cwd: dir, encoding: "utf8" });
    assert.equal(missing.status, 1);
    assert.equal(
      missing.stderr,
      "synth nope: no Pulumi.nope.yaml in this directory or its examples/ (no stacks there); create it with `npm run new-stack -- nope`\n",
    );
    // A stack in examples/ is found, and one beside Pulumi.yaml of the same name shadows it.
    mkdirSync(join(dir, "examples"));
    writeFileSync(join(dir, "examples", "Pulumi.bad.yaml"), readFileSync(join(ROOT, "examples", "Pulumi.single.yaml"), "utf8"));
    const example = spawnSync(process.execPath, [SYNTH, "--stack", "bad", "--out", join(dir, "out")], { cwd: dir, encoding: "utf8" });
    assert.equal(example.status, 0, example.stderr);
    assert.match(example.stdout, /^synth bad: \d+ resources, \d+ Kubernetes objects \(validated\) → .*\/out\/bad\/$/m);
    writeFileSync(join(dir, "Pulumi.bad.yaml"), "config:\n  homelab:dns: [unclosed\n");
    const bad = spawnSync(process.execPath, [SYNTH, "--stack", "bad"], { cwd: dir, encoding: "utf8" });
    assert.equal(bad.status, 1);
    assert.equal(
      bad.stderr,
      "synth bad: ./Pulumi.bad.yaml:3:1: not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]; fix the file at that line\n",
    );
  });
});

describe("the pulumi new template (Pulumi.yaml template:)", () => {
  const project = parse(readFileSync(join(ROOT, "Pulumi.yaml"), "utf8")) as {
    template: { description: string; config: Record<string, { description: string; default?: string; secret?: boolean }> };
  };

  it("describes every value it prompts for and asks for both API tokens as secrets without a default", () => {
    for (const [key, entry] of Object.entries(project.template.config))
      assert.ok(entry.description.length > 20, `${key} needs a description`);
    const secrets = Object.entries(project.template.config)
      .filter(([, e]) => e.secret)
      .map(([k, e]) => [k, e.default]);
    assert.deepEqual(secrets, [
      ["proxmoxve:apiToken", undefined],
      ["cloudflare:apiToken", undefined],
    ]);
  });

  it("with its defaults (and the endpoint answered) is a one-node stack that synthesizes and passes every policy", async () => {
    // pulumi new stores each answer as a string; structured keys arrive as JSON, as `pulumi config set` would store them.
    const values: Record<string, string> = { "proxmoxve:endpoint": "https://pve.lan:8006/" };
    const secretKeys: string[] = [];
    for (const [key, entry] of Object.entries(project.template.config)) {
      if (entry.secret) {
        values[key] = secretPlaceholder(key);
        secretKeys.push(key);
      } else if (entry.default !== undefined) values[key] = entry.default;
    }
    const result = await synthStack("homelab", { config: { values, secretKeys } });
    if (!result.ok) assert.fail(result.errors.join("\n"));
    const summary = result.files.get("summary.md")!;
    assert.match(summary, /^Creates 1 VM: 2 vCPU, 4 GiB memory \(4096 MB\), 32 GB disk\.$/m);
    assert.match(summary, /^All \d+ rules pass\.$/m);
    assert.deepEqual(result.offlineWarnings, []);
  });
});
