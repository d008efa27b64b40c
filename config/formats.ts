/**
 * String formats the API server, Traefik and Proxmox enforce at deploy time,
 * checked when the config is read so the error names the key instead of
 * surfacing halfway through a `pulumi up`.
 */

/**
 * Path sequences the API server refuses in an Ingress path of type Prefix or
 * Exact (networking validation: "must not contain '//'", …) and suffixes it
 * refuses; a backtick or whitespace would also break the Traefik rule
 * (PathPrefix(`…`)) the same path becomes for an IngressRoute.
 */
const REFUSED_PATH_SEQUENCES = ["//", "/./", "/../", "%2f", "%2F"];
const REFUSED_PATH_SUFFIXES = ["/..", "/."];

/** Why Kubernetes (or Traefik's rule syntax) would refuse a route path, or undefined. */
export function routePathProblem(path: string): string | undefined {
  if (!path.startsWith("/")) return "paths begin with '/'";
  const sequence = REFUSED_PATH_SEQUENCES.find((s) => path.includes(s));
  if (sequence) return `Kubernetes refuses an Ingress path containing '${sequence}'; normalise the path`;
  const suffix = REFUSED_PATH_SUFFIXES.find((s) => path.endsWith(s));
  if (suffix) return `Kubernetes refuses an Ingress path ending in '${suffix}'; normalise the path`;
  if (/[\s`]/.test(path)) return "a path cannot contain whitespace or '`' (Traefik's rule syntax quotes paths with backticks); percent-encode the character";
  return undefined;
}

/** An IANA service name, what a container port name must be (RFC 6335, Kubernetes IsValidPortName). */
export const PORT_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const PORT_NAME_ERROR = "expected a port number (1-65535) or a port name: at most 15 lower-case letters, digits and '-', with a letter, no leading, trailing or double '-'";

/** A Kubernetes resource quantity (apimachinery resource.ParseQuantity): 100m, 128Mi, 1.5, 2e3. */
export const QUANTITY = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/;
export const QUANTITY_ERROR = "expected a Kubernetes quantity, e.g. 100m, 0.5, 128Mi or 1Gi";

/** An HTTP token (RFC 9110): what method and header names are made of. */
export const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A Proxmox node (host) name: a host name label, as the API's /nodes/<node> paths take it. */
export const PROXMOX_NODE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** A Proxmox storage id (pve-storage's "pve-storage-id" format). */
export const PROXMOX_STORAGE_ID = /^[a-z][a-z0-9._-]*[a-z0-9]$/i;
/** A Linux bridge name: at most 15 characters, no '/' or whitespace. */
export const BRIDGE_NAME = /^[A-Za-z0-9_.-]{1,15}$/;

/**
 * The Proxmox provider's own bounds (bpg/proxmox VM schema: cpu.cores 1-2304,
 * cpu.sockets 1-16, memory.dedicated up to 268435456 MB); beyond them the
 * plan fails validation before Proxmox is even asked.
 */
export const PROXMOX_LIMITS = { cores: 2304, sockets: 16, memoryMb: 268_435_456 } as const;

const CONTROL = /[\u0000-\u001f\u007f]/;

/** The first control character of a string, as U+XXXX, or undefined. */
export function controlCharacter(s: string): string | undefined {
  const c = CONTROL.exec(s)?.[0];
  return c === undefined ? undefined : `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
}
