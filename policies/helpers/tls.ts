/**
 * What the plan says of cert-manager's issuers.
 */
import { obj, strings, type Obj } from "@homelab/contract/props";

/** Whether an ACME solver's selector admits `host` (no selector admits everything). */
export function solverAdmits(solver: Obj, host: string): boolean {
  const selector = obj(solver.selector);
  const names = strings(selector.dnsNames);
  const zones = strings(selector.dnsZones);
  if (!names.length && !zones.length) return true;
  return names.includes(host) || zones.some((z) => host === z || host.endsWith(`.${z}`));
}
