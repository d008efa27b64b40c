/**
 * How a benchmark child hands its figures to scripts/bench.ts: one tagged JSON
 * line on stdout, so warnings the program prints on the way are ignored.
 */
export const REPORT_TAG = "BENCH-REPORT ";

export function report(figures: Record<string, unknown>): void {
  process.stdout.write(`${REPORT_TAG}${JSON.stringify(figures)}\n`);
}
