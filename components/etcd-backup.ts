/**
 * etcd snapshots on a schedule: a restricted namespace, the S3 credentials as a
 * Kubernetes Secret built from secret config values, the talos.dev
 * ServiceAccount that gets the pod its Talos certificate, and the CronJob.
 */
import * as pulumi from "@pulumi/pulumi";
import { Namespace } from "@pulumi/kubernetes/core/v1/namespace.js";
import { Secret } from "@pulumi/kubernetes/core/v1/secret.js";
import { CronJob } from "@pulumi/kubernetes/batch/v1/cronJob.js";
import { CustomResource } from "@pulumi/kubernetes/apiextensions/customResource.js";
import type { EtcdBackupSpec } from "../model/resolve.ts";
import { namespaceManifest } from "../builders/namespaces.ts";
import {
  CREDENTIALS_SECRET,
  ETCD_BACKUP_NAMESPACE,
  etcdBackupCronJobManifest,
  etcdBackupLifecycle,
  talosServiceAccountManifest,
} from "../builders/etcd-backup.ts";
import { COMPONENTS } from "../contract/tokens.ts";

export interface EtcdBackupArgs {
  readonly backup: EtcdBackupSpec;
  readonly clusterName: string;
  readonly accessKeyId: pulumi.Output<string>;
  readonly secretAccessKey: pulumi.Output<string>;
}

export class EtcdBackup extends pulumi.ComponentResource {
  /** The bucket lifecycle configuration that enforces retentionDays (talos-backup never deletes). */
  readonly lifecycle: string;

  constructor(name: string, args: EtcdBackupArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENTS.etcdBackup, name, {}, opts);
    const namespace = new Namespace(`${name}-namespace`, namespaceManifest(ETCD_BACKUP_NAMESPACE, "restricted"), { parent: this });
    const inNamespace = { parent: this, dependsOn: [namespace] };
    const credentials = new Secret(
      `${name}-s3`,
      {
        metadata: { name: CREDENTIALS_SECRET.name, namespace: ETCD_BACKUP_NAMESPACE },
        type: "Opaque",
        stringData: {
          [CREDENTIALS_SECRET.accessKeyId]: pulumi.secret(args.accessKeyId),
          [CREDENTIALS_SECRET.secretAccessKey]: pulumi.secret(args.secretAccessKey),
        },
      },
      inNamespace,
    );
    const serviceAccount = new CustomResource(`${name}-talos-serviceaccount`, talosServiceAccountManifest(), inNamespace);
    new CronJob(`${name}-cronjob`, etcdBackupCronJobManifest(args.backup, args.clusterName), {
      parent: this,
      dependsOn: [credentials, serviceAccount],
    });

    this.lifecycle = etcdBackupLifecycle(args.backup);
    this.registerOutputs({ lifecycle: this.lifecycle });
  }
}
