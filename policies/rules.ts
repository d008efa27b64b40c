/**
 * The pack's rules, listed explicitly by area. Each factory takes the rule's
 * enforcement level (defaulting to the level README.md's table lists); a
 * stack tunes levels with the pack's config, not here:
 *   pulumi preview --policy-pack policies --policy-pack-config policy-config.json
 *   { "dns-proxied-public-target": "disabled", "traefik-resources-set": { "enforcementLevel": "mandatory" } }
 */
import type { HomelabPolicy } from "./common.ts";
import {
  proxmoxVmCpuType,
  proxmoxVmIgnoresImageChanges,
  talosApiNotThroughVip,
  talosEndpointUsesVip,
  talosImageNocloud,
  talosKubeconfigRenewal,
  statefulResourcesProtected,
  talosSingleBootstrap,
  talosVipControlPlanesOnly,
  talosConfigContract,
  talosConfigChangesRebootOneControlPlane,
  talosFirewallAdminAccess,
  talosFirewallClusterPorts,
} from "./talos.ts";
import {
  traefikAcmeSingleReplica,
  traefikCapabilities,
  traefikControlPlanePlacement,
  traefikDeploymentAvailability,
  traefikHostNetworkPorts,
  traefikHostNetworkPrivilegedNamespace,
  traefikHostNetworkRollingUpdate,
  traefikResourcesSet,
  traefikSecurityContext,
} from "./traefik.ts";
import {
  ingressClassUnique,
  traefikDashboardNotExposed,
  traefikForwardedHeadersCloudflareOnly,
  traefikInternalEntryPointsLoopback,
  traefikProvidersMatchRoutes,
} from "./traefik-exposure.ts";
import { kubernetesExplicitProvider, loadBalancerIpPinned, metallbPoolAdvertised, namespacePodSecurityEnforced } from "./kubernetes.ts";
import { customResourcesWaitForCrds, helmImageTagPinned, helmReleasePinned, helmValuesCurrentShapes, traefikCrdsUpgraded } from "./helm.ts";
import {
  ingressClassServed,
  middlewareReferencesExist,
  networkPoliciesEnforced,
  networkPolicyMatchesTraefikPlacement,
  routeHostPathUnique,
} from "./routes.ts";
import {
  certManagerDns01RecursiveNameservers,
  ingressRouteTlsFromCertificate,
  ingressTlsIssued,
  tlsHostInIssuerZone,
  tlsIssuerExists,
} from "./tls.ts";
import { dnsProxiedPublicTarget, dnsTargetsIngressEntry, routeHostHasDnsRecord } from "./dns.ts";
import { credentialsInKubernetesSecrets, noSecretsInHelmValues } from "./secrets.ts";
import { cloudflareZoneSslMode, tunnelHostNoARecord, tunnelIngressTargetsTraefik } from "./tunnel.ts";
import { gatewayRouteAttached, gatewayRouteReferencesExist, gatewayTlsIssued } from "./gateway.ts";
import { privateAppClosedToInternet } from "./private.ts";

export function homelabPolicies(): HomelabPolicy[] {
  return [
    // Talos and Proxmox
    talosVipControlPlanesOnly(),
    talosEndpointUsesVip(),
    talosApiNotThroughVip(),
    talosSingleBootstrap(),
    statefulResourcesProtected(),
    talosImageNocloud(),
    talosKubeconfigRenewal(),
    talosConfigContract(),
    talosConfigChangesRebootOneControlPlane(),
    proxmoxVmIgnoresImageChanges(),
    proxmoxVmCpuType(),
    talosFirewallAdminAccess(),
    talosFirewallClusterPorts(),
    // Traefik
    traefikHostNetworkRollingUpdate(),
    traefikCapabilities(),
    traefikSecurityContext(),
    traefikHostNetworkPrivilegedNamespace(),
    traefikHostNetworkPorts(),
    traefikInternalEntryPointsLoopback(),
    traefikControlPlanePlacement(),
    traefikAcmeSingleReplica(),
    traefikDashboardNotExposed(),
    traefikForwardedHeadersCloudflareOnly(),
    traefikProvidersMatchRoutes(),
    ingressClassUnique(),
    traefikResourcesSet(),
    traefikDeploymentAvailability(),
    // Kubernetes and MetalLB
    namespacePodSecurityEnforced(),
    kubernetesExplicitProvider(),
    loadBalancerIpPinned(),
    metallbPoolAdvertised(),
    // Helm
    helmReleasePinned(),
    helmImageTagPinned(),
    helmValuesCurrentShapes(),
    traefikCrdsUpgraded(),
    customResourcesWaitForCrds(),
    // Routes and TLS
    ingressClassServed(),
    routeHostPathUnique(),
    middlewareReferencesExist(),
    networkPolicyMatchesTraefikPlacement(),
    networkPoliciesEnforced(),
    ingressTlsIssued(),
    tlsIssuerExists(),
    ingressRouteTlsFromCertificate(),
    tlsHostInIssuerZone(),
    certManagerDns01RecursiveNameservers(),
    // DNS
    routeHostHasDnsRecord(),
    dnsTargetsIngressEntry(),
    dnsProxiedPublicTarget(),
    // Cloudflare Tunnel and edge
    tunnelIngressTargetsTraefik(),
    tunnelHostNoARecord(),
    cloudflareZoneSslMode(),
    // Private apps
    privateAppClosedToInternet(),
    // Secrets
    credentialsInKubernetesSecrets(),
    noSecretsInHelmValues(),
    // Gateway API
    gatewayRouteAttached(),
    gatewayRouteReferencesExist(),
    gatewayTlsIssued(),
  ];
}
