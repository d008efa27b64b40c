/**
 * Composition root: read the stack config once, build the platform, export
 * what operators need. Everything else lives in contract/, model/, builders/, config/ and components/.
 */
import { enableCompileCache } from "node:module";

// Every `pulumi preview` would otherwise type-strip and compile each of the
// program's modules again; with Node's on-disk compile cache (in os.tmpdir(),
// off with NODE_DISABLE_COMPILE_CACHE=1) start-up after the first run is about
// 70 ms shorter (bench/results.md). Only modules loaded after this call are
// cached, hence the dynamic imports.
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
