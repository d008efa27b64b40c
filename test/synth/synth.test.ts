import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { synthStack, type SynthResult } from "../../synth/synth.ts";
import { secretPlaceholder } from "../../synth/stack-file.ts";
import { exampleStack } from "../helpers/config.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const STACKS = readdirSync(ROOT).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []).sort();

function files(result: SynthResult): ReadonlyMap<string, string> {
  if (!result.ok) throw new Error(`synth failed:\n${result.errors.join("\n")}`);
  return result.files;
}

describe("offline synth of the example stacks", () => {
  const first = new Map<string, ReadonlyMap<string, string>>();
  before(async () => {
    for (const stack of STACKS) first.set(stack, files(await synthStack(stack, { dir: ROOT })));
  });

  it("covers the three Traefik placements and an existing cluster", () => {
    assert.ok(STACKS.length >= 4, `example stacks: ${STACKS.join(", ")}`);
  });

  for (const stack of STACKS) {
    it(`${stack}: renders every file of the synth contract`, () => {
      const out = first.get(stack)!;
      const paths = [...out.keys()];
      assert.ok(out.has("resources.json") && out.has("summary.md"));
      assert.ok(paths.some((p) => p.startsWith("manifests/")), "no manifests");
      assert.ok(paths.some((p) => p.startsWith("helm/") && p.endsWith(".values.yaml")), "no Helm values");
      const doc = JSON.parse(out.get("resources.json")!) as { resources: { type: string }[] };
      const talosNodes = doc.resources.filter((r) => r.type === "talos:machine/configurationApply:ConfigurationApply").length;
      assert.equal(paths.filter((p) => p.startsWith("talos/")).length, talosNodes);
    });

    it(`${stack}: is deterministic, byte for byte`, async () => {
      const again = files(await synthStack(stack, { dir: ROOT }));
      assert.deepEqual([...again.keys()], [...first.get(stack)!.keys()]);
      for (const [path, content] of again) assert.equal(content, first.get(stack)!.get(path), `${path} differs between two runs`);
    });

    it(`${stack}: never writes a secret config value in plain text`, () => {
      const secrets = exampleStack(stack).secretKeys.map(secretPlaceholder);
      assert.ok(secrets.length > 0);
      for (const [path, content] of first.get(stack)!) {
        for (const s of secrets) assert.ok(!content.includes(s), `${path} contains the value of a secret (${s})`);
      }
    });
  }
});
