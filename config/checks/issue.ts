/**
 * How a config check reports: on the key the user should edit, with what to do.
 * Every check module takes an `Add`; the composer collects, nothing throws.
 */
export type KeyPath = readonly (string | number)[];

export interface ConfigIssue {
  readonly path: KeyPath;
  readonly message: string;
}

/** `cluster.nodes.cp1.ip`, `apps.grafana.hosts[0]` */
export function formatPath(path: KeyPath): string {
  return path.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), "");
}

/** Reports one problem on the key path it belongs to. */
export type Add = (path: KeyPath, message: string) => void;
