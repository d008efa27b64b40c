/**
 * Cross-field rules: what Talos, Kubernetes or a chart would only reject at
 * deploy time, caught on the parsed config. Every rule reports on the key the
 * user should edit, names the other key of a conflict, and says what to do.
 * All problems are collected; nothing throws. One module per concern; this one
 * runs them in a fixed order, so the report reads the same on every run.
 */
import type { ParsedConfig } from "../../model/schema.ts";
import type { ConfigIssue, KeyPath } from "./issue.ts";
import { checkCluster, clusterWarnings } from "./cluster.ts";
import { checkAddressClaims } from "./addresses.ts";
import { checkPodNetwork } from "./pod-network.ts";
import { checkTraefik } from "./traefik.ts";
import { checkCertManager } from "./cert-manager.ts";
import { appWarnings, checkApps } from "./apps.ts";
import { checkEntry, entryWarnings } from "./entry.ts";
import { checkKubernetesPin, checkTalosVersions } from "./talos-versions.ts";
import { checkNetworkPolicyEnforcement, networkPolicyWarnings } from "./network-policies.ts";
import { checkEffects, effectWarnings } from "./effects.ts";
import { checkPrivateAndPassthrough, privateWarnings } from "./private-passthrough.ts";

export function checkConfig(c: ParsedConfig, secretKeys: ReadonlySet<string>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: KeyPath, message: string) => issues.push({ path, message });
  checkCluster(c, secretKeys, add);
  checkAddressClaims(c, add);
  checkPodNetwork(c, add);
  checkTraefik(c, add);
  checkCertManager(c, add);
  checkApps(c, secretKeys, add);
  checkEntry(c, add);
  checkTalosVersions(c, add);
  checkKubernetesPin(c, add);
  checkNetworkPolicyEnforcement(c, add);
  checkEffects(c, add);
  checkPrivateAndPassthrough(c, add);
  return issues;
}

/** Problems worth a reviewer's attention that do not stop a deploy. */
export function configWarnings(c: ParsedConfig): ConfigIssue[] {
  return [
    ...clusterWarnings(c),
    ...networkPolicyWarnings(c),
    ...appWarnings(c),
    ...entryWarnings(c),
    ...effectWarnings(c),
    ...privateWarnings(c),
  ];
}
