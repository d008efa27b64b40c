/**
 * Composition root: read the stack config once, build the platform, export
 * what operators need. Everything else lives in config/, components/ and lib/.
 */
import { loadConfig } from "./config/load.ts";
import { homelabPlatform } from "./platform.ts";
import { declareWithoutStackTraces, useV8StackTraces } from "./stack-traces.ts";

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
