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
import type { Endpoint } from "../tools/runner-needs.ts";

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
const { homelabEndpoints, reachVerdict } = await import("../tools/runner-needs.ts");
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
  console.log(
    `homelab-reachable ${stack}: the config names no endpoint to try (an existing cluster without cluster.nodes or cluster.network.vip); the preview will tell.`,
  );
  process.exit(0);
}
// The endpoints a job needs first: when one of them fails the job stops, and the Talos APIs are not tried at all.
const tryAll = (list: readonly Endpoint[]) => Promise.all(list.map(async (e) => ({ ...e, failure: await tryConnect(e.host, e.port) })));
const needed = await tryAll(endpoints.filter((e) => e.kind !== "talos"));
const first = reachVerdict(stack, needed);
const verdict = first.error ? first : reachVerdict(stack, [...needed, ...(await tryAll(endpoints.filter((e) => e.kind === "talos")))]);
for (const line of verdict.lines) console.log(line);
if (verdict.error) {
  console.error(annotate ? `::error title=homelab unreachable::${verdict.error}` : `homelab-reachable ${verdict.error}`);
  process.exit(1);
}
if (verdict.warning) console.log(annotate ? `::warning title=Talos API unreachable::${verdict.warning}` : `warning: ${verdict.warning}`);
