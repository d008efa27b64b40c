/**
 * Scheduled etcd snapshots with Sidero's talos-backup, as plain manifests: the
 * Talos API access the control planes must grant, the talos.dev ServiceAccount
 * that hands the pod a Talos client certificate limited to `os:etcd:backup`,
 * the CronJob, and the bucket lifecycle rule that enforces retention (the tool
 * itself only uploads). No Pulumi resources here.
 */
import type { EtcdBackupSpec, TalosClusterSpec } from "../model/resolve.ts";
import type { NodeRole } from "../model/schema.ts";
import type { TalosPatch } from "./talos-patches.ts";

export const ETCD_BACKUP_NAMESPACE = "etcd-backup";
const NAME = "talos-backup";
/** The Talos role that may take an etcd snapshot and nothing else. */
const ETCD_BACKUP_ROLE = "os:etcd:backup";
/** Where talos-backup reads the talosconfig Talos writes into the ServiceAccount's Secret. */
const TALOS_SECRET_MOUNT = "/var/run/secrets/talos.dev";
/** The UID the upstream sample runs as; the image is a static binary on scratch and needs no user entry. */
const RUN_AS = 1000;

export const CREDENTIALS_SECRET = {
  name: `${NAME}-s3`,
  accessKeyId: "AWS_ACCESS_KEY_ID",
  secretAccessKey: "AWS_SECRET_ACCESS_KEY",
} as const;

/**
 * Control planes only: the pod's Talos API calls reach apid on the control planes
 * (through the `talos` Service in `default`), which checks the certificate's role
 * against this list and the pod's namespace against the allowed namespaces.
 */
export function etcdBackupRolePatches(cluster: TalosClusterSpec, role: NodeRole): TalosPatch[] {
  if (!cluster.backup || role !== "controlplane") return [];
  return [
    {
      machine: {
        features: {
          kubernetesTalosAPIAccess: {
            enabled: true,
            allowedRoles: [ETCD_BACKUP_ROLE],
            allowedKubernetesNamespaces: [ETCD_BACKUP_NAMESPACE],
          },
        },
      },
    },
  ];
}

/** Talos answers this object with a Secret of the same name holding a talosconfig for the role. */
export function talosServiceAccountManifest() {
  return {
    apiVersion: "talos.dev/v1alpha1",
    kind: "ServiceAccount",
    metadata: { name: NAME, namespace: ETCD_BACKUP_NAMESPACE },
    spec: { roles: [ETCD_BACKUP_ROLE] },
  };
}

/** Plain settings only; the S3 credentials come from CREDENTIALS_SECRET. */
function environment(backup: EtcdBackupSpec, clusterName: string): { name: string; value: string }[] {
  const s3 = backup.s3;
  return [
    { name: "AWS_REGION", value: s3.region },
    ...(s3.endpoint ? [{ name: "CUSTOM_S3_ENDPOINT", value: s3.endpoint }] : []),
    { name: "BUCKET", value: s3.bucket },
    { name: "CLUSTER_NAME", value: clusterName },
    { name: "S3_PREFIX", value: s3.prefix },
    // v0.1.0-beta.3 reads this variable inverted (path style when it is "false"); fixed upstream after the release.
    { name: "USE_PATH_STYLE", value: s3.pathStyle ? "false" : "true" },
    { name: "AGE_X25519_PUBLIC_KEY", value: backup.agePublicKey },
  ];
}

/**
 * One snapshot at a time (Forbid), runnable under the `restricted` Pod Security
 * level: non-root, no privilege escalation, no capabilities, RuntimeDefault
 * seccomp, read-only root with the snapshot written to an emptyDir.
 */
export function etcdBackupCronJobManifest(backup: EtcdBackupSpec, clusterName: string) {
  return {
    apiVersion: "batch/v1" as const,
    kind: "CronJob" as const,
    metadata: { name: NAME, namespace: ETCD_BACKUP_NAMESPACE },
    spec: {
      schedule: backup.schedule,
      concurrencyPolicy: "Forbid",
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
      jobTemplate: {
        spec: {
          backoffLimit: 2,
          template: {
            metadata: { labels: { "app.kubernetes.io/name": NAME } },
            spec: {
              restartPolicy: "Never",
              automountServiceAccountToken: false,
              securityContext: { runAsNonRoot: true, runAsUser: RUN_AS, runAsGroup: RUN_AS, seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: NAME,
                  image: backup.image,
                  imagePullPolicy: "IfNotPresent",
                  workingDir: "/tmp",
                  command: ["/talos-backup"],
                  env: [
                    ...environment(backup, clusterName),
                    {
                      name: CREDENTIALS_SECRET.accessKeyId,
                      valueFrom: { secretKeyRef: { name: CREDENTIALS_SECRET.name, key: CREDENTIALS_SECRET.accessKeyId } },
                    },
                    {
                      name: CREDENTIALS_SECRET.secretAccessKey,
                      valueFrom: { secretKeyRef: { name: CREDENTIALS_SECRET.name, key: CREDENTIALS_SECRET.secretAccessKey } },
                    },
                  ],
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                  resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "512Mi" } },
                  volumeMounts: [
                    { name: "tmp", mountPath: "/tmp" },
                    { name: "talos-secrets", mountPath: TALOS_SECRET_MOUNT, readOnly: true },
                  ],
                },
              ],
              volumes: [
                { name: "tmp", emptyDir: {} },
                { name: "talos-secrets", secret: { secretName: NAME } },
              ],
            },
          },
        },
      },
    },
  };
}

/**
 * talos-backup never deletes a snapshot. This is the S3 lifecycle configuration
 * that expires them, for `aws s3api put-bucket-lifecycle-configuration` (or the
 * storage's equivalent); the stack cannot apply it without an S3 provider.
 */
export function etcdBackupLifecycle(backup: EtcdBackupSpec): string {
  return JSON.stringify({
    Rules: [
      {
        ID: `expire-etcd-snapshots-${backup.retentionDays}d`,
        Status: "Enabled",
        Filter: { Prefix: `${backup.s3.prefix}/` },
        Expiration: { Days: backup.retentionDays },
      },
    ],
  });
}
