/**
 * The field types every section of the stack config is built from: strict
 * sections that list the keys they accept, addresses, names and chart pins.
 */
import { z } from "zod";
import { EXACT_CHART_VERSION, isHttpsRepository } from "../../contract/charts.ts";
import { addressEntryProblem, hostAddressProblem } from "../../contract/net.ts";
import { PROXMOX_STORAGE_ID, QUANTITY, QUANTITY_ERROR } from "../formats.ts";

// zod compiles an object's parser to generated code on its first parse, which
// pays off only for parsers that run many times; a run parses one config once,
// and skipping the compile takes ~13 ms off start-up (bench/results.md).
z.config({ jitless: true });

/** How a section's unknown-key error begins; the accepted keys follow, comma-separated (validate.ts reads them back for its "did you mean"). */
export const ACCEPTED_KEYS = "unknown key; this section accepts: ";

/** A strict object whose unknown-key error lists the keys it does accept. */
export function section<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `${ACCEPTED_KEYS}${known.join(", ")}` : undefined),
  });
}

/** A string refined by a `…Problem` function: its answer is the error. */
export const checked = (problem: (value: string) => string | undefined) =>
  z.string().superRefine((value, ctx) => {
    const message = problem(value);
    if (message) ctx.addIssue({ code: "custom", message });
  });
// Every address the config names is one a host, a VIP or a resolver can have (contract/net.ts hostAddressProblem).
export const ipv4 = (what: string) =>
  z.ipv4({ error: `expected ${what} as an IPv4 address, e.g. 10.0.10.11` }).superRefine((ip, ctx) => {
    const problem = hostAddressProblem(ip);
    if (problem) ctx.addIssue({ code: "custom", message: `${ip} ${problem}; use ${what}` });
  });
export const hostname = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
  error: "expected a lower-case fully qualified host name, e.g. grafana.example.com",
});
export const dnsLabel = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, {
  error: "expected a DNS label: lower-case letters, digits and '-', at most 63 characters",
});
export const quantity = z.string().regex(QUANTITY, { error: QUANTITY_ERROR });
export const storageId = z.string().regex(PROXMOX_STORAGE_ID, { error: "expected a Proxmox storage id, e.g. local-lvm" });
export const addressEntry = z.string().superRefine((entry, ctx) => {
  const problem = addressEntryProblem(entry);
  if (problem)
    ctx.addIssue({ code: "custom", message: `${problem}; use a CIDR (10.0.10.240/28), a range (10.0.10.240-10.0.10.250) or one address` });
});
export const chart = (defaults: { readonly version: string; readonly repository: string }) =>
  section({
    version: z
      .string()
      .regex(EXACT_CHART_VERSION, {
        error: "expected an exact chart version, e.g. 41.3.0: a range or latest changes the chart under the stack",
      })
      .default(defaults.version)
      .describe("Chart version, pinned."),
    repository: z
      .url()
      .refine(isHttpsRepository, { error: "expected the chart repository's https:// URL" })
      .default(defaults.repository)
      .describe("Helm repository URL (https)."),
  }).prefault({});
