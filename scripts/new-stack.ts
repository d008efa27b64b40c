/**
 * npm run new-stack -- <name> [--dir <project dir>] [--<question> <answer> …] [--no-input]
 * Writes Pulumi.<name>.yaml for a one-node Talos stack from a few answers:
 * flags first, the rest asked on the terminal (or read line by line from piped
 * stdin; an empty answer takes the default). The text is synthesized exactly as
 * `npm run synth` will before it is written, and never overwrites a file.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { parseCommandLineWithArguments } from "./cli.ts";
import { join } from "node:path";
import { QUESTIONS, newStackFile, nodeNameOf, type NewStackAnswers } from "../tools/new-stack.ts";

const USAGE = `usage: npm run new-stack -- <name> [--dir <project dir>] [--no-input] [--<question> <answer> …]
  <name>        the stack (a DNS label; also the cluster's name): writes Pulumi.<name>.yaml
  --dir <dir>   the project directory (default .)
  --no-input    ask nothing: every answer without a default must be a flag
Questions, as flags (asked on the terminal when not given):
${QUESTIONS.map((q) => `  --${q.flag.padEnd(18)} ${q.ask}`).join("\n")}`;

function fail(message: string): never {
  console.error(`new-stack: ${message}`);
  process.exit(2);
}

const { values, positionals } = parseCommandLineWithArguments("new-stack", USAGE, {
  dir: { type: "string", default: "." },
  "no-input": { type: "boolean", default: false },
  ...Object.fromEntries(QUESTIONS.map((q) => [q.flag, { type: "string" as const }])),
});
const answered = values as Record<string, string | boolean | undefined>;
const stack = positionals[0];
if (!stack || positionals.length > 1) fail("name the stack once: npm run new-stack -- <name> (lower-case letters, digits and '-')");
if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(stack))
  fail(`stack name ${stack} must be a DNS label (lower-case letters, digits and '-'): it is also the cluster's name`);
const file = join(values.dir as string, `Pulumi.${stack}.yaml`);
if (existsSync(file)) fail(`${file} exists; pick another name or edit that file`);

/** Answers not given as flags: asked on a terminal, else taken line by line from stdin; `done` lets go of the terminal. */
function answerSource(): { ask: (question: string) => Promise<string | undefined>; done: () => void } {
  if (values["no-input"]) return { ask: async () => undefined, done: () => {} };
  if (process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    return { ask: (question) => rl.question(question), done: () => rl.close() };
  }
  const lines = readFileSync(0, "utf8").split("\n");
  return {
    ask: async (question) => {
      process.stdout.write(question);
      return lines.shift();
    },
    done: () => {},
  };
}

const source = answerSource();
const answers: Record<string, string | number | undefined> = { stack };
const missing: string[] = [];
for (const q of QUESTIONS) {
  const fallback = q.default?.(answers as Partial<NewStackAnswers>);
  let answer = answered[q.flag] as string | undefined;
  if (answer === undefined) {
    const typed = await source.ask(`${q.ask}${fallback ? ` [${fallback}]` : ""}: `);
    answer = typed === undefined || typed.trim() === "" ? fallback : typed.trim();
  }
  if (answer === undefined) {
    missing.push(`--${q.flag} (${q.ask})`);
    continue;
  }
  if (q.numeric && !/^\d+$/.test(answer)) {
    source.done();
    fail(`--${q.flag} expects a whole number, got ${JSON.stringify(answer)}`);
  }
  answers[q.key] = q.numeric ? Number(answer) : answer;
}
// An open readline keeps a terminal's stdin, and so the process, alive after the file is written.
source.done();
if (missing.length) fail(`no answer for:\n  ${missing.join("\n  ")}\ngive them as flags or answer the questions on a terminal`);

const text = newStackFile(answers as unknown as NewStackAnswers);
// Exactly what `npm run synth` will do with the file: every config rule (the provider keys too), the program run, its output checked.
const { parseStackFile } = await import("../synth/stack-file.ts");
const { synthStack } = await import("../synth/synth.ts");
const result = await synthStack(stack, { config: parseStackFile(text, file), env: process.env });
if (!result.ok) fail(`these answers do not make a deployable stack (nothing written):\n  - ${result.errors.join("\n  - ")}`);
writeFileSync(file, text);
console.log(
  `wrote ${file}. Next: npm run synth -- --stack ${stack}, then pulumi stack init ${stack} and set its two secrets (see the file's header).`,
);
console.log(
  `More nodes: copy cluster.nodes.${nodeNameOf(stack)} in the file under a new name with its own ip, vmId and proxmoxNode (role worker, or three control planes in all).`,
);
