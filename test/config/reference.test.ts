/**
 * docs/config.md is the operator's reference: every key it lists says what it
 * is for and what happens when it is left out, both taken from the schema.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { referenceRows } from "../../config/docs.ts";

/** Map entries (`<name>`) and list items (`[]`) are written by the operator or not at all: they have no default of their own. */
const isEntry = (key: string) => /(<name>|\[\])( \(provider \w+\))?$/.test(key);

describe("the config reference (docs/config.md)", () => {
  const rows = referenceRows();

  it("lists the keys of every section", () => {
    assert.ok(rows.length > 100, `${rows.length} rows`);
    assert.ok(rows.some((r) => r.key === "apps.<name>.middlewares.cors.maxAge"));
  });

  it("describes every key", () => {
    const undescribed = rows.filter((r) => r.description.trim() === "").map((r) => r.key);
    assert.deepEqual(undescribed, [], `keys without a description in model/schema.ts:\n${undescribed.join("\n")}`);
  });

  it("gives every optional key its default: a value, or in words what leaving it out means", () => {
    const silent = rows
      .filter((r) => !r.required && !isEntry(r.key) && r.default === "" && !/\bDefault\b/.test(r.description))
      .map((r) => r.key);
    assert.deepEqual(
      silent,
      [],
      `optional keys that say nothing of their default (add .default() or "Default: …" to the description):\n${silent.join("\n")}`,
    );
  });
});
