/** Start-up floor: node itself, running (almost) nothing. */
import { report } from "./report.ts";

report({ readyMs: performance.now() });
