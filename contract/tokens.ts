/**
 * Every type token the program registers, the pack and the synth read, and
 * the test twin models, with the markers the synth output writes: defined
 * once, here. A token is identity: a resource's URN carries its type, so a
 * changed value would replace that resource (and a component's children) on
 * every existing stack. Values never change; `test/contract/tokens.test.ts`
 * pins each one.
 */

/** The program's own ComponentResources (`super(COMPONENTS.traefik, …)`). */
export const COMPONENTS = {
  traefik: "homelab:platform:Traefik",
  metallb: "homelab:platform:MetalLB",
  certManager: "homelab:platform:CertManager",
  gatewayApi: "homelab:platform:GatewayApi",
  etcdBackup: "homelab:platform:EtcdBackup",
  talosCluster: "homelab:cluster:TalosCluster",
  existingCluster: "homelab:cluster:ExistingCluster",
  appRoute: "homelab:routes:AppRoute",
  appNamespaces: "homelab:routes:AppNamespaces",
  wildcardCertificates: "homelab:tls:WildcardCertificates",
  lanDns: "homelab:dns:LanDns",
  cloudflareTunnel: "homelab:tunnel:CloudflareTunnel",
  zoneEdge: "homelab:cloudflare:ZoneEdge",
  /** How the plan shows the pack what the program looked up from Cloudflare (cloudflare.ts). */
  cloudflareIpRanges: "homelab:cloudflare:IpRanges",
} as const;

/** Provider resource types, as the providers' SDKs (and the Talos binding, components/talos-provider.ts) register them. */
export const TYPES = {
  // Kubernetes (pulumi-kubernetes)
  namespace: "kubernetes:core/v1:Namespace",
  secret: "kubernetes:core/v1:Secret",
  service: "kubernetes:core/v1:Service",
  serviceAccount: "kubernetes:core/v1:ServiceAccount",
  configMap: "kubernetes:core/v1:ConfigMap",
  deployment: "kubernetes:apps/v1:Deployment",
  cronJob: "kubernetes:batch/v1:CronJob",
  job: "kubernetes:batch/v1:Job",
  podDisruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
  ingress: "kubernetes:networking.k8s.io/v1:Ingress",
  ingressClass: "kubernetes:networking.k8s.io/v1:IngressClass",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  endpointSlice: "kubernetes:discovery.k8s.io/v1:EndpointSlice",
  customResourceDefinition: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
  release: "kubernetes:helm.sh/v3:Release",
  configGroup: "kubernetes:yaml/v2:ConfigGroup",
  configFile: "kubernetes:yaml/v2:ConfigFile",
  configGroupV1: "kubernetes:yaml:ConfigGroup",
  configFileV1: "kubernetes:yaml:ConfigFile",
  ingressRoute: "kubernetes:traefik.io/v1alpha1:IngressRoute",
  ingressRouteTcp: "kubernetes:traefik.io/v1alpha1:IngressRouteTCP",
  middleware: "kubernetes:traefik.io/v1alpha1:Middleware",
  middlewareTcp: "kubernetes:traefik.io/v1alpha1:MiddlewareTCP",
  serversTransport: "kubernetes:traefik.io/v1alpha1:ServersTransport",
  tlsStore: "kubernetes:traefik.io/v1alpha1:TLSStore",
  certificate: "kubernetes:cert-manager.io/v1:Certificate",
  clusterIssuer: "kubernetes:cert-manager.io/v1:ClusterIssuer",
  issuer: "kubernetes:cert-manager.io/v1:Issuer",
  ipAddressPool: "kubernetes:metallb.io/v1beta1:IPAddressPool",
  l2Advertisement: "kubernetes:metallb.io/v1beta1:L2Advertisement",
  bgpAdvertisement: "kubernetes:metallb.io/v1beta1:BGPAdvertisement",
  httpRoute: "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
  grpcRoute: "kubernetes:gateway.networking.k8s.io/v1:GRPCRoute",
  tlsRoute: "kubernetes:gateway.networking.k8s.io/v1:TLSRoute",
  referenceGrant: "kubernetes:gateway.networking.k8s.io/v1beta1:ReferenceGrant",
  k8sProvider: "pulumi:providers:kubernetes",
  // Talos (pulumiverse/pulumi-talos)
  talosSecrets: "talos:machine/secrets:Secrets",
  configurationApply: "talos:machine/configurationApply:ConfigurationApply",
  bootstrap: "talos:machine/bootstrap:Bootstrap",
  kubeconfig: "talos:cluster/kubeconfig:Kubeconfig",
  schematic: "talos:imageFactory/schematic:Schematic",
  // Proxmox VE (muhlba91/pulumi-proxmoxve)
  vm: "proxmoxve:index/vmLegacy:VmLegacy",
  download: "proxmoxve:download/file:File",
  // Cloudflare (pulumi-cloudflare)
  dnsRecord: "cloudflare:index/dnsRecord:DnsRecord",
  tunnel: "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared",
  tunnelConfig: "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig",
  // Command (pulumi-command)
  command: "command:local:Command",
} as const;

/** Provider functions (invokes) the program calls. */
export const INVOKES = {
  talosMachineConfiguration: "talos:machine/getConfiguration:getConfiguration",
  talosClientConfiguration: "talos:client/getConfiguration:getConfiguration",
  talosImageFactoryUrls: "talos:imageFactory/getUrls:getUrls",
  talosClusterHealth: "talos:cluster/getHealth:getHealth",
  cloudflareIpRanges: "cloudflare:index/getIpRanges:getIpRanges",
  cloudflareZone: "cloudflare:index/getZone:getZone",
  cloudflareZoneSetting: "cloudflare:index/getZoneSetting:getZoneSetting",
  cloudflareTunnelToken: "cloudflare:index/getZeroTrustTunnelCloudflaredToken:getZeroTrustTunnelCloudflaredToken",
} as const;

/** How the synth output (and so the offline runner that reads it) shows a secret value. */
export const SECRET_MARKER = "[secret]";
/** How the synth output shows a value only known after deploy; the offline runner treats it as unknown. */
export const UNKNOWN_MARKER = "[unknown]";
/**
 * The real engine hands policies secret values decrypted, so a policy cannot
 * tell a secret from plain text there. The offline runner keeps the synth's
 * markers and says so with this stack tag; rules check secretness only then.
 */
export const SECRET_MARKER_TAG = "homelab:secretMarker";
