/**
 * The arguments every Helm release of the platform shares: a pinned chart
 * version from a named repository, installed into a namespace the stack
 * created (with its Pod Security labels) rather than one Helm creates bare.
 */
import type { ChartRef } from "../config/resolve.ts";
import { EXACT_CHART_VERSION, isHttpsRepository } from "../policies/platform/charts.ts";

export { EXACT_CHART_VERSION, isHttpsRepository };

export interface ChartReleaseArgs {
  readonly name: string;
  readonly chart: string;
  readonly version: string;
  readonly repositoryOpts: { readonly repo: string };
  readonly namespace: string;
  readonly createNamespace: false;
}

export function chartRelease(release: string, namespace: string, chart: ChartRef): ChartReleaseArgs {
  return {
    name: release,
    chart: chart.chart,
    version: chart.version,
    repositoryOpts: { repo: chart.repository },
    namespace,
    createNamespace: false,
  };
}
