/**
 * What removing a node does on the Talos side, decided by its retire setting.
 * No Pulumi resources here.
 */
import type { TalosNode } from "../config/resolve.ts";

export { RETIRING_TAG } from "../policies/platform/talos.ts";

export interface Retirement {
  /** Talos' ConfigurationApply runs this when the resource is deleted. */
  readonly onDestroy?: { readonly graceful: true; readonly reset: true; readonly reboot: false };
}

/**
 * A node retired with `reset` is wiped when its ConfigurationApply is deleted,
 * which the engine does before deleting the VM (the apply depends on it):
 * graceful cordons and drains it and, on a control plane, leaves etcd first
 * (Talos refuses if that would break quorum); reboot false halts it instead of
 * booting back into maintenance mode. No other node carries onDestroy: a
 * replaced ConfigurationApply (a changed address) would otherwise wipe a node
 * that stays. A `forget` node is dead, so there is nothing to reset.
 */
export function retirementOf(node: TalosNode): Retirement {
  return node.retire === "reset" ? { onDestroy: { graceful: true, reset: true, reboot: false } } : {};
}
