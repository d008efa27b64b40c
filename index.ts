/**
 * Composition root: read the stack config once, build the platform, export
 * what operators need. Everything else lives in contract/, model/, builders/, config/ and components/.
 */
import { enableCompileCache } from "node:module";

// Every `pulumi preview` would otherwise type-strip and compile each of the
// program's modules (and the SDK modules they load) again; Node's on-disk
// compile cache (in os.tmpdir(), off with NODE_DISABLE_COMPILE_CACHE=1) takes
// about a sixth off the CPU time to the first registration from the second run
// on: 1516 against 1821 ms under load, 8 interleaved runs each, 8 of 8 pairs
// faster (A/B of 2026-12-07). Only modules loaded after this call are cached,
// hence the dynamic imports.
enableCompileCache();
const { loadConfig } = await import("./config/load.ts");
const { homelabPlatform } = await import("./platform.ts");
const { declareWithoutStackTraces, useV8StackTraces } = await import("./stack-traces.ts");

useV8StackTraces();
const { config, secrets } = loadConfig();
const platform = await declareWithoutStackTraces(() => homelabPlatform(config, secrets));

export const kubeconfig = platform.kubeconfig;
export const talosconfig = platform.talosconfig;
export const apiEndpoint = platform.apiEndpoint;
export const nodes = platform.nodes;
export const ingress = platform.ingress;
export const issuers = platform.issuers;
export const routes = platform.routes;
export const etcdBackupLifecycle = platform.etcdBackupLifecycle;
export const lanDns = platform.lanDns;
export const tunnel = platform.tunnel;
