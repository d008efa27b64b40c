/**
 * node scripts/talosctl-version.ts --stack <name>
 * Prints the talosctl release the stack's `pulumi up` needs (its
 * cluster.talos.version), or nothing for a stack on an existing cluster. The
 * up workflow installs what it prints, so a stack bumped in a pull request
 * gets its own release without editing the workflow.
 */
import { loadStack, parseCommandLine } from "./cli.ts";

const USAGE = `usage: node scripts/talosctl-version.ts --stack <name>
  --stack <name>  read Pulumi.<name>.yaml (beside Pulumi.yaml, else in examples/)
Prints the talosctl release the stack needs (e.g. v1.13.9), or nothing when it runs no Talos.`;
const values = parseCommandLine("talosctl-version", USAGE, { stack: { type: "string" } });
if (!values.stack) {
  console.error(`talosctl-version: name the stack with --stack <name>.\n${USAGE}`);
  process.exit(2);
}
const { talosctlRelease } = await import("../tools/runner-needs.ts");
const release = talosctlRelease((await loadStack("talosctl-version", values.stack)).config);
if (release) console.log(release);
