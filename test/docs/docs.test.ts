/**
 * The documentation is read by people who cannot ask: every link in it leads
 * somewhere, every file and function it names exists where it says, every
 * diagram parses, and the architecture's component diagram names every
 * component the program has.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { mermaidBlocks, parseMermaid } from "../helpers/mermaid.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

/** README.md and every page of docs/ (config.md is generated from the schema, and checked too). */
const PAGES = [
  "README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];

const read = (page: string): string => readFileSync(join(ROOT, page), "utf8");

/** The Markdown outside fenced code blocks, where links and headings mean something. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```$/gm, "");
}

/**
 * The anchors GitHub gives a page's headings: lower case, every character but
 * letters, digits, `_`, `-` and spaces dropped, spaces turned into `-`, and a
 * repeated heading suffixed `-1`, `-2`… (github/cmark-gfm's autolink extension,
 * as github-slugger reproduces it).
 */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const [, text] of prose(markdown).matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = text!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    result.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return result;
}

/** Every relative link of a page, as written: `[text](target)`, external URLs left out. */
function relativeLinks(markdown: string): string[] {
  return [...prose(markdown).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/.test(t));
}

describe("the documentation's links", () => {
  for (const page of PAGES) {
    it(`${page}: every relative link names a file of the repository, and a heading of it after #`, () => {
      const broken: string[] = [];
      for (const target of relativeLinks(read(page))) {
        const [path, anchor] = target.split("#") as [string, string | undefined];
        const file = path === "" ? page : relative(ROOT, join(ROOT, dirname(page), path));
        if (!existsSync(join(ROOT, file))) {
          broken.push(`${target}: no file ${file}`);
          continue;
        }
        if (anchor !== undefined && file.endsWith(".md") && !anchors(read(file)).has(anchor)) {
          broken.push(`${target}: ${file} has no heading #${anchor}`);
        }
      }
      assert.deepEqual(broken, []);
    });
  }

  it("computes GitHub's anchors (a heading with code, punctuation and a repeat)", () => {
    assert.deepEqual(
      [...anchors("# One value, end to end: `traefik.placement`\n```sh\n# not a heading\n```\n## Day 2\n## Day 2\n")],
      ["one-value-end-to-end-traefikplacement", "day-2", "day-2-1"],
    );
  });
});

describe("what the documentation names exists", () => {
  const ignored = new Set(["out", "node_modules", ".tools"]);
  const topLevel = new Set(readdirSync(ROOT).filter((f) => !ignored.has(f)));

  for (const page of PAGES) {
    it(`${page}: every repository path in backticks exists`, () => {
      const paths = [...read(page).matchAll(/`([\w.-]+(?:\/[\w.-]*)+)`/g)].map((m) => m[1]!);
      const missing = paths.filter((p) => topLevel.has(p.split("/")[0]!) && !existsSync(join(ROOT, p)));
      assert.deepEqual(missing, []);
    });

    it(`${page}: every \`name\` (\`file.ts\`) or \`name\` in \`file.ts\` is declared in that file, not only imported`, () => {
      const named = [...read(page).matchAll(/`([A-Za-z_]\w*)`\s+(?:\(|in\s+)`([\w./-]+\.ts)`/g)].map((m) => [m[1]!, m[2]!] as const);
      const declared = (name: string, file: string): boolean =>
        existsSync(join(ROOT, file)) &&
        new RegExp(`\\b(?:function|const|let|class|interface|type)\\s+${name}\\b|^\\s*(?:readonly\\s+)?${name}\\??:`, "m").test(read(file));
      const missing = named.filter(([name, file]) => !declared(name, file)).map(([n, f]) => `${n} in ${f}`);
      assert.deepEqual(missing, []);
    });
  }

  it("docs/architecture.md names its functions and types by file (so the check above has them to check)", () => {
    const named = [...read("docs/architecture.md").matchAll(/`([A-Za-z_]\w*)`\s+(?:\(|in\s+)`([\w./-]+\.ts)`/g)];
    assert.ok(named.length >= 10, `${named.length} names`);
  });
});

describe("the documentation's diagrams, checked with the real Mermaid parser", () => {
  it("finds the flowcharts where the pages draw them: the layers and the components, the placements and the tunnel's request path", () => {
    const diagrams = PAGES.flatMap((page) => mermaidBlocks(read(page)).map((b) => `${page}: ${b.split("\n")[0]}`));
    assert.deepEqual(diagrams, [
      "docs/architecture.md: flowchart BT",
      "docs/architecture.md: flowchart TD",
      "docs/networking.md: flowchart LR",
      "docs/networking.md: flowchart LR",
    ]);
  });

  for (const page of PAGES) {
    const blocks = mermaidBlocks(read(page));
    if (blocks.length === 0) continue;
    it(`${page}: every diagram parses as a flowchart`, async () => {
      for (const b of blocks) assert.equal((await parseMermaid(b)).diagramType, "flowchart-v2");
    });
  }
});

describe("docs/architecture.md: the components", () => {
  const doc = read("docs/architecture.md");
  const components = readdirSync(join(ROOT, "components"))
    .filter((f) => f.endsWith(".ts"))
    .sort()
    .flatMap((f) =>
      [...read(`components/${f}`).matchAll(/^export class (\w+) extends pulumi\.ComponentResource/gm)].map((m) => ({
        name: m[1]!,
        file: `components/${f}`,
      })),
    );
  const diagram = mermaidBlocks(doc).find((b) => b.includes("homelabPlatform")) ?? "";
  const rows = new Map(
    [...doc.matchAll(/^\| `(\w+)` \| `(components\/[\w-]+\.ts)` \| `(homelab:[\w:]+)` \| .+ \|$/gm)].map((m) => [m[1]!, m.slice(2, 4)]),
  );

  it("finds the program's components (at least the fourteen of the redesign)", () => {
    assert.ok(components.length >= 14, components.map((c) => c.name).join(", "));
  });

  it("draws every component in the diagram, as a node of its own name", () => {
    const undrawn = components.filter((c) => !new RegExp(`^\\s*(?:.*-->\\s*)?${c.name}\\["`, "m").test(diagram)).map((c) => c.name);
    assert.deepEqual(undrawn, []);
  });

  it("lists every component in the table with its file, and no other", () => {
    assert.deepEqual(
      [...rows.entries()].map(([name, [file]]) => `${name} ${file}`).sort(),
      components.map((c) => `${c.name} ${c.file}`).sort(),
    );
  });

  it("gives each component the type token its constructor registers", async () => {
    /** The first argument of the class's super(): a string literal, or a constant (COMPONENTS.traefik) read from the module it is imported from. */
    const registered = async (c: { name: string; file: string }): Promise<unknown> => {
      const source = read(c.file);
      const argument = /\bsuper\(\s*([^,]+),/.exec(source.slice(source.indexOf(`export class ${c.name} `)))?.[1]?.trim() ?? "";
      const literal = /^"([^"]+)"$/.exec(argument);
      if (literal) return literal[1];
      const [head, ...path] = argument.split(".");
      const from = new RegExp(`import\\s*{[^}]*\\b${head}\\b[^}]*}\\s*from\\s*"([^"]+)"`).exec(source)?.[1];
      if (!from) return `${argument} (not imported)`;
      const module = (await import(from.startsWith(".") ? pathToFileURL(join(ROOT, dirname(c.file), from)).href : from)) as Record<
        string,
        unknown
      >;
      return path.reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], module[head!]);
    };
    const tokens = await Promise.all(components.map(async (c) => `${c.name} ${await registered(c)}`));
    assert.deepEqual(components.map((c) => `${c.name} ${rows.get(c.name)?.[1]}`).sort(), tokens.sort());
  });
});
