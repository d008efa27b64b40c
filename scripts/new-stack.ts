/**
 * npm run new-stack -- <name> [--dir <project dir>] [--<question> <answer> …] [--no-input]
 * Writes Pulumi.<name>.yaml for a one-node Talos stack from a few answers:
 * flags first, the rest asked on the terminal (or read line by line from piped
 * stdin; an empty answer takes the default). The file is checked by the same
 * config rules as a preview before it is written, and never overwrites one.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { join } from "node:path";
import { QUESTIONS, newStackFile, type NewStackAnswers } from "../lib/new-stack.ts";
import { homelabEntries, parseHomelabConfig } from "../config/validate.ts";
import { parseStackFile } from "../synth/stack-file.ts";

function fail(message: string): never {
  console.error(`new-stack: ${message}`);
  process.exit(2);
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      dir: { type: "string", default: "." },
      "no-input": { type: "boolean", default: false },
      ...Object.fromEntries(QUESTIONS.map((q) => [q.flag, { type: "string" as const }])),
    },
  });
} catch (e) {
  fail(`${e instanceof Error ? e.message : String(e)}; the flags are ${QUESTIONS.map((q) => `--${q.flag}`).join(", ")}, --dir, --no-input`);
}
const { values, positionals } = parsed;
const answered = values as Record<string, string | boolean | undefined>;
const stack = positionals[0];
if (!stack || positionals.length > 1) fail("name the stack once: npm run new-stack -- <name> (lower-case letters, digits and '-')");
if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(stack)) fail(`stack name ${stack} must be a DNS label (lower-case letters, digits and '-'): it is also the cluster's name`);
const file = join(values.dir as string, `Pulumi.${stack}.yaml`);
if (existsSync(file)) fail(`${file} exists; pick another name or edit that file`);

/** Answers not given as flags: asked on a terminal, else taken line by line from stdin. */
async function answerSource(): Promise<(question: string) => Promise<string | undefined>> {
  if (values["no-input"]) return async () => undefined;
  if (process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    process.on("exit", () => rl.close());
    return (question) => rl.question(question);
  }
  const lines = readFileSync(0, "utf8").split("\n");
  return async (question) => {
    process.stdout.write(question);
    return lines.shift();
  };
}

const ask = await answerSource();
const answers: Record<string, string | number | undefined> = { stack };
const missing: string[] = [];
for (const q of QUESTIONS) {
  const fallback = q.default?.(answers as Partial<NewStackAnswers>);
  let answer = answered[q.flag] as string | undefined;
  if (answer === undefined) {
    const typed = await ask(`${q.ask}${fallback ? ` [${fallback}]` : ""}: `);
    answer = typed === undefined || typed.trim() === "" ? fallback : typed.trim();
  }
  if (answer === undefined) {
    missing.push(`--${q.flag} (${q.ask})`);
    continue;
  }
  if (q.numeric && !/^\d+$/.test(answer)) fail(`--${q.flag} expects a whole number, got ${JSON.stringify(answer)}`);
  answers[q.key] = q.numeric ? Number(answer) : answer;
}
if (missing.length) fail(`no answer for:\n  ${missing.join("\n  ")}\ngive them as flags or answer the questions on a terminal`);

const text = newStackFile(answers as unknown as NewStackAnswers);
// The same rules a preview applies, on the text as it will be written.
const config = parseStackFile(text, file);
const { raw, secretKeys } = homelabEntries(config.values, (k) => config.secretKeys.includes(k));
const result = parseHomelabConfig(raw, secretKeys);
if (!result.ok) fail(`these answers do not make a deployable stack (nothing written):\n  - ${result.errors.join("\n  - ")}`);
writeFileSync(file, text);
console.log(`wrote ${file}. Next: npm run synth -- --stack ${stack}, then pulumi stack init ${stack} and set its two secrets (see the file's header).`);
