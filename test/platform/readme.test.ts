/**
 * The documentation's figures are the program's: what each example stack
 * creates on Proxmox (VMs, vCPU, memory, disk; docs/proxmox.md) is computed
 * from its resolved config.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { footprint } from "../../builders/footprint.ts";
import { exampleStackNames } from "../../synth/stack-file.ts";
import { exampleConfig } from "../helpers/config.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

describe("docs/proxmox.md, What a stack creates", () => {
  const page = readFileSync(`${ROOT}docs/proxmox.md`, "utf8");
  const rows = new Map(
    [...page.matchAll(/^\| `examples\/Pulumi\.([a-z0-9-]+)\.yaml` \| ([^|]+) \| ([^|]*) \| ([^|]*) \| ([^|]*) \|$/gm)].map((m) => [
      m[1]!,
      m.slice(2, 6).map((c) => c.trim()),
    ]),
  );

  it("has a row for every example stack", () => {
    assert.deepEqual([...rows.keys()].sort(), exampleStackNames(ROOT));
  });

  for (const stack of exampleStackNames(ROOT)) {
    it(`states ${stack}'s VMs, vCPU, memory and disk as the resolved config adds them up`, () => {
      const f = footprint(exampleConfig(stack).cluster);
      const expected =
        f.vms === 0
          ? ["none (an existing cluster)", "–", "–", "–"]
          : [String(f.vms), String(f.vcpu), `${f.memoryMb / 1024} GiB`, `${f.diskGb} GB`];
      assert.deepEqual(rows.get(stack), expected);
    });
  }
});
