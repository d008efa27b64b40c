/**
 * What stack traces cost this program under Pulumi, and how it stops paying
 * for the ones nobody reads. A/B of 2026-12-07 (interleaved runs, CPU time,
 * started the way `pulumi preview` starts the program): the 500-app stack took
 * 5.1 s with both measures below, 6.7 s keeping the launcher's source-map
 * hook, 9.0 s keeping the SDK's traces; the 12-app example stack 1.5 s to its
 * first registration, 2.6 s without either measure.
 *
 * The SDK formats a stack trace for every promise it tracks: four per resource
 * property, so 76 for one Cloudflare DnsRecord. They exist for its
 * promise-leak report, which prints them only when PULUMI_DEBUG_PROMISE_LEAKS
 * is set. Resource source positions do not depend on them: the SDK lifts the
 * limit itself when it reads those.
 */
import * as pulumi from "@pulumi/pulumi";

/**
 * Pulumi's launcher installs source-map-support, which maps every frame of
 * every trace the SDK formats and more than doubles start-up. Node's type
 * stripping keeps our .ts line and column numbers exact, so plain V8 traces
 * lose nothing.
 */
export function useV8StackTraces(): void {
  Reflect.deleteProperty(Error, "prepareStackTrace");
}

/** How to get a trace back: the program honours a limit set on purpose. */
export const TRACE_HINT =
  "(stack traces are off while the platform is declared; re-run with NODE_OPTIONS=--stack-trace-limit=50 to see this one)";

/** V8's own limit; any other value was set on purpose (--stack-trace-limit, or code). */
const V8_DEFAULT_LIMIT = 10;

/** The operator asked for traces: the SDK's leak report, or a limit of their own. */
export function stackTracesRequested(env: NodeJS.ProcessEnv = process.env, limit: number = Error.stackTraceLimit): boolean {
  return Boolean(env.PULUMI_DEBUG_PROMISE_LEAKS) || limit !== V8_DEFAULT_LIMIT;
}

/**
 * Runs `declare` (where nearly every resource, so nearly every tracked
 * promise, is created) with V8's stack trace limit at 0, then restores it.
 * An error that escapes without frames says how to get them; a RunError (a
 * config error) is printed without a stack anyway and passes untouched.
 */
export async function declareWithoutStackTraces<T>(declare: () => Promise<T>): Promise<T> {
  if (stackTracesRequested()) return declare();
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return await declare();
  } catch (err) {
    if (!pulumi.RunError.isInstance(err) && err instanceof Error && !err.stack?.includes("\n    at ")) {
      err.stack = `${err.stack ?? String(err)}\n${TRACE_HINT}`;
    }
    throw err;
  } finally {
    Error.stackTraceLimit = limit;
  }
}
