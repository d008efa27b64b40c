/**
 * npm run bench [-- --runs <n>] [-- --out <file>]
 *
 * Start-up and scaling of the program, the offline synth and the policy check,
 * measured side by side in one run: every measurement is a fresh child process
 * (no module cache or JIT warmth carried between runs), the jobs of one round
 * run one after the other, and rounds repeat so drift on the machine hits all
 * figures alike. Each figure is the median of the rounds, with min and max.
 * Prints a table and writes it to bench/results.md.
 */
import { spawn } from "node:child_process";
import { accessSync, constants, mkdirSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, resolve } from "node:path";
import { readStackConfig } from "../synth/stack-file.ts";
import { REPORT_TAG } from "../bench/report.ts";
import { markdownTable as table } from "../synth/markdown.ts";
import { parseCommandLine, positiveInteger } from "./cli.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const args = parseCommandLine(
  "bench",
  `usage: npm run bench -- [--runs <n>] [--slow-runs <n>] [--out <file>]
  --runs <n>       rounds of every measurement (default 5)
  --slow-runs <n>  rounds of the slowest jobs (default 3)
  --out <file>     where the table is written, absolute or from the project root (default bench/results.md)`,
  {
    runs: { type: "string", default: "5" },
    "slow-runs": { type: "string", default: "3" },
    out: { type: "string", default: "bench/results.md" },
  },
);
const RUNS = positiveInteger("bench", "runs", args.runs);
// Checked before the minutes of measuring, which a path that cannot be written would throw away.
const OUT = resolve(ROOT, args.out!);
try {
  if (!statSync(dirname(OUT)).isDirectory()) throw new Error("not a directory");
  accessSync(dirname(OUT), constants.W_OK);
} catch (e) {
  console.error(
    `bench: --out ${args.out}: cannot write into ${dirname(OUT)} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); give a file in an existing, writable directory.`,
  );
  process.exit(2);
}
/** The slowest jobs (the whole 500-app synth, the full kubernetes-models import) run fewer times; three still give a median. */
const SLOW_RUNS = Math.min(RUNS, positiveInteger("bench", "slow-runs", args["slow-runs"]));
const SIZES = [10, 100, 500] as const;
const LARGE = 500;
/** The fleet issue 23 sized: time and peak memory must stay about linear up to it. */
const HUGE = 2000;
const TMP = `${ROOT}bench/tmp`;
const DOC = `${TMP}/bench-${LARGE}.json`;

type Figures = Record<string, unknown> & { wallMs: number };

/** Runs `node <args>` from the project root; returns the child's report and its wall time. */
function child(nodeArgs: readonly string[], env: Record<string, string> = {}): Promise<Figures> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const proc = spawn(process.execPath, nodeArgs, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
    proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
    proc.on("error", reject);
    proc.on("close", (code) => {
      const wallMs = performance.now() - start;
      const line = out.split("\n").find((l) => l.startsWith(REPORT_TAG));
      if (code !== 0 || !line) {
        reject(new Error(`node ${nodeArgs.join(" ")} exited ${code}:\n${out}${err}`));
        return;
      }
      resolve({ ...(JSON.parse(line.slice(REPORT_TAG.length)) as Record<string, unknown>), wallMs });
    });
  });
}

interface Job {
  readonly id: string;
  readonly runs: number;
  readonly args: () => readonly string[];
  readonly env?: Record<string, string>;
}

const results = new Map<string, Figures[]>();
const first = (id: string): Figures | undefined => results.get(id)?.[0];
const resourcesOf = (apps: number): number => {
  const n = Number(first(`program-${apps}`)?.resources);
  if (!n) throw new Error(`no resource count for ${apps} apps yet`);
  return n;
};

const example = readStackConfig("homelab", ROOT);
const launcher = (id: string, program: string, env: Record<string, string> = {}): Job => ({
  id,
  runs: RUNS,
  args: () => ["bench/startup-launcher.ts", program],
  env: { BENCH_STACK_CONFIG: JSON.stringify(example), ...env },
});

interface ImportProbe {
  readonly pkg: string;
  /** What the program imports: deep modules (comma-separated), timed before the package root (which loads them too). */
  readonly deep?: { readonly label: string; readonly specs: string };
  /** Timed once @pulumi/pulumi is loaded: the provider SDKs' marginal cost in the program. */
  readonly afterPulumi: boolean;
  readonly slow?: boolean;
}

const IMPORTS: readonly ImportProbe[] = [
  {
    pkg: "@pulumi/kubernetes",
    deep: {
      label: "provider, helm/v3/release, apiextensions/customResource, yaml/v2/configGroup, core/v1 + networking/v1 kinds",
      specs: [
        "provider",
        "helm/v3/release",
        "apiextensions/customResource",
        "yaml/v2/configGroup",
        "core/v1/namespace",
        "core/v1/secret",
        "core/v1/service",
        "core/v1/endpoints",
        "networking/v1/ingress",
        "networking/v1/networkPolicy",
      ]
        .map((m) => `@pulumi/kubernetes/${m}.js`)
        .join(","),
    },
    afterPulumi: true,
  },
  {
    pkg: "@pulumi/cloudflare",
    deep: {
      label: "dnsRecord, getZone, getIpRanges",
      specs: ["dnsRecord", "getZone", "getIpRanges"].map((m) => `@pulumi/cloudflare/${m}.js`).join(","),
    },
    afterPulumi: true,
  },
  {
    pkg: "@muhlba91/pulumi-proxmoxve",
    deep: {
      label: "vmLegacy, download/file",
      specs: ["vmLegacy", "download/file"].map((m) => `@muhlba91/pulumi-proxmoxve/${m}.js`).join(","),
    },
    afterPulumi: true,
  },
  { pkg: "zod", afterPulumi: false },
  { pkg: "yaml", afterPulumi: false },
  {
    pkg: "kubernetes-models",
    deep: { label: "networking.k8s.io/v1/Ingress", specs: "kubernetes-models/networking.k8s.io/v1/Ingress" },
    afterPulumi: false,
    slow: true,
  },
];

mkdirSync(TMP, { recursive: true });

const JOBS: readonly Job[] = [
  ...SIZES.map(
    (apps): Job => ({
      id: `program-${apps}`,
      runs: RUNS,
      // The largest size writes its synth document once, for the policy check.
      args: () => ["bench/synth-child.ts", String(apps), "program", ...(apps === LARGE && !results.has(`program-${apps}`) ? [DOC] : [])],
    }),
  ),
  // What declaring without the SDK's stack traces saves: the same program, made to keep them.
  {
    id: `program-${LARGE}-traced`,
    runs: RUNS,
    args: () => ["bench/synth-child.ts", String(LARGE), "program"],
    env: { PULUMI_DEBUG_PROMISE_LEAKS: "1" },
  },
  ...(["", "--untraced"] as const).flatMap((mode): Job[] => {
    const suffix = mode ? "-untraced" : "";
    return [
      { id: `floor-${LARGE}${suffix}`, runs: RUNS, args: () => ["bench/floor.ts", ...(mode ? [mode] : []), String(resourcesOf(LARGE))] },
      {
        id: `typed-floor-${LARGE}${suffix}`,
        runs: RUNS,
        args: () => ["bench/floor.ts", ...(mode ? [mode] : []), "--types", JSON.stringify(first(`program-${LARGE}`)?.types)],
      },
    ];
  }),
  { id: `synth-${LARGE}`, runs: SLOW_RUNS, args: () => ["bench/synth-child.ts", String(LARGE), "synth"] },
  { id: `synth-${HUGE}`, runs: SLOW_RUNS, args: () => ["bench/synth-child.ts", String(HUGE), "synth"] },
  { id: `policy-${LARGE}`, runs: RUNS, args: () => ["bench/policy-child.ts", DOC] },
  { id: "startup-empty", runs: RUNS, args: () => ["bench/startup-empty.ts"] },
  launcher("startup-one-resource", "bench/startup-one-resource.ts"),
  launcher("startup-index", "index.ts"),
  // A first run: index.ts finds no compile cache (it writes one only at exit, after the first registration).
  launcher("startup-index-uncached", "index.ts", { NODE_DISABLE_COMPILE_CACHE: "1" }),
  { id: "program-example", runs: RUNS, args: () => ["bench/synth-child.ts", "example", "program"] },
  ...IMPORTS.map(
    (probe): Job => ({
      id: `import-${probe.pkg}`,
      runs: probe.slow ? SLOW_RUNS : RUNS,
      args: () => [
        "bench/startup-import.ts",
        ...(probe.afterPulumi ? ["--after", "@pulumi/pulumi"] : []),
        ...(probe.deep ? [probe.deep.specs] : []),
        probe.pkg,
      ],
    }),
  ),
];

const started = performance.now();
const loadBefore = loadavg()[0]!;
const rounds = Math.max(...JOBS.map((j) => j.runs));
for (let round = 0; round < rounds; round++) {
  for (const job of JOBS.filter((j) => round < j.runs)) {
    const figures = await child(job.args(), job.env);
    results.set(job.id, [...(results.get(job.id) ?? []), figures]);
  }
  process.stderr.write(`bench: round ${round + 1}/${rounds} done (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
}
const seconds = (performance.now() - started) / 1000;

// ── statistics and the tables ───────────────────────────────────────────────

interface Stat {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

function stat(values: readonly number[]): Stat {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return { median: s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2, min: s[0]!, max: s[s.length - 1]! };
}

function values(id: string, key: string | ((f: Figures) => number)): number[] {
  const runs = results.get(id);
  if (!runs) throw new Error(`no results for ${id}`);
  return runs.map((r) => (typeof key === "function" ? key(r) : Number(r[key])));
}
const figure = (id: string, key: string | ((f: Figures) => number)): Stat => stat(values(id, key));

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const spread = (s: Stat) => `${ms(s.median)} (${ms(s.min)}–${ms(s.max)})`;
const ratio = (a: number, b: number) => (a / b).toFixed(2);
const verdict = (ok: boolean) => (ok ? "met" : "**not met**");

const program = (apps: number) => figure(`program-${apps}`, "ms");
const bareFloor = figure(`floor-${LARGE}`, "programMs");
const typedFloor = figure(`typed-floor-${LARGE}`, "programMs");
const untracedBareFloor = figure(`floor-${LARGE}-untraced`, "programMs");
const untracedTypedFloor = figure(`typed-floor-${LARGE}-untraced`, "programMs");
const traced = figure(`program-${LARGE}-traced`, "ms");
const oneResource = figure("startup-one-resource", "firstResourceMs");
const startup = figure("startup-index", "firstResourceMs");
const uncachedStartup = figure("startup-index-uncached", "firstResourceMs");
const cpuToFirst = (id: string) => figure(id, "firstResourceCpuMs");
const scaling = program(LARGE).median / program(100).median;
const policy = figure(`policy-${LARGE}`, "ms");

const exampleApps = Object.keys(JSON.parse(example.values["homelab:apps"] ?? "{}") as object).length;
const out: string[] = [];
out.push("# Benchmarks", "");
out.push(
  `\`npm run bench\`, ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model.trim() ?? "cpu"}, load average ${loadBefore.toFixed(1)} before / ${loadavg()[0]!.toFixed(1)} after. ` +
    `Each figure: median (min–max) in ms of ${RUNS} runs (${SLOW_RUNS} for the whole ${LARGE}-app synth and the full kubernetes-models import), every run a fresh process; all jobs interleaved in one run of ${seconds.toFixed(0)} s.`,
  "",
);

out.push("## Targets", "");
out.push(
  table(
    ["target (issue 8)", "measured", "verdict"],
    [
      [
        `${LARGE}-app program ≤ 1.5× the bare floor`,
        `${ratio(program(LARGE).median, bareFloor.median)}×; like for like (the floor declared the same way): ${ratio(program(LARGE).median, untracedBareFloor.median)}× the bare, ${ratio(program(LARGE).median, untracedTypedFloor.median)}× the typed floor`,
        verdict(program(LARGE).median <= 1.5 * bareFloor.median) +
          (program(LARGE).median > 1.5 * untracedBareFloor.median ? " against the floor as defined; not like for like" : ""),
      ],
      [
        `linear: ${LARGE}/100 apps ≈ ${LARGE / 100}`,
        `${scaling.toFixed(2)} (resources ${ratio(resourcesOf(LARGE), resourcesOf(100))})`,
        verdict(scaling <= (LARGE / 100) * 1.15),
      ],
      [
        "start-up ≤ 1.3× the one-resource program",
        `${ratio(startup.median, oneResource.median)}× (first run, no compile cache yet: ${ratio(uncachedStartup.median, oneResource.median)}×); in CPU time ${ratio(cpuToFirst("startup-index").median, cpuToFirst("startup-one-resource").median)}× (first run ${ratio(cpuToFirst("startup-index-uncached").median, cpuToFirst("startup-one-resource").median)}×)`,
        verdict(startup.median <= 1.3 * oneResource.median) +
          (uncachedStartup.median > 1.3 * oneResource.median ? " from the second run on; not on a first run" : ""),
      ],
      [
        `linear: ${HUGE}/${LARGE}-app synth ≈ ${HUGE / LARGE} (issue 23)`,
        `${ratio(figure(`synth-${HUGE}`, "ms").median, figure(`synth-${LARGE}`, "ms").median)}; peak memory ${ms(figure(`synth-${HUGE}`, "peakRssMb").median)} MB (${ms(figure(`synth-${LARGE}`, "peakRssMb").median)} MB for ${LARGE})`,
        verdict(figure(`synth-${HUGE}`, "ms").median <= (HUGE / LARGE) * 1.15 * figure(`synth-${LARGE}`, "ms").median),
      ],
      [`policy check, ${LARGE} apps`, `${ms(policy.median / resourcesOf(LARGE))} ms/resource`, "reported"],
    ],
  ),
  "",
);

out.push("## 1. Synth scaling", "");
out.push(
  "The example cluster (Pulumi.homelab.yaml) with N generated apps (bench/generate.ts). **program** = index.ts under the mocks and the recorder (`runStack`), once its modules are loaded (the module load, a constant, is timed apart).",
  "",
);
out.push(
  table(
    ["apps", "resources", "program ms", "ms/app", "ms/resource", "module load ms"],
    SIZES.map((apps) => [
      String(apps),
      String(resourcesOf(apps)),
      spread(program(apps)),
      ms(program(apps).median / apps),
      ms(program(apps).median / resourcesOf(apps)),
      spread(figure(`program-${apps}`, "loadMs")),
    ]),
  ),
  "",
);
const synthLarge = figure(`synth-${LARGE}`, "ms");
out.push(
  `Ratio ${LARGE}/100 apps: **${scaling.toFixed(2)}** (linear = ${LARGE / 100}; the resources grow ${ratio(resourcesOf(LARGE), resourcesOf(100))}×). ` +
    `Whole offline synth (\`synthStack\`: config, program, manifest validation, summary, files) of ${LARGE} apps: ${spread(synthLarge)} ms, ${ms(synthLarge.median / LARGE)} ms/app.`,
  "",
);
const synthHuge = figure(`synth-${HUGE}`, "ms");
const rss = (id: string) => figure(id, "peakRssMb");
out.push(
  `Whole offline synth of ${HUGE} apps: ${spread(synthHuge)} ms, ${ms(synthHuge.median / HUGE)} ms/app, **${ratio(synthHuge.median, synthLarge.median)}×** the ${LARGE}-app synth (linear = ${HUGE / LARGE}); peak resident memory ${spread(rss(`synth-${HUGE}`))} MB against ${spread(rss(`synth-${LARGE}`))} MB for ${LARGE} apps (the module load, about 300 MB of it, is the same for both).`,
  "",
);
const launched = figure("startup-index", (f) => Number(f.doneMs) - Number(f.launcherReadyMs));
const recorded = figure("program-example", (f) => Number(f.loadMs) + Number(f.ms));
out.push(
  `Started the way \`pulumi preview\` starts it (bench/startup-launcher.ts, section 3), the example stack's program (its modules, construction and every registration) takes ${spread(launched)} ms after the launcher is ready, against ${spread(recorded)} ms under the offline recorder: **${ratio(launched.median, recorded.median)}×**. Before the program builds anything, it removes the source-map-support hook the launcher installs (stack-traces.ts): the SDK captures a stack trace for every promise it tracks (four per resource property), and the hook would source-map every frame of each.`,
  "",
);

out.push("## 2. Overhead against the floor", "");
out.push(
  "**bare floor**: the same number of trivial custom resources (4 small inputs), no components, no Outputs between them, no dependsOn, under the same mocks and recorder (`bench/floor.ts <count>`). **typed floor**: as many resources of each type as the program registered, each through the provider SDK class the program uses (DnsRecord, Ingress, CustomResource, …) with minimal inputs (`bench/floor.ts --types`): what remains above it is the program's own cost (components, dependsOn, Outputs, manifests). Target: ≤ 1.5× the bare floor.",
  "",
);
out.push(
  "**SDK stack traces**: the SDK formats a stack trace for each of the four promises it tracks per resource property, for its promise-leak report only. The program declares the platform with V8's stack trace limit at 0 (stack-traces.ts); each floor is measured both with the SDK's default and declared the same way as the program (`--untraced`), so the last row is the program's own overhead, like for like.",
  "",
);
out.push(
  table(
    ["apps", "resources", "program ms", "floor", "SDK stack traces in the floor", "floor ms", "program / floor"],
    (
      [
        ["bare", "on (SDK default)", bareFloor],
        ["typed", "on (SDK default)", typedFloor],
        ["bare", "off, as the program", untracedBareFloor],
        ["typed", "off, as the program", untracedTypedFloor],
      ] as const
    ).map(([floor, traces, f]) => [
      String(LARGE),
      String(resourcesOf(LARGE)),
      spread(program(LARGE)),
      floor,
      traces,
      spread(f),
      `**${ratio(program(LARGE).median, f.median)}**`,
    ]),
  ),
  "",
);
out.push(
  `The same ${LARGE}-app program made to keep every trace (PULUMI_DEBUG_PROMISE_LEAKS=1): ${spread(traced)} ms, ${ratio(traced.median, bareFloor.median)}× the bare floor; declaring without them makes it **${ratio(traced.median, program(LARGE).median)}×** faster.`,
  "",
);

out.push("## 3. Program start-up", "");
out.push(
  "Time from process start (`performance.timeOrigin`) to the first registered resource, started the way Pulumi's nodejs language host starts this project (ESM, `typescript: false`, Node type stripping): the launcher's CommonJS preamble (OpenTelemetry hooks, source-map-support, the SDK), then `import()` of the main file (bench/startup-launcher.ts), with the engine replaced by the mocks. index.ts turns on Node's compile cache before it imports its modules, so from the second run on their type-stripped, compiled code comes from disk; the first-run row has the cache off (NODE_DISABLE_COMPILE_CACHE=1). CPU time (user + system, from process start) is shown beside the wall time: on a loaded machine it moves far less. Target: ≤ 1.3× the one-resource program.",
  "",
);
out.push(
  table(
    ["program", "ms to first resource", "CPU ms to first resource", "process wall ms (spawn → exit)", "÷ one-resource program (CPU)"],
    (
      [
        ["`node` running an empty file", figure("startup-empty", "readyMs"), undefined, figure("startup-empty", "wallMs")],
        [
          "imports @pulumi/pulumi, registers one resource",
          oneResource,
          cpuToFirst("startup-one-resource"),
          figure("startup-one-resource", "wallMs"),
        ],
        [`index.ts, example stack (${exampleApps} apps)`, startup, cpuToFirst("startup-index"), figure("startup-index", "wallMs")],
        [
          "index.ts, example stack, first run (no compile cache yet)",
          uncachedStartup,
          cpuToFirst("startup-index-uncached"),
          figure("startup-index-uncached", "wallMs"),
        ],
      ] as const
    ).map(([label, s, cpu, wall]) => [
      label,
      spread(s),
      cpu ? spread(cpu) : "",
      spread(wall),
      `${ratio(s.median, oneResource.median)}${cpu ? ` (${ratio(cpu.median, cpuToFirst("startup-one-resource").median)})` : ""}`,
    ]),
  ),
  "",
);
out.push(
  `index.ts: the launcher's preamble is ready at ${spread(figure("startup-index", "launcherReadyMs"))} ms; the program's modules are evaluated (config parsed, every resource constructed) at ${spread(figure("startup-index", "programLoadedMs"))} ms.`,
  "",
);
out.push("### Import costs", "");
out.push(
  "One fresh process per package (bench/startup-import.ts): its deep modules are imported first, then its root, so the root's figure is the sum of both steps (the root loads the deep modules too). Provider SDKs are timed after `@pulumi/pulumi` is loaded, i.e. their marginal cost in the program; the others from a bare process.",
  "",
);
const pulumiSamples = IMPORTS.filter((p) => p.afterPulumi).flatMap((p) => values(`import-${p.pkg}`, "afterMs"));
const step = (pkg: string, upTo: number) =>
  figure(`import-${pkg}`, (f) => (f.stepsMs as number[]).slice(0, upTo + 1).reduce((a, b) => a + b, 0));
const importRows: string[][] = [
  [`@pulumi/pulumi (imported first by every SDK probe below; ${pulumiSamples.length} samples)`, spread(stat(pulumiSamples))],
];
for (const p of IMPORTS) {
  const runs = p.slow ? ` (${SLOW_RUNS} runs)` : "";
  const after = p.afterPulumi ? ", after @pulumi/pulumi" : "";
  if (p.deep) importRows.push([`${p.pkg} deep: ${p.deep.label}${after}${runs}`, spread(step(p.pkg, 0))]);
  importRows.push([`${p.pkg}${p.deep ? " (root)" : ""}${after}${runs}`, spread(step(p.pkg, p.deep ? 1 : 0))]);
}
out.push(table(["import", "import ms"], importRows), "");

out.push("## 4. Policy check", "");
const policyRun = first(`policy-${LARGE}`)!;
out.push(
  `Every rule of the pack evaluated offline (\`checkStack\` of policies/offline.ts) on the ${LARGE}-app synth document, ${String(policyRun.resources)} resources, ${String(policyRun.violations)} violations: ${spread(policy)} ms, **${ms(policy.median / Number(policyRun.resources))} ms/resource** (module load ${spread(figure(`policy-${LARGE}`, "loadMs"))} ms apart).`,
  "",
);

const markdown = out.join("\n");
writeFileSync(OUT, markdown);
console.log(markdown);
console.error(`bench: wrote ${OUT}`);
