/**
 * The shape of `out/<stack>/resources.json`: what synth records of each
 * registration, and what the offline runner turns back into the resources a
 * real preview hands the pack.
 */

export interface ResourceOptionsRecord {
  readonly protect?: true;
  readonly dependsOn?: readonly string[];
  readonly ignoreChanges?: readonly string[];
  readonly replaceOnChanges?: readonly string[];
  readonly provider?: string;
  readonly version?: string;
  readonly pluginDownloadURL?: string;
  readonly additionalSecretOutputs?: readonly string[];
  readonly deleteBeforeReplace?: true;
  readonly retainOnDelete?: true;
  readonly aliases?: number;
}

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  /** `<type>::<name>` of the parent, the tail of its URN. */
  readonly parent?: string;
  readonly custom: boolean;
  readonly inputs: Record<string, unknown>;
  readonly options: ResourceOptionsRecord;
  /**
   * A component's outputs: exactly what it passed to `registerOutputs`, what the
   * engine stores and hands stack policies (absent when it registered none).
   */
  readonly outputs?: Record<string, unknown>;
}

/** One invoke the program made, with its arguments as the provider receives them (secrets masked). */
export interface RecordedInvoke {
  readonly token: string;
  readonly args: Record<string, unknown>;
}

export interface SynthDocument {
  readonly stack: string;
  readonly project: string;
  /** Sorted by type, then name. */
  readonly resources: readonly RecordedResource[];
  /** Every invoke of the run, sorted by token, then arguments. */
  readonly invokes?: readonly RecordedInvoke[];
  readonly outputs: unknown;
}
