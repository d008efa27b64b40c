/**
 * The arguments every Helm release of the platform shares: a pinned chart
 * version from a named repository, installed into a namespace the stack
 * created (with its Pod Security labels) rather than one Helm creates bare.
 */
import type { ChartRef } from "../contract/charts.ts";

export interface ChartReleaseArgs {
  readonly name: string;
  readonly chart: string;
  readonly version: string;
  readonly repositoryOpts: { readonly repo: string };
  readonly namespace: string;
  readonly createNamespace: false;
  readonly timeout: number;
  readonly atomic: true;
  readonly cleanupOnFail: true;
}

/**
 * Seconds Helm waits for a release's workloads. Helm's 300 s is too short for a
 * first install on fresh nodes that pull every image (cert-manager's
 * startupapicheck hook alone retries for minutes) and for Traefik waiting for
 * its MetalLB address; ten minutes still ends a hung rollout within one `pulumi up`.
 */
export const HELM_TIMEOUT_SECONDS = 600;

export function chartRelease(release: string, namespace: string, chart: ChartRef): ChartReleaseArgs {
  return {
    name: release,
    chart: chart.chart,
    version: chart.version,
    repositoryOpts: { repo: chart.repository },
    namespace,
    createNamespace: false,
    timeout: HELM_TIMEOUT_SECONDS,
    // A failed upgrade otherwise leaves the release `failed` with the half-applied
    // chart running, and the next upgrade diffs against it: atomic rolls back to the
    // last good revision (a failed first install is purged, so the next `pulumi up`
    // installs afresh), and cleanupOnFail removes what the failed attempt created.
    atomic: true,
    cleanupOnFail: true,
  };
}
