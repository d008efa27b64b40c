/**
 * The real Mermaid parser in Node. Mermaid sanitizes labels with DOMPurify,
 * which needs a DOM window when it is first imported; linkedom's stands in
 * for the browser's. Only parsing is used: nothing is rendered.
 */
import { parseHTML } from "linkedom";

let parser: Promise<(text: string) => Promise<unknown>> | undefined;

function load(): Promise<(text: string) => Promise<unknown>> {
  (globalThis as { window?: unknown }).window ??= parseHTML("<!doctype html><html><body></body></html>").window;
  return import("mermaid").then(({ default: mermaid }) => {
    mermaid.initialize({ startOnLoad: false });
    return (text: string) => mermaid.parse(text);
  });
}

/** Parses a diagram; rejects with Mermaid's own error (line and expected tokens) when it does not parse. */
export async function parseMermaid(text: string): Promise<{ diagramType: string }> {
  parser ??= load();
  return (await (
    await parser
  )(text)) as { diagramType: string };
}

/** The ```mermaid blocks of a Markdown document. */
export function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```mermaid\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}
