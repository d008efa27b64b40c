/**
 * The reviewer's page is pinned: each example stack's summary.md, Helm values
 * and Talos patches equal the golden files under test/golden/ (refresh them
 * with `npm run golden` and review the diff), and every Mermaid diagram the
 * project shows parses with the real Mermaid parser.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { GOLDEN_DIR, isGolden } from "../../synth/golden.ts";
import { exampleStackNames } from "../../synth/stack-file.ts";
import { mermaidBlocks, parseMermaid } from "../helpers/mermaid.ts";
import { exampleOutput } from "../helpers/example-output.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((e) => (statSync(join(dir, e)).isDirectory() ? filesUnder(join(dir, e)) : [join(dir, e)]));
}

describe("golden files (test/golden/, refreshed by npm run golden)", () => {
  const fresh = new Map<string, Map<string, string>>();
  before(async () => {
    for (const stack of exampleStackNames(ROOT)) fresh.set(stack, new Map([...(await exampleOutput(stack))].filter(([p]) => isGolden(p))));
  });

  it("exist for exactly the example stacks", () => {
    assert.deepEqual(readdirSync(join(ROOT, GOLDEN_DIR)).sort(), exampleStackNames(ROOT));
  });

  for (const stack of exampleStackNames(ROOT)) {
    it(`${stack}: summary.md, helm/ and talos/ are what synth writes now`, () => {
      const dir = join(ROOT, GOLDEN_DIR, stack);
      const files = fresh.get(stack)!;
      const pinned = filesUnder(dir)
        .map((f) => relative(dir, f))
        .sort();
      assert.deepEqual(
        pinned,
        [...files.keys()].sort(),
        `the golden files of ${stack} differ in name; run npm run golden and review the diff`,
      );
      for (const [path, content] of files) {
        assert.equal(
          readFileSync(join(dir, path), "utf8"),
          content,
          `${GOLDEN_DIR}/${stack}/${path} is stale; run npm run golden and review the diff`,
        );
      }
    });
  }
});

describe("Mermaid diagrams, checked with the real Mermaid parser", () => {
  it("rejects a broken flowchart (the parser is really checking)", async () => {
    await assert.rejects(parseMermaid('flowchart LR\n  a["unclosed] --> b'), /Parse error on line \d+:/);
  });

  it("parses the request-path diagram of every example stack's summary.md", async () => {
    for (const stack of exampleStackNames(ROOT)) {
      const blocks = mermaidBlocks(readFileSync(join(ROOT, GOLDEN_DIR, stack, "summary.md"), "utf8"));
      assert.equal(blocks.length, 1, stack);
      assert.equal((await parseMermaid(blocks[0]!)).diagramType, "flowchart-v2", stack);
    }
  });
});
