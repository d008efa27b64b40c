/**
 * Masks what looks like a credential in a line the program prints. A secret
 * pasted into a key that is not secret (an age private key into
 * cluster.backup.agePublicKey, a Cloudflare token into dns.zoneId) would
 * otherwise be echoed back by the very error that refuses it, into terminals,
 * CI logs and PR comments. Every config error and warning passes through
 * here, whatever key the value was typed into.
 */

/** What replaces a credential: its kind and length, never a character of it. */
const masked = (kind: string, value: string) => `<${kind} hidden, ${value.length} characters>`;

/**
 * Credential shapes by their issuers' formats: age's Bech32 secret key
 * (FiloSottile/age, HRP AGE-SECRET-KEY-), PEM private keys (RFC 7468 labels
 * ending in PRIVATE KEY) and AWS access key ids.
 */
const SHAPES: readonly { readonly kind: string; readonly pattern: RegExp }[] = [
  { kind: "age secret key", pattern: /AGE-SECRET-KEY-1[0-9A-Z]*/gi },
  { kind: "private key", pattern: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:[\s\S]*?-----END [A-Z0-9 ]*PRIVATE KEY-----|[\s\S]*)/g },
  { kind: "access key id", pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  // Proxmox VE API token (user@realm!tokenid=<uuid>) and Cloudflare's Global API Key (37 hex digits).
  { kind: "API token", pattern: /[\w.-]+@[\w.-]+![\w.-]+=[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi },
  { kind: "API key", pattern: /\b[0-9a-f]{37}\b/g },
];

/**
 * A run of token characters long enough to be an API token (Cloudflare's are
 * 40, AWS secret keys 40, GitHub's 40+). Names the program prints (config
 * keys like allowConfigContractChange, host names, hex digests and ids) are
 * letters alone, dotted, or one case with digits; a token mixes digits with
 * both cases.
 */
const TOKEN_RUN = /[A-Za-z0-9_+/=-]{20,}/g;

function looksLikeToken(run: string): boolean {
  return /[0-9]/.test(run) && /[a-z]/.test(run) && /[A-Z]/.test(run);
}

/** `line` with every credential-looking value replaced by its kind and length. */
export function maskCredentials(line: string): string {
  let out = line;
  for (const { kind, pattern } of SHAPES) out = out.replace(pattern, (m) => masked(kind, m));
  return out.replace(TOKEN_RUN, (run) => (looksLikeToken(run) ? masked("token", run) : run));
}
