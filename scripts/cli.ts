/**
 * The scripts' command lines: `--help` prints the usage and exits 0; an
 * unknown option, a missing value or a stray argument is one line naming it
 * and the usage, exit 2, never Node's parser stack trace.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

export function parseCommandLine<O extends Options>(script: string, usage: string, options: O, argv: readonly string[] = process.argv.slice(2)) {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(usage);
    process.exit(0);
  }
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values;
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
