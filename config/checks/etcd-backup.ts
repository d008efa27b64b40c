import type { ParsedConfig } from "../../model/schema.ts";
import type { Add } from "./issue.ts";
import type { TalosClusterConfig } from "./parsed.ts";

/** The backup's S3 credentials must be secret config values: the CronJob reads them from a Kubernetes Secret. */
export function checkEtcdBackup(c: ParsedConfig, cl: TalosClusterConfig, secretKeys: ReadonlySet<string>, add: Add): void {
  const s3 = cl.backup?.s3;
  if (!s3) return;
  const keys = [
    ["accessKeyIdSecret", s3.accessKeyIdSecret, "the access key id"],
    ["secretAccessKeySecret", s3.secretAccessKeySecret, "the secret access key"],
  ] as const;
  for (const [field, key, what] of keys) {
    if (Object.hasOwn(c, key) || !secretKeys.has(key)) {
      add(
        ["cluster", "backup", "s3", field],
        `homelab:${key} is not a secret config value; store ${what} of the backup bucket with: pulumi config set --secret homelab:${key} <value>`,
      );
    }
  }
  if (s3.accessKeyIdSecret === s3.secretAccessKeySecret) {
    add(
      ["cluster", "backup", "s3", "secretAccessKeySecret"],
      `is the same key as accessKeyIdSecret (homelab:${s3.accessKeyIdSecret}); give the access key id and the secret access key a secret config value each`,
    );
  }
}
