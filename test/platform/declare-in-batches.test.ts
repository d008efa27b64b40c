/**
 * The apps are declared in batches, with a turn of the event loop between two
 * (in which the SDK sends the batch just declared).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { declareInBatches } from "../../declare-in-batches.ts";

describe("declaring in batches", () => {
  it("declares every item in order, and yields to the event loop after each batch of 50", async () => {
    const items = Array.from({ length: 120 }, (_, i) => i);
    const declared: number[] = [];
    const declaredAtEachTurn: number[] = [];
    let done = false;
    const watch = () => {
      if (done) return;
      declaredAtEachTurn.push(declared.length);
      setImmediate(watch);
    };
    setImmediate(watch);
    await declareInBatches(items, (i) => declared.push(i));
    done = true;
    assert.deepEqual(declared, items);
    assert.deepEqual(declaredAtEachTurn, [50, 100]);
  });

  it("declares a fleet of one batch or less without yielding", async () => {
    let turned = false;
    setImmediate(() => (turned = true));
    const declared: string[] = [];
    await declareInBatches(["a", "b"], (x) => declared.push(x));
    assert.deepEqual(declared, ["a", "b"]);
    assert.equal(turned, false);
  });
});
