/**
 * Reading a kubeconfig the user supplies (existing clusters), as plain values.
 */
import { parse } from "yaml";

interface KubeconfigDoc {
  readonly "current-context"?: string;
  readonly contexts?: readonly { readonly name?: string; readonly context?: { readonly cluster?: string } }[];
  readonly clusters?: readonly { readonly name?: string; readonly cluster?: { readonly server?: string } }[];
}

/**
 * The API server of the kubeconfig's current context (else its only cluster),
 * or undefined when the text is no kubeconfig. The server URL is not secret,
 * unlike the credentials beside it.
 */
export function kubeconfigServer(raw: string): string | undefined {
  let doc: KubeconfigDoc | null;
  try {
    doc = parse(raw) as KubeconfigDoc | null;
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== "object") return undefined;
  const clusters = doc.clusters ?? [];
  const contextCluster = doc.contexts?.find((c) => c.name === doc["current-context"])?.context?.cluster;
  const cluster =
    contextCluster !== undefined ? clusters.find((c) => c.name === contextCluster) : clusters.length === 1 ? clusters[0] : undefined;
  return cluster?.cluster?.server;
}
