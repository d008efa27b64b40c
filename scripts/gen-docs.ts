/**
 * npm run gen — regenerates docs/config.md and docs/config.schema.json from the schema.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { configJsonSchema, configMarkdown } from "../config/docs.ts";
import { parseCommandLine } from "./cli.ts";

parseCommandLine(
  "gen",
  "usage: npm run gen   (rewrites docs/config.md and docs/config.schema.json from model/schema.ts; takes no options)",
  {},
);

mkdirSync("docs", { recursive: true });
writeFileSync("docs/config.md", configMarkdown());
writeFileSync("docs/config.schema.json", `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log("wrote docs/config.md and docs/config.schema.json");
