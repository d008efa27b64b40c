/**
 * String formats the API server, Traefik and Proxmox enforce at deploy time,
 * checked when the config is read so the error names the key instead of
 * surfacing halfway through a `pulumi up`.
 */
import { createRequire } from "node:module";
import { KUBERNETES_MINORS_OF_TALOS } from "../contract/talos-versions.ts";

// Loaded on the first schedule: most stacks have none, and start-up is measured (bench/).
let croner: typeof import("croner") | undefined;
const cron = () => (croner ??= createRequire(import.meta.url)("croner") as typeof import("croner"));

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
  if (/[\s`]/.test(path))
    return "a path cannot contain whitespace or '`' (Traefik's rule syntax quotes paths with backticks); percent-encode the character";
  return undefined;
}

/** An IANA service name, what a container port name must be (RFC 6335, Kubernetes IsValidPortName). */
export const PORT_NAME = /^(?=.{1,15}$)(?=.*[a-z])[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const PORT_NAME_ERROR =
  "expected a port number (1-65535) or a port name: at most 15 lower-case letters, digits and '-', with a letter, no leading, trailing or double '-'";

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

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is this pattern's purpose.
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The first control character of a string, as U+XXXX, or undefined. */
export function controlCharacter(s: string): string | undefined {
  const c = CONTROL.exec(s)?.[0];
  return c === undefined ? undefined : `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Why Kubernetes would refuse a CronJob schedule, or undefined. The API
 * server parses it with robfig/cron v3's ParseStandard (kubernetes
 * pkg/apis/batch/validation/validation.go validateScheduleFormat; robfig/cron
 * v3.0.1 parser.go): five fields or a descriptor, and TZ= refused in favour of
 * spec.timeZone. croner parses the fields (ranges, steps, bounds); what it
 * accepts beyond robfig (L, W, #, weekday 7, a seconds field) is refused
 * first. Conservative where the two differ the other way: croner also refuses
 * a step wider than its field, which robfig accepts and runs once per range
 * (`*\/61` in the minutes is once an hour, surely not what was meant).
 */
export function cronScheduleProblem(schedule: string): string | undefined {
  const fix =
    "use five fields (minute hour day-of-month month day-of-week), e.g. 30 */6 * * *, or @hourly, @daily, @weekly, @monthly, @yearly";
  if (schedule.includes("TZ"))
    return "Kubernetes refuses TZ= or CRON_TZ= in a CronJob schedule; schedules run in the cluster's time zone (UTC on Talos)";
  const trimmed = schedule.trim();
  if (trimmed.startsWith("@")) {
    return ROBFIG_DESCRIPTORS.includes(trimmed) || GO_EVERY.test(trimmed)
      ? undefined
      : `${trimmed} is not a descriptor Kubernetes' cron parser knows; ${fix}`;
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5) return `Kubernetes' cron parser takes exactly five fields, not ${fields.length}; ${fix}`;
  for (const [i, field] of fields.entries()) {
    const names = i === 3 ? MONTH_NAMES : i === 4 ? DAY_NAMES : [];
    for (const part of field.split(",")) {
      const [range = "", ...step] = part.split("/");
      if (step.length > 1 || !step.every((s) => /^\d+$/.test(s)))
        return `${CRON_FIELDS[i]} ${part}: a step is one number (*/15, 0-30/5); ${fix}`;
      for (const end of range === "*" || range === "?" ? [] : range.split("-")) {
        if (!/^\d+$/.test(end) && !names.includes(end.toLowerCase()))
          return `${CRON_FIELDS[i]} ${end} is not a number${names.length ? ` or a name (${names.join(", ")})` : ""} (Kubernetes' parser has no L, W or #); ${fix}`;
        if (i === 4 && /^\d+$/.test(end) && Number(end) > 6)
          return `day-of-week ${end}: Kubernetes' parser counts 0 (Sunday) to 6 (Saturday); use 0 for Sunday`;
      }
    }
  }
  try {
    new (cron().CronPattern)(trimmed, undefined, { mode: "5-part", sloppyRanges: true });
  } catch (err) {
    return `${(err as Error).message.replace(/^CronPattern: /, "")}; ${fix}`;
  }
  return undefined;
}

const CRON_FIELDS = ["minute", "hour", "day-of-month", "month", "day-of-week"] as const;
const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const ROBFIG_DESCRIPTORS = ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"];
/** robfig's `@every <duration>`, the duration as Go's time.ParseDuration reads it. */
const GO_EVERY = /^@every (?:0|[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/;

/**
 * Why Go's regexp (RE2 syntax), which Traefik compiles redirectRegex with
 * (traefik/traefik pkg/middlewares/redirect/redirect.go, newRedirect:
 * regexp.Compile, read at a v2 snapshot; v3 keeps the file), would
 * refuse `pattern`, or undefined. re2js is a port of RE2's parser, so
 * lookaround and backreferences are refused as Go refuses them.
 */
// Loaded on the first redirect regex: 260 kB of RE2 tables that a stack without one need not load at start-up.
let re2js: typeof import("re2js") | undefined;
const re2 = () => {
  re2js ??= createRequire(import.meta.url)("re2js") as typeof import("re2js");
  return re2js.RE2JS;
};

export function re2Problem(pattern: string): string | undefined {
  try {
    re2().compile(pattern);
    return undefined;
  } catch (err) {
    return `Traefik compiles this with Go's RE2 syntax, which refuses it (${(err as Error).message}); RE2 has no lookahead, lookbehind or backreferences`;
  }
}

/** Why `url` is not an http(s) URL with a host, or undefined: `minio:9000` parses as scheme `minio:`. */
export function httpUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "is not a URL; write it with its scheme, e.g. https://minio.example.com:9000";
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:")
    return `has the scheme ${parsed.protocol.slice(0, -1)}, not http or https (a host:port without a scheme reads as one); write it as https://${url.replace(/^[a-z+.-]+:\/*/i, "")}`;
  if (!parsed.hostname) return "has no host; e.g. https://minio.example.com:9000";
  return undefined;
}

/**
 * Kubernetes' limits on the names this stack derives from config keys
 * (apimachinery validation: DNS-1123 labels 63, subdomains 253), and the
 * Gateway API path limit (HTTPPathMatch value maxLength 1024).
 */
export const K8S_LIMITS = { label: 63, subdomain: 253, gatewayPath: 1024 } as const;

const KNOWN_MINORS = Object.values(KUBERNETES_MINORS_OF_TALOS).flat();

/**
 * Why `version` names no Kubernetes release a Talos of this stack can run
 * (a typo such as 1.63.3 would reach talosctl upgrade-k8s), or undefined.
 * Whether the stack's own Talos release supports the minor is a separate rule.
 */
export function kubernetesReleaseProblem(version: string): string | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!match) return "expected an exact Kubernetes release like 1.36.3";
  const [oldest, newest] = [Math.min(...KNOWN_MINORS), Math.max(...KNOWN_MINORS)];
  if (match[1] !== "1" || Number(match[2]) < oldest || Number(match[2]) > newest) {
    return `${version} is no Kubernetes release the supported Talos releases install (they run 1.${oldest} to 1.${newest}); use a 1.${oldest}–1.${newest} release, e.g. 1.36.3`;
  }
  return undefined;
}
