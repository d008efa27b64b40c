/**
 * The arguments every Helm release of the platform shares: a pinned chart
 * version from a named repository, installed into a namespace the stack
 * created (with its Pod Security labels) rather than one Helm creates bare.
 */
import type { ChartRef } from "../config/resolve.ts";

/** A version Helm resolves to exactly one chart: no ranges, wildcards or `latest`. */
export const EXACT_CHART_VERSION = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** A chart repository fetched over TLS, so what installs is what the repository serves. */
export const isHttpsRepository = (url: string): boolean => /^https:\/\/\S+$/.test(url);

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
