/**
 * The stack file's keys outside the `homelab:` schema: the provider settings
 * the program needs, and every key that holds a credential. A provider reads
 * its namespace itself, so a misspelt `cloudflare:apitoken` would be ignored
 * and the deploy fail later on a missing token; a token typed in plain text is
 * in the repository for good. Both are refused here, before anything runs.
 */
import { closest } from "./suggest.ts";
import { homelabSchema } from "../model/schema.ts";
import { own } from "../model/own.ts";

/**
 * The configuration keys of the providers the program uses, from their SDKs'
 * `config/vars.d.ts` (a test checks the lists against the installed packages).
 */
export const PROVIDER_KEYS: Readonly<Record<string, readonly string[]>> = {
  cloudflare: ["apiKey", "apiToken", "apiUserServiceKey", "baseUrl", "email", "userAgentOperatorSuffix"],
  proxmoxve: [
    "apiToken",
    "authTicket",
    "csrfPreventionToken",
    "endpoint",
    "insecure",
    "minTls",
    "otp",
    "password",
    "randomVmIdEnd",
    "randomVmIdStart",
    "randomVmIds",
    "ssh",
    "tmpDir",
    "username",
  ],
};

/** The top-level keys of the `homelab:` config, for keys set in a namespace of that name by mistake (`traefik:replicas`, `website:apps`). */
const HOMELAB_SECTIONS: readonly string[] = Object.keys(homelabSchema.shape);

/** Namespaces a stack file may hold besides the providers': the project's and Pulumi's own. */
const OTHER_NAMESPACES = ["homelab", "pulumi", "kubernetes", "talos"];

/** Provider keys that are credentials, whoever reads the stack file must not learn them. */
const PROVIDER_SECRETS = [
  "cloudflare:apiKey",
  "cloudflare:apiToken",
  "cloudflare:apiUserServiceKey",
  "proxmoxve:apiToken",
  "proxmoxve:authTicket",
  "proxmoxve:password",
];

/** The `homelab:` key cert-manager's DNS-01 token may come from instead of cloudflare:apiToken (platform.ts). */
export const DNS01_TOKEN_KEY = "homelab:dns01Token";

/** What a credential looks like, for the command that sets it. */
const VALUE_HINT: Readonly<Record<string, string>> = {
  "proxmoxve:apiToken": "'user@pve!pulumi=<uuid>'",
  "proxmoxve:password": "'<password>'",
};

/**
 * A setting the program needs from a provider namespace, with the environment
 * variables the provider also reads it from (an operator may export them
 * instead of writing them into the stack).
 */
interface Required {
  readonly keys: readonly string[];
  readonly env: readonly string[];
  readonly what: string;
  readonly set: string;
}

const CLOUDFLARE_TOKEN: Required = {
  keys: ["cloudflare:apiToken", "cloudflare:apiKey"],
  env: ["CLOUDFLARE_API_TOKEN", "CLOUDFLARE_API_KEY"],
  what: "the Cloudflare provider manages the DNS records and needs an API token",
  set: "pulumi config set --secret cloudflare:apiToken <token with Zone:DNS:Edit, Zone:Zone:Read and Zone:Zone Settings:Read>",
};
const PROXMOX_ENDPOINT: Required = {
  keys: ["proxmoxve:endpoint"],
  env: ["PROXMOX_VE_ENDPOINT"],
  what: "cluster.provider talos creates its VMs through the Proxmox VE API",
  set: "pulumi config set proxmoxve:endpoint https://<proxmox host>:8006/",
};
const PROXMOX_CREDENTIALS: Required = {
  keys: ["proxmoxve:apiToken", "proxmoxve:password"],
  env: ["PROXMOX_VE_API_TOKEN", "PROXMOX_VE_PASSWORD"],
  what: "cluster.provider talos needs credentials for the Proxmox VE API",
  set: "pulumi config set --secret proxmoxve:apiToken 'user@pve!pulumi=<uuid>'",
};

export interface StackKeyCheck {
  /** One line per problem, `<namespace>:<key>: <what is wrong>; <what to do>`. */
  readonly errors: readonly string[];
  /** Keys that have no effect but need not stop a deploy (a namespace no provider reads). */
  readonly warnings: readonly string[];
  /** `homelab:` keys that name credentials but hold plain values: reported here, so the schema need not call them unknown. */
  readonly plainHomelabSecrets: readonly string[];
}

function isHttpsUrl(value: string): boolean {
  try {
    return new URL(value).protocol === "https:";
  } catch {
    return false;
  }
}

const record = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** The `homelab:` keys the config names as holding credentials (read tolerantly: the schema has not run yet). */
function namedHomelabSecrets(raw: Readonly<Record<string, unknown>>): string[] {
  const names = [DNS01_TOKEN_KEY];
  for (const app of Object.values(record(raw.apps))) {
    const users = record(record(record(app).middlewares).basicAuth).usersSecret;
    if (typeof users === "string" && users) names.push(`homelab:${users}`);
  }
  const cluster = record(raw.cluster);
  if (cluster.provider === "existing")
    names.push(`homelab:${typeof cluster.kubeconfigSecret === "string" ? cluster.kubeconfigSecret : "kubeconfig"}`);
  return names;
}

function plainSecretLine(key: string): string {
  const value = own(VALUE_HINT, key) ?? (key.startsWith("homelab:") && key !== DNS01_TOKEN_KEY ? "<value>" : "<token>");
  return `${key}: holds a credential but is set in plain text, so everyone who can read the stack file (and its git history) has it; set it encrypted with: pulumi config set --secret ${key} ${value} (and rotate it, since it was in plain text)`;
}

/**
 * @param all every config key of the stack (`ns:key` → value), as the runtime hands them over
 * @param isSecret whether a key's value is encrypted in the stack file
 * @param raw the `homelab:` values, for the keys the config names as secrets
 * @param env the environment the providers also read their settings from
 */
export function checkStackKeys(
  all: Readonly<Record<string, string>>,
  isSecret: (fullKey: string) => boolean,
  raw: Readonly<Record<string, unknown>>,
  env: Readonly<Record<string, string | undefined>>,
): StackKeyCheck {
  const errors: string[] = [];
  const warnings: string[] = [];
  const present = (k: string) => Object.hasOwn(all, k);
  const namespaces = [...Object.keys(PROVIDER_KEYS), ...OTHER_NAMESPACES];
  for (const fullKey of Object.keys(all).sort()) {
    const colon = fullKey.indexOf(":");
    const ns = fullKey.slice(0, colon);
    const key = fullKey.slice(colon + 1);
    const accepted = own(PROVIDER_KEYS, ns);
    if (accepted) {
      if (accepted.includes(key)) continue;
      const guess = closest(key, accepted);
      errors.push(
        `${fullKey}: unknown key (the ${ns} provider ignores it)${guess ? `; did you mean ${ns}:${guess}?` : ""}; ${ns} accepts: ${accepted.join(", ")}`,
      );
    } else if (!namespaces.includes(ns)) {
      const guess = closest(ns, namespaces);
      const section = [ns, key.split(".")[0]!].find((name) => HOMELAB_SECTIONS.includes(name));
      if (guess) errors.push(`${fullKey}: unknown namespace ${ns} (no provider reads it); did you mean ${guess}:${key}?`);
      else if (section)
        errors.push(
          `${fullKey}: unknown namespace ${ns}, so nothing reads this key, while ${section} is a section of this project's config; set it as homelab:${section}${section === ns ? ` (a mapping holding ${key})` : ""}`,
        );
      else
        warnings.push(
          `${fullKey}: no provider this stack uses and not this project reads namespace ${ns}, so the key has no effect; remove it, or move it to homelab: if it was meant for this project`,
        );
    }
  }
  const homelabSecrets = namedHomelabSecrets(raw);
  const plainHomelabSecrets: string[] = [];
  for (const key of [...PROVIDER_SECRETS, ...homelabSecrets]) {
    if (!present(key) || isSecret(key)) continue;
    errors.push(plainSecretLine(key));
    if (key.startsWith("homelab:")) plainHomelabSecrets.push(key.slice("homelab:".length));
  }
  const endpoint = all["proxmoxve:endpoint"];
  if (endpoint !== undefined && !isHttpsUrl(endpoint)) {
    errors.push(
      `proxmoxve:endpoint: expected the Proxmox VE API's https URL, e.g. https://pve1.lan:8006/ (got ${JSON.stringify(endpoint)}); set it with: ${PROXMOX_ENDPOINT.set}`,
    );
  }
  const needed = [CLOUDFLARE_TOKEN, ...(record(raw.cluster).provider === "talos" ? [PROXMOX_ENDPOINT, PROXMOX_CREDENTIALS] : [])];
  for (const need of needed) {
    if (need.keys.some(present) || need.env.some((e) => env[e])) continue;
    errors.push(`${need.keys[0]}: is required (${need.what}); set it with: ${need.set} (or export ${need.env[0]})`);
  }
  return { errors, warnings, plainHomelabSecrets };
}

/**
 * The credentials a stack still lacks (neither in the stack nor in the environment), with the
 * command that sets each. A freshly written stack has none until `pulumi config set --secret`
 * (which needs the Pulumi CLI): the real program refuses it (checkStackKeys); the offline synth,
 * where every secret is a placeholder anyway, stands one in and says so.
 */
export function unsetCredentials(
  all: Readonly<Record<string, string>>,
  env: Readonly<Record<string, string | undefined>>,
): { readonly key: string; readonly set: string }[] {
  let cluster: unknown;
  try {
    cluster = JSON.parse(all["homelab:cluster"] ?? "{}");
  } catch {
    cluster = {};
  }
  const needed = [CLOUDFLARE_TOKEN, ...(record(cluster).provider === "talos" ? [PROXMOX_CREDENTIALS] : [])];
  return needed
    .filter((need) => !need.keys.some((k) => Object.hasOwn(all, k)) && !need.env.some((e) => env[e]))
    .map((need) => ({ key: need.keys[0]!, set: need.set }));
}
