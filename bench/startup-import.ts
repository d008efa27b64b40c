/**
 * The cost of importing modules in a fresh process, the way the program
 * imports them (ESM `import`).
 *
 *   node bench/startup-import.ts [--after <spec>] <specs> [<specs>…]
 *
 * Each argument is a comma-separated group of specifiers, imported in turn and
 * timed as one step (`stepsMs`). With --after, that module is imported first
 * and timed apart (`afterMs`): the marginal cost of a provider SDK once
 * @pulumi/pulumi is loaded, as in the program. A package's deep modules then
 * its root, as two steps, give both costs from one process: the root's is the
 * sum, since it loads the deep modules too.
 */
import { report } from "./report.ts";

const argv = process.argv.slice(2);
const afterAt = argv.indexOf("--after");
const after = afterAt >= 0 ? argv[afterAt + 1] : undefined;
const groups = argv.filter((_, i) => afterAt < 0 || (i !== afterAt && i !== afterAt + 1)).map((g) => g.split(",").filter(Boolean));
if (groups.length === 0 || groups.some((g) => g.length === 0))
  throw new Error("usage: node bench/startup-import.ts [--after <spec>] <spec>[,<spec>…] …");

const afterStart = performance.now();
if (after) await import(after);
let last = performance.now();
const afterMs = last - afterStart;
const stepsMs: number[] = [];
for (const group of groups) {
  for (const spec of group) await import(spec);
  const now = performance.now();
  stepsMs.push(now - last);
  last = now;
}
report({ stepsMs, loadedMs: last, ...(after ? { afterMs } : {}) });
