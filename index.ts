/**
 * Composition root: read the stack config once, build the platform, export
 * what operators need. Everything else lives in config/, components/ and lib/.
 */
import { loadConfig } from "./config/load.ts";
import { homelabPlatform } from "./platform.ts";

// Pulumi's launcher installs source-map-support, which maps every frame of the
// stack trace the SDK captures for each tracked promise and resource: it more
// than doubles start-up (bench/results.md). Node's type stripping keeps our .ts
// line and column numbers exact, so plain V8 traces lose nothing.
Reflect.deleteProperty(Error, "prepareStackTrace");

const { config, secrets } = loadConfig();
const platform = await homelabPlatform(config, secrets);

export const kubeconfig = platform.kubeconfig;
export const talosconfig = platform.talosconfig;
export const apiEndpoint = platform.apiEndpoint;
export const nodes = platform.nodes;
export const ingress = platform.ingress;
export const issuers = platform.issuers;
export const routes = platform.routes;
