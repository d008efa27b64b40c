/**
 * First run on an old Node: every npm command stops before loading any .ts
 * file (which Node 20 rejects with ERR_UNKNOWN_FILE_EXTENSION, naming neither
 * the version nor the fix) and says what to do.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = new URL("../..", import.meta.url).pathname;
const CHECK = "scripts/require-node-24.cjs";

/** Runs the check as if this Node were `version` (the check is plain CommonJS, so it runs the same on the old Node itself). */
function checkAs(version: string) {
  const pretend = `Object.defineProperty(process.versions, "node", { value: ${JSON.stringify(version)} }); require("./${CHECK}"); console.log("passed");`;
  return spawnSync(process.execPath, ["-e", pretend], { cwd: ROOT, encoding: "utf8" });
}

describe("the Node version check", () => {
  it("stops Node 20 with the version it found and the fix", () => {
    const run = checkAs("20.20.2");
    assert.equal(run.status, 1);
    assert.equal(run.stdout, "");
    assert.match(run.stderr, /^homelab needs Node\.js 24 or newer; this is Node\.js 20\.20\.2 \(/);
    assert.match(run.stderr, /Fix: install Node\.js 24 and select it, e\.g\. `nvm install && nvm use` \(reads \.nvmrc\)/);
  });

  it("lets Node 24 and later through without a word", () => {
    for (const version of ["24.0.0", "24.21.0", "26.1.0"]) {
      const run = checkAs(version);
      assert.deepEqual([run.status, run.stdout, run.stderr], [0, "passed\n", ""], version);
    }
  });

  it("runs before npm ci installs the project and before every npm script", () => {
    const { scripts } = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as { scripts: Record<string, string> };
    assert.equal(scripts.preinstall, `node ${CHECK}`);
    for (const [name, command] of Object.entries(scripts)) {
      // `npm test` begins with `npm run typecheck`, which checks.
      const delegated = /^npm run (\S+)/.exec(command)?.[1];
      const checked =
        command.startsWith(`node -r ./${CHECK} `) ||
        command.startsWith(`node ${CHECK}`) ||
        (delegated !== undefined && scripts[delegated]?.includes(CHECK) === true);
      assert.ok(checked, `npm run ${name} does not check the Node version first: ${command}`);
    }
  });

  it("makes npm ci refuse an old Node before it downloads anything (.npmrc engine-strict), naming the required version", () => {
    assert.equal(readFileSync(`${ROOT}.npmrc`, "utf8"), "engine-strict=true\n");
    // This Node stands in for an old one: the copy of the project asks for a Node no one has.
    const dir = mkdtempSync(join(tmpdir(), "homelab-engines-"));
    const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")) as { engines: { node: string } };
    assert.equal(pkg.engines.node, ">=24");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ ...pkg, engines: { node: ">=99" } }));
    for (const f of [".npmrc", "package-lock.json"]) copyFileSync(`${ROOT}${f}`, join(dir, f));
    const started = Date.now();
    const npm = spawnSync("npm", ["ci", "--offline", "--no-audit", "--no-fund"], { cwd: dir, encoding: "utf8" });
    assert.equal(npm.status, 1);
    assert.match(npm.stderr, /^npm error code EBADENGINE$/m);
    assert.match(npm.stderr, /^npm error notsup Required: \{"node":">=99"\}$/m);
    assert.equal(existsSync(join(dir, "node_modules")), false);
    assert.ok(Date.now() - started < 30_000);
  });
});
