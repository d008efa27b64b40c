import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { INVOKES, TYPES } from "../../contract/tokens.ts";
import { parse } from "yaml";
import { findResource, ofType, type ProgramRun } from "../../synth/recorder.ts";
import { runStack } from "../helpers/runtime-warnings.ts";
import { etcdBackupLifecycle } from "../../builders/etcd-backup.ts";
import {
  changedStackConfig,
  configFrom,
  fixtureRaw,
  itRejectsEach,
  validConfig,
  type BadConfigCase,
  fixtureStack,
} from "../helpers/config.ts";

const AGE_KEY = "age1vjlejmapfvprsdfyx7mhjmsg8yha4shm7qda3lvz9q7vfcsq36cq0sa2rc";
const T = {
  cronJob: TYPES.cronJob,
  secret: TYPES.secret,
  namespace: TYPES.namespace,
  talosServiceAccount: "kubernetes:talos.dev/v1alpha1:ServiceAccount",
} as const;

interface PodInputs {
  readonly securityContext: unknown;
  readonly automountServiceAccountToken: boolean;
  readonly volumes: unknown;
  readonly containers: readonly {
    readonly image: string;
    readonly env: unknown;
    readonly securityContext: unknown;
    readonly volumeMounts: unknown;
  }[];
}
interface CronJobInputs {
  readonly metadata: unknown;
  readonly spec: {
    readonly schedule: string;
    readonly concurrencyPolicy: string;
    readonly jobTemplate: { readonly spec: { readonly template: { readonly spec: PodInputs } } };
  };
}
const cronJobOf = (run: ProgramRun<unknown>) => findResource(run, T.cronJob, "etcd-backup-cronjob").inputs as unknown as CronJobInputs;

describe("etcd backups (homelab stack: MinIO endpoint, defaults otherwise)", () => {
  let run: ProgramRun<Record<string, unknown>>;
  before(async () => {
    run = await runStack(fixtureStack("deployment-behind-metallb"));
  });

  it("grants the etcd-backup namespace the os:etcd:backup role on the control planes only", () => {
    const generated = run.invokes.filter((i) => i.token === INVOKES.talosMachineConfiguration);
    const patchesOf = (role: string) =>
      (generated.find((g) => g.args.machineType === role)!.args.configPatches as string[]).map((p) => parse(p));
    assert.deepEqual(patchesOf("controlplane"), [
      {
        machine: {
          features: {
            kubernetesTalosAPIAccess: { enabled: true, allowedRoles: ["os:etcd:backup"], allowedKubernetesNamespaces: ["etcd-backup"] },
          },
        },
      },
    ]);
    assert.deepEqual(patchesOf("worker"), []);
  });

  it("runs in its own namespace that enforces the restricted Pod Security level", () => {
    const ns = findResource(run, T.namespace, "etcd-backup-namespace").inputs as {
      metadata: { name: string; labels: Record<string, string> };
    };
    assert.deepEqual([ns.metadata.name, ns.metadata.labels["pod-security.kubernetes.io/enforce"]], ["etcd-backup", "restricted"]);
  });

  it("asks Talos for a client certificate limited to os:etcd:backup through a talos.dev ServiceAccount", () => {
    assert.deepEqual(findResource(run, T.talosServiceAccount, "etcd-backup-talos-serviceaccount").inputs, {
      apiVersion: "talos.dev/v1alpha1",
      kind: "ServiceAccount",
      metadata: { name: "talos-backup", namespace: "etcd-backup" },
      spec: { roles: ["os:etcd:backup"] },
    });
  });

  it("keeps the S3 credentials in a Secret whose data stays a Pulumi secret, never plain text", () => {
    const secret = findResource(run, T.secret, "etcd-backup-s3").inputs;
    assert.deepEqual(secret, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "talos-backup-s3", namespace: "etcd-backup" },
      type: "Opaque",
      stringData: { AWS_ACCESS_KEY_ID: "[secret]", AWS_SECRET_ACCESS_KEY: "[secret]" },
    });
    assert.doesNotMatch(JSON.stringify(run.resources), /placeholder:etcd-backup/);
  });

  it("schedules the pinned talos-backup image with the bucket settings, credentials from the Secret, and the Talos certificate mounted", () => {
    const job = cronJobOf(run);
    assert.deepEqual(
      [job.metadata, job.spec.schedule, job.spec.concurrencyPolicy],
      [{ name: "talos-backup", namespace: "etcd-backup" }, "30 */6 * * *", "Forbid"],
    );
    const pod = job.spec.jobTemplate.spec.template.spec;
    const container = pod.containers[0]!;
    assert.equal(container.image, "ghcr.io/siderolabs/talos-backup:v0.1.0-beta.3");
    assert.deepEqual(container.env, [
      { name: "AWS_REGION", value: "us-east-1" },
      { name: "CUSTOM_S3_ENDPOINT", value: "https://minio.lan:9000" },
      { name: "BUCKET", value: "homelab-etcd" },
      { name: "CLUSTER_NAME", value: "homelab" },
      { name: "S3_PREFIX", value: "homelab" },
      // Path style for a self-hosted endpoint; beta.3 reads the variable inverted.
      { name: "USE_PATH_STYLE", value: "false" },
      { name: "AGE_X25519_PUBLIC_KEY", value: AGE_KEY },
      { name: "AWS_ACCESS_KEY_ID", valueFrom: { secretKeyRef: { name: "talos-backup-s3", key: "AWS_ACCESS_KEY_ID" } } },
      { name: "AWS_SECRET_ACCESS_KEY", valueFrom: { secretKeyRef: { name: "talos-backup-s3", key: "AWS_SECRET_ACCESS_KEY" } } },
    ]);
    assert.deepEqual(pod.volumes, [
      { name: "tmp", emptyDir: {} },
      { name: "talos-secrets", secret: { secretName: "talos-backup" } },
    ]);
    assert.deepEqual(container.volumeMounts, [
      { name: "tmp", mountPath: "/tmp" },
      { name: "talos-secrets", mountPath: "/var/run/secrets/talos.dev", readOnly: true },
    ]);
  });

  it("meets the restricted Pod Security level: non-root, no escalation, no capabilities, RuntimeDefault seccomp", () => {
    const pod = cronJobOf(run).spec.jobTemplate.spec.template.spec;
    assert.deepEqual(pod.securityContext, {
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      seccompProfile: { type: "RuntimeDefault" },
    });
    assert.deepEqual(pod.containers[0]!.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    assert.equal(pod.automountServiceAccountToken, false);
  });

  it("exports the bucket lifecycle rule that expires snapshots after retentionDays under the prefix", () => {
    assert.deepEqual(JSON.parse(String((run.outputs as Record<string, unknown>).etcdBackupLifecycle)), {
      Rules: [{ ID: "expire-etcd-snapshots-30d", Status: "Enabled", Filter: { Prefix: "homelab/" }, Expiration: { Days: 30 } }],
    });
  });

  it("creates the Secret and the ServiceAccount before the CronJob that reads them", () => {
    assert.deepEqual(findResource(run, T.cronJob, "etcd-backup-cronjob").options.dependsOn, [
      `${T.secret}::etcd-backup-s3`,
      `${T.talosServiceAccount}::etcd-backup-talos-serviceaccount`,
    ]);
  });
});

describe("etcd backup settings", () => {
  it("uses virtual-hosted bucket URLs for AWS (no endpoint) and the configured prefix", () => {
    const cluster = validConfig("deployment-behind-metallb", {
      "cluster.backup.s3.endpoint": undefined,
      "cluster.backup.s3.prefix": "etcd/homelab",
      "cluster.backup.retentionDays": 7,
    }).cluster;
    assert.equal(cluster.provider, "talos");
    if (cluster.provider !== "talos") return;
    assert.deepEqual(
      [cluster.backup?.s3.pathStyle, cluster.backup?.s3.prefix, cluster.backup?.s3.endpoint],
      [false, "etcd/homelab", undefined],
    );
    assert.deepEqual(JSON.parse(etcdBackupLifecycle(cluster.backup!)).Rules[0].Filter, { Prefix: "etcd/homelab/" });
  });

  it("registers no backup resource and no Talos API access when cluster.backup is left out", async () => {
    const run = await runStack(changedStackConfig(fixtureStack("deployment-behind-metallb"), { "cluster.backup": undefined }));
    assert.deepEqual(
      run.resources.filter((r) => r.name.startsWith("etcd-backup")),
      [],
    );
    const cp = run.invokes.find((i) => i.token === INVOKES.talosMachineConfiguration && i.args.machineType === "controlplane")!;
    assert.deepEqual(cp.args.configPatches, []);
    assert.equal((run.outputs as Record<string, unknown>).etcdBackupLifecycle, undefined);
    assert.deepEqual(ofType(run, T.cronJob), []);
  });
});

const BAD_BACKUPS: readonly BadConfigCase[] = [
  [
    "a backup target whose credentials are not set",
    { "cluster.backup.s3.accessKeyIdSecret": "minioKeyId" },
    "homelab:cluster.backup.s3.accessKeyIdSecret",
    "homelab:minioKeyId is not a secret config value; store the access key id of the backup bucket with: pulumi config set --secret homelab:minioKeyId",
  ],
  [
    "one secret for both credentials",
    { "cluster.backup.s3.secretAccessKeySecret": "etcdBackupAccessKeyId" },
    "homelab:cluster.backup.s3.secretAccessKeySecret",
    "give the access key id and the secret access key a secret config value each",
  ],
  [
    "an age key that is not a public key",
    { "cluster.backup.agePublicKey": "AGE-SECRET-KEY-1QQQ" },
    "homelab:cluster.backup.agePublicKey",
    "expected an age X25519 public key",
  ],
  [
    "a schedule that is not cron",
    { "cluster.backup.schedule": "daily" },
    "homelab:cluster.backup.schedule",
    "Kubernetes' cron parser takes exactly five fields, not 1",
  ],
  ["a backup without a bucket", { "cluster.backup.s3.bucket": undefined }, "homelab:cluster.backup.s3.bucket", "is required"],
];

describe("etcd backups: bad input is refused, naming the key and the fix", () => {
  itRejectsEach(BAD_BACKUPS);

  it("rejects a backup credential stored in plain text (pulumi config set without --secret)", () => {
    const secretKeys = [...fixtureRaw("deployment-behind-metallb").secretKeys].filter((k) => k !== "etcdBackupSecretAccessKey");
    const result = configFrom("deployment-behind-metallb", { etcdBackupSecretAccessKey: "hunter2" }, secretKeys);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.ok(
      result.errors.some((e) =>
        e.startsWith(
          "homelab:cluster.backup.s3.secretAccessKeySecret: homelab:etcdBackupSecretAccessKey is not a secret config value; store the secret access key of the backup bucket with: pulumi config set --secret homelab:etcdBackupSecretAccessKey",
        ),
      ),
      result.errors.join("\n"),
    );
    assert.ok(
      result.errors.every((e) => !e.includes("hunter2")),
      "the plain-text value must not be echoed",
    );
  });
});
