/**
 * A typed binding of the pulumiverse Talos provider (pulumi-talos v0.8.1, which
 * wraps terraform-provider-talos v0.11.0), for registries that do not serve
 * `@pulumiverse/talos`. Resources and invokes use the provider's own type tokens,
 * inputs and outputs, and the resource option defaults its SDK sets (`version`,
 * `pluginDownloadURL`), so a real `pulumi up` downloads and runs the real plugin
 * and the state is the same as with the SDK.
 *
 * Beyond the SDK, outputs holding key material (`machineSecrets`,
 * `clientConfiguration`, Kubernetes client keys, generated machine configs,
 * talosconfig) are marked secret here too: the provider marks them sensitive at
 * run time, and marking them in the program keeps them secret under the mocks
 * the offline synth runs on as well.
 *
 * Swapping in the SDK where `@pulumiverse/talos` is installable
 * (`npm install @pulumiverse/talos@0.8.1`), import it instead of this module:
 *   Secrets                       → talos.machine.Secrets
 *   ConfigurationApply            → talos.machine.ConfigurationApply
 *   Bootstrap                     → talos.machine.Bootstrap
 *   Kubeconfig                    → talos.cluster.Kubeconfig
 *   Schematic                     → talos.imagefactory.Schematic
 *   getMachineConfigurationOutput → talos.machine.getConfigurationOutput
 *   getClientConfigurationOutput  → talos.client.getConfigurationOutput
 *   getImageFactoryUrlsOutput     → talos.imagefactory.getUrlsOutput
 *   getClusterHealthOutput        → talos.cluster.getHealthOutput
 * Arguments and outputs keep their names; the state needs no migration because
 * the type tokens are the same.
 */
import * as pulumi from "@pulumi/pulumi";
import { TYPES, INVOKES } from "../contract/tokens.ts";

/** The SDK release whose plugin the engine downloads. */
export const TALOS_PROVIDER_VERSION = "0.8.1";
export const TALOS_PLUGIN_DOWNLOAD_URL = "github://api.github.com/pulumiverse";

/** The options the SDK merges under the caller's on every resource and invoke. */
function talosOptionDefaults(): { version: string; pluginDownloadURL: string } {
  return { version: TALOS_PROVIDER_VERSION, pluginDownloadURL: TALOS_PLUGIN_DOWNLOAD_URL };
}

function resourceOptions(opts: pulumi.CustomResourceOptions | undefined, secretOutputs: readonly string[]): pulumi.CustomResourceOptions {
  const merged = pulumi.mergeOptions(talosOptionDefaults(), opts ?? {});
  return secretOutputs.length ? pulumi.mergeOptions(merged, { additionalSecretOutputs: [...secretOutputs] }) : merged;
}

function invokeOptions(opts: pulumi.InvokeOutputOptions | undefined): pulumi.InvokeOutputOptions {
  return pulumi.mergeOptions(talosOptionDefaults(), opts ?? {}) as pulumi.InvokeOutputOptions;
}

// ── types (the provider schema's names) ─────────────────────────────────────

export interface ClientConfiguration {
  readonly caCertificate: string;
  readonly clientCertificate: string;
  readonly clientKey: string;
}

interface CertificateAndKey {
  readonly cert: string;
  readonly key: string;
}

export interface MachineSecrets {
  readonly certs: {
    readonly etcd: CertificateAndKey;
    readonly k8s: CertificateAndKey;
    readonly k8sAggregator: CertificateAndKey;
    readonly k8sServiceaccount: { readonly key: string };
    readonly os: CertificateAndKey;
  };
  readonly cluster: { readonly id: string; readonly secret: string };
  readonly secrets: {
    readonly bootstrapToken: string;
    readonly secretboxEncryptionSecret: string;
    readonly aescbcEncryptionSecret?: string;
  };
  readonly trustdinfo: { readonly token: string };
}

export type MachineType = "controlplane" | "worker";

export interface Timeouts {
  readonly create?: string;
  readonly update?: string;
  readonly delete?: string;
}

// ── resources ───────────────────────────────────────────────────────────────

export interface SecretsArgs {
  /** The Talos version contract the secrets are generated for, e.g. `v1.13.9`. */
  readonly talosVersion?: pulumi.Input<string>;
}

/** Machine secrets (PKI, tokens) of one cluster; the provider renews the client certificate within a month of expiry on `pulumi up`. */
export class Secrets extends pulumi.CustomResource {
  static readonly __pulumiType = TYPES.talosSecrets;
  declare readonly clientConfiguration: pulumi.Output<ClientConfiguration>;
  declare readonly machineSecrets: pulumi.Output<MachineSecrets>;
  declare readonly talosVersion: pulumi.Output<string>;

  constructor(name: string, args: SecretsArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(
      Secrets.__pulumiType,
      name,
      {
        talosVersion: args.talosVersion,
        clientConfiguration: undefined,
        machineSecrets: undefined,
      },
      resourceOptions(opts, ["clientConfiguration", "machineSecrets"]),
    );
  }
}

export interface ConfigurationApplyArgs {
  /** The node's address (the Talos API target). */
  readonly node: pulumi.Input<string>;
  readonly endpoint?: pulumi.Input<string>;
  readonly clientConfiguration?: pulumi.Input<ClientConfiguration>;
  readonly machineConfigurationInput?: pulumi.Input<string>;
  /** YAML patch documents applied on top of the machine configuration input. */
  readonly configPatches?: pulumi.Input<pulumi.Input<string>[]>;
  readonly applyMode?: pulumi.Input<"auto" | "no_reboot" | "reboot" | "staged" | "staged_if_needing_reboot">;
  readonly onDestroy?: pulumi.Input<{ readonly graceful?: boolean; readonly reboot?: boolean; readonly reset?: boolean }>;
  readonly timeouts?: pulumi.Input<Timeouts>;
}

export class ConfigurationApply extends pulumi.CustomResource {
  static readonly __pulumiType = TYPES.configurationApply;
  declare readonly node: pulumi.Output<string>;
  declare readonly endpoint: pulumi.Output<string>;
  declare readonly configPatches: pulumi.Output<string[] | undefined>;
  declare readonly applyMode: pulumi.Output<string>;
  declare readonly machineConfiguration: pulumi.Output<string>;
  declare readonly machineConfigurationHash: pulumi.Output<string>;
  declare readonly resolvedApplyMode: pulumi.Output<string>;

  constructor(name: string, args: ConfigurationApplyArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      ConfigurationApply.__pulumiType,
      name,
      {
        applyMode: args.applyMode,
        clientConfiguration: args.clientConfiguration,
        configPatches: args.configPatches,
        endpoint: args.endpoint,
        machineConfigurationInput: args.machineConfigurationInput ? pulumi.secret(args.machineConfigurationInput) : undefined,
        node: args.node,
        onDestroy: args.onDestroy,
        timeouts: args.timeouts,
        machineConfiguration: undefined,
        machineConfigurationHash: undefined,
        resolvedApplyMode: undefined,
      },
      resourceOptions(opts, ["clientConfigurationWo", "machineConfiguration", "machineConfigurationInput", "machineConfigurationInputWo"]),
    );
  }
}

export interface BootstrapArgs {
  readonly node: pulumi.Input<string>;
  readonly endpoint?: pulumi.Input<string>;
  readonly clientConfiguration?: pulumi.Input<ClientConfiguration>;
  readonly timeouts?: pulumi.Input<Pick<Timeouts, "create">>;
}

/** Bootstraps etcd on one control plane; it must happen exactly once per cluster. */
export class Bootstrap extends pulumi.CustomResource {
  static readonly __pulumiType = TYPES.bootstrap;
  declare readonly node: pulumi.Output<string>;
  declare readonly endpoint: pulumi.Output<string>;

  constructor(name: string, args: BootstrapArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      Bootstrap.__pulumiType,
      name,
      {
        clientConfiguration: args.clientConfiguration,
        endpoint: args.endpoint,
        node: args.node,
        timeouts: args.timeouts,
      },
      resourceOptions(opts, ["clientConfigurationWo"]),
    );
  }
}

export interface KubeconfigArgs {
  readonly node: pulumi.Input<string>;
  readonly clientConfiguration: pulumi.Input<ClientConfiguration>;
  readonly endpoint?: pulumi.Input<string>;
  /**
   * A Go duration (provider default `720h`): when the kubeconfig's client
   * certificate expires within it, the next `pulumi up` fetches a new one.
   */
  readonly certificateRenewalDuration?: pulumi.Input<string>;
  readonly timeouts?: pulumi.Input<Pick<Timeouts, "create" | "update">>;
}

export interface KubernetesClientConfiguration {
  readonly host: string;
  readonly caCertificate: string;
  readonly clientCertificate: string;
  readonly clientKey: string;
}

export class Kubeconfig extends pulumi.CustomResource {
  static readonly __pulumiType = TYPES.kubeconfig;
  declare readonly node: pulumi.Output<string>;
  declare readonly endpoint: pulumi.Output<string>;
  declare readonly certificateRenewalDuration: pulumi.Output<string>;
  declare readonly kubeconfigRaw: pulumi.Output<string>;
  declare readonly kubernetesClientConfiguration: pulumi.Output<KubernetesClientConfiguration>;

  constructor(name: string, args: KubeconfigArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      Kubeconfig.__pulumiType,
      name,
      {
        certificateRenewalDuration: args.certificateRenewalDuration,
        clientConfiguration: args.clientConfiguration,
        endpoint: args.endpoint,
        node: args.node,
        timeouts: args.timeouts,
        kubeconfigRaw: undefined,
        kubernetesClientConfiguration: undefined,
      },
      resourceOptions(opts, ["kubeconfigRaw", "kubernetesClientConfiguration"]),
    );
  }
}

export interface SchematicArgs {
  /** The Image Factory schematic as YAML (extensions, extra kernel arguments). */
  readonly schematic?: pulumi.Input<string>;
}

/** Registers a schematic with the Image Factory; `id` names its images and installers. */
export class Schematic extends pulumi.CustomResource {
  static readonly __pulumiType = TYPES.schematic;
  declare readonly schematic: pulumi.Output<string | undefined>;

  constructor(name: string, args: SchematicArgs = {}, opts?: pulumi.CustomResourceOptions) {
    super(Schematic.__pulumiType, name, { schematic: args.schematic }, resourceOptions(opts, []));
  }
}

// ── invokes ─────────────────────────────────────────────────────────────────

export interface GetMachineConfigurationArgs {
  readonly clusterName: pulumi.Input<string>;
  readonly clusterEndpoint: pulumi.Input<string>;
  readonly machineSecrets: pulumi.Input<MachineSecrets>;
  readonly machineType: pulumi.Input<MachineType>;
  readonly configPatches?: pulumi.Input<pulumi.Input<string>[]>;
  readonly kubernetesVersion?: pulumi.Input<string>;
  readonly talosVersion?: pulumi.Input<string>;
  readonly docs?: pulumi.Input<boolean>;
  readonly examples?: pulumi.Input<boolean>;
}

export interface GetMachineConfigurationResult {
  readonly id: string;
  readonly clusterName: string;
  readonly clusterEndpoint: string;
  readonly machineType: string;
  readonly machineConfiguration: string;
}

/** A role's generated machine configuration (secret: it embeds the cluster's keys). */
export function getMachineConfigurationOutput(
  args: GetMachineConfigurationArgs,
  opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<GetMachineConfigurationResult> {
  return pulumi.secret(
    pulumi.runtime.invokeOutput<GetMachineConfigurationResult>(INVOKES.talosMachineConfiguration, { ...args }, invokeOptions(opts)),
  );
}

export interface GetClientConfigurationArgs {
  readonly clusterName: pulumi.Input<string>;
  readonly clientConfiguration: pulumi.Input<ClientConfiguration>;
  readonly endpoints?: pulumi.Input<pulumi.Input<string>[]>;
  readonly nodes?: pulumi.Input<pulumi.Input<string>[]>;
}

export interface GetClientConfigurationResult {
  readonly id: string;
  readonly clusterName: string;
  readonly talosConfig: string;
}

/** The talosconfig for talosctl (secret: it holds the admin client key). */
export function getClientConfigurationOutput(
  args: GetClientConfigurationArgs,
  opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<GetClientConfigurationResult> {
  return pulumi.secret(
    pulumi.runtime.invokeOutput<GetClientConfigurationResult>(INVOKES.talosClientConfiguration, { ...args }, invokeOptions(opts)),
  );
}

export interface GetImageFactoryUrlsArgs {
  readonly schematicId: pulumi.Input<string>;
  readonly talosVersion: pulumi.Input<string>;
  readonly platform?: pulumi.Input<string>;
  readonly architecture?: pulumi.Input<"amd64" | "arm64">;
  readonly sbc?: pulumi.Input<string>;
}

export interface ImageFactoryUrls {
  readonly installer: string;
  readonly installerSecureboot: string;
  readonly iso: string;
  readonly isoSecureboot: string;
  readonly diskImage: string;
  readonly diskImageSecureboot: string;
  readonly pxe: string;
  readonly kernel: string;
  readonly kernelCommandLine: string;
  readonly initramfs: string;
  readonly uki: string;
}

export interface GetImageFactoryUrlsResult {
  readonly id: string;
  readonly schematicId: string;
  readonly talosVersion: string;
  readonly platform?: string;
  readonly architecture: string;
  readonly urls: ImageFactoryUrls;
}

/** The Image Factory URLs (disk image, installer, ISO, …) of a schematic and Talos version. */
export function getImageFactoryUrlsOutput(
  args: GetImageFactoryUrlsArgs,
  opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<GetImageFactoryUrlsResult> {
  return pulumi.runtime.invokeOutput<GetImageFactoryUrlsResult>(INVOKES.talosImageFactoryUrls, { ...args }, invokeOptions(opts));
}

export interface GetClusterHealthArgs {
  readonly clientConfiguration: pulumi.Input<ClientConfiguration>;
  /** Control-plane node IPs (IPs, not names: the checks compare them with the addresses Kubernetes reports). */
  readonly controlPlaneNodes: pulumi.Input<pulumi.Input<string>[]>;
  /** Talos API endpoints of the health client: control-plane addresses. */
  readonly endpoints: pulumi.Input<pulumi.Input<string>[]>;
  readonly workerNodes?: pulumi.Input<pulumi.Input<string>[]>;
  /** Only wait for the nodes to boot and the kubelet to run, not for Kubernetes' components (provider default false). */
  readonly skipKubernetesChecks?: pulumi.Input<boolean>;
  /** A Go duration for the whole wait (provider default `10m`). */
  readonly timeouts?: pulumi.Input<{ readonly read?: string }>;
}

export interface GetClusterHealthResult {
  readonly id: string;
  readonly clientConfiguration: ClientConfiguration;
  readonly controlPlaneNodes: string[];
  readonly endpoints: string[];
  readonly workerNodes?: string[];
  readonly skipKubernetesChecks?: boolean;
  readonly timeouts?: { readonly read?: string };
}

/**
 * Waits until the cluster is healthy: etcd, every listed node booted and Ready,
 * and (unless skipped) the Kubernetes control plane answering. Secret: the
 * result echoes the client key.
 */
export function getClusterHealthOutput(
  args: GetClusterHealthArgs,
  opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<GetClusterHealthResult> {
  return pulumi.secret(pulumi.runtime.invokeOutput<GetClusterHealthResult>(INVOKES.talosClusterHealth, { ...args }, invokeOptions(opts)));
}
