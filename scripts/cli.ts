/**
 * The scripts' command lines: `--help` prints the usage and exits 0; an
 * unknown option, a missing value or a stray argument is one line naming it
 * and the usage, exit 2, never Node's parser stack trace.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

export function parseCommandLine<O extends Options>(
  script: string,
  usage: string,
  options: O,
  argv: readonly string[] = process.argv.slice(2),
) {
  return parseCommandLineWithArguments(script, usage, options, argv, false).values;
}

/** The same, for a script that also takes arguments (`new-stack <name>`): the options and the arguments. */
export function parseCommandLineWithArguments<O extends Options>(
  script: string,
  usage: string,
  options: O,
  argv: readonly string[] = process.argv.slice(2),
  allowPositionals = true,
) {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals });
  } catch (err) {
    // Node's messages name the offending argument; its own hint ("To specify a positional argument…") is noise here.
    const reason = (err as Error).message.split(/\. To /)[0];
    console.error(`${script}: ${reason}.\n${usage}`);
    process.exit(2);
  }
}

/** A whole-number option (`--runs 5`), or one line saying what is wrong with it. */
export function positiveInteger(script: string, name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`${script}: --${name} expects a whole number of at least 1 (got ${JSON.stringify(value)}).`);
    process.exit(2);
  }
  return n;
}

/**
 * A stack's validated `homelab:` config, read as synth reads it (beside
 * Pulumi.yaml, else in examples/), with the stack file's plain values; or the
 * problems, one line each, and exit 1.
 */
export async function loadStack(script: string, stack: string) {
  const { readStackConfig, StackFileError } = await import("../synth/stack-file.ts");
  const { homelabEntries, parseHomelabConfig } = await import("../config/validate.ts");
  try {
    const { values, secretKeys } = readStackConfig(stack);
    // The homelab: keys only: provider credentials are the runner's secrets, not needed to read the stack.
    const { raw, secretKeys: homelabSecrets } = homelabEntries(values, (k) => secretKeys.includes(k));
    const result = parseHomelabConfig(raw, homelabSecrets);
    if (result.ok) return { config: result.config, values };
    console.error(
      `${script} ${stack}: the stack's config is invalid (npm run synth -- --stack ${stack} lists the same):\n  - ${result.errors.join("\n  - ")}`,
    );
  } catch (err) {
    if (!(err instanceof StackFileError)) throw err;
    console.error(`${script} ${stack}: ${err.message}`);
  }
  process.exit(1);
}
