/**
 * The golden files: the parts of each example stack's out/ a reviewer reads —
 * summary.md, the Helm values and the Talos patches — pinned under test/golden/
 * so a change to any of them shows in the diff of the commit that caused it.
 */
import { EXAMPLES_DIR, exampleStackNames } from "./stack-file.ts";
import { synthStack } from "./synth.ts";

export const GOLDEN_DIR = "test/golden";

/** Which out/<stack>/ files are golden. */
export const isGolden = (path: string): boolean => path === "summary.md" || path.startsWith("helm/") || path.startsWith("talos/");

/** stack → golden path → content, from a fresh synth of every example stack under `root`. */
export async function goldenFiles(root: string): Promise<Map<string, Map<string, string>> | { errors: string[] }> {
  const out = new Map<string, Map<string, string>>();
  const errors: string[] = [];
  for (const stack of exampleStackNames(root)) {
    const result = await synthStack(stack, { dir: `${root}/${EXAMPLES_DIR}` });
    if (!result.ok) errors.push(...result.errors.map((e) => `${stack}: ${e}`));
    else out.set(stack, new Map([...result.files].filter(([p]) => isGolden(p))));
  }
  return errors.length ? { errors } : out;
}
