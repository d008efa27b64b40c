/**
 * node scripts/homelab-reachable.ts --stack <name> [--timeout <seconds>]
 * Fails in seconds, with the reason and the fix, when this machine cannot open
 * a TCP connection to the stack's Proxmox VE API (or, on an existing cluster,
 * its Kubernetes API): a preview or an up from a runner outside the homelab's
 * network would otherwise spend minutes in provider retries and then fail on
 * a timeout that names no cause; on an existing cluster, when none of its
 * Kubernetes API endpoints answers. The Talos APIs are reported, not
 * required: before the first up the nodes do not exist yet.
 */
import { connect } from "node:net";
import { loadStack, parseCommandLine, positiveInteger } from "./cli.ts";

const USAGE = `usage: node scripts/homelab-reachable.ts --stack <name> [--timeout <seconds>]
  --stack <name>       the stack whose endpoints to try (Pulumi.<name>.yaml)
  --timeout <seconds>  how long each connection may take (default 5)
Exits 1 when an endpoint the preview and up jobs need does not answer.`;
const values = parseCommandLine("homelab-reachable", USAGE, { stack: { type: "string" }, timeout: { type: "string", default: "5" } });
if (!values.stack) {
  console.error(`homelab-reachable: name the stack with --stack <name>.\n${USAGE}`);
  process.exit(2);
}
const timeoutMs = positiveInteger("homelab-reachable", "timeout", values.timeout) * 1000;
const { homelabEndpoints } = await import("../lib/runner-needs.ts");
const stack = values.stack;
const { config, values: stackValues } = await loadStack("homelab-reachable", stack);

/** undefined when a TCP connection opens in time, else why not (the socket error's code). */
function tryConnect(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once("connect", () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve(`no answer within ${timeoutMs / 1000} s`);
    });
    socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

const endpoints = homelabEndpoints(config, stackValues, process.env);
const annotate = process.env.GITHUB_ACTIONS === "true";
if (endpoints.length === 0) {
  console.log(`homelab-reachable ${stack}: the config names no endpoint to try (an existing cluster without cluster.nodes or cluster.network.vip); the preview will tell.`);
  process.exit(0);
}
const results = await Promise.all(endpoints.map(async (e) => ({ ...e, failure: await tryConnect(e.host, e.port) })));
for (const r of results) console.log(`${r.failure ? "unreachable" : "reachable"}: ${r.what} ${r.host}:${r.port}${r.failure ? ` (${r.failure})` : ""}`);

const kubernetes = results.filter((r) => r.kind === "kubernetes");
const missing = [...results.filter((r) => r.failure && r.kind === "proxmox"), ...(kubernetes.every((r) => r.failure) ? kubernetes : [])];
if (missing.length > 0) {
  const message = `${stack}: this runner cannot reach the homelab (${missing.map((r) => `${r.what} ${r.host}:${r.port}: ${r.failure}`).join("; ")}). Pulumi's providers call these from the runner: run the preview and up jobs inside the homelab's network, on a self-hosted runner on the LAN (repository variable PULUMI_RUNS_ON, e.g. ["self-hosted","homelab"]) or on a hosted runner joined through Tailscale (repository variable TAILSCALE_OAUTH_CLIENT_ID, secret TAILSCALE_OAUTH_SECRET); README, "Workflow set-up".`;
  console.error(annotate ? `::error title=homelab unreachable::${message}` : `homelab-reachable ${message}`);
  process.exit(1);
}
const talos = results.filter((r) => r.kind === "talos");
if (talos.length > 0 && talos.every((r) => r.failure)) {
  const message = `${stack}: no control plane answers on its Talos API. Expected before the first pulumi up creates the VMs; on a running cluster the Talos health check of the preview will fail (are the VMs up, and does cluster.firewall.adminSubnets admit this runner?).`;
  console.log(annotate ? `::warning title=Talos API unreachable::${message}` : `warning: ${message}`);
}
