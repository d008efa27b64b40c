/**
 * Generated app fleets for the benchmarks: N apps on the example cluster, with
 * the same mix of kinds and middlewares as Pulumi.homelab.yaml. Pure: each app
 * depends only on its own key, so the first ten apps of a 500-app fleet are
 * exactly the ten-app fleet, and a size's resources differ from a smaller
 * size's only by the apps added.
 */
import type { HomelabInput } from "../model/schema.ts";
import type { StackConfig } from "../synth/recorder.ts";

type AppInput = NonNullable<HomelabInput["apps"]>[string];

/** The secret `homelab:` key the basic-auth apps read their htpasswd lines from (set in Pulumi.homelab.yaml). */
export const BASIC_AUTH_SECRET = "adminUsers";

/** `app-001`, `app-042`, `app-500`: zero-padded so names sort like their numbers. */
export function appKey(number: number): string {
  return `app-${String(number).padStart(3, "0")}`;
}

/** One template per app of the example stack; app n takes template (n - 1) mod 10. */
const TEMPLATES: readonly ((name: string, zone: string) => AppInput)[] = [
  (name, zone) => ({
    namespace: "monitoring",
    hosts: [`${name}.${zone}`],
    backends: [{ service: name, port: 80 }],
    middlewares: { securityHeaders: true },
  }),
  (name, zone) => ({
    namespace: "media",
    hosts: [`${name}.${zone}`],
    backends: [
      { path: "/", service: `${name}-web`, port: 3000 },
      { path: "/api", service: `${name}-server`, port: 2283 },
    ],
    middlewares: { securityHeaders: true },
  }),
  (name, zone) => ({
    kind: "ingressRoute",
    namespace: "apps",
    hosts: [`${name}.${zone}`],
    backends: [{ path: "/v1", service: `${name}-v1`, port: 8080 }],
    middlewares: {
      stripPrefix: ["/v1"],
      cors: { origins: [`https://${name}-ui.${zone}`], methods: ["GET", "POST", "OPTIONS"], maxAge: 3600 },
      rateLimit: { average: 50, burst: 100 },
    },
  }),
  (name, zone) => ({
    kind: "ingressRoute",
    namespace: "apps",
    hosts: [`${name}.${zone}`],
    backends: [{ service: name, port: 3000 }],
    sticky: { cookie: `${name.replaceAll("-", "_")}_affinity`, sameSite: "lax" },
  }),
  (name, zone) => ({
    kind: "ingressRoute",
    namespace: "apps",
    hosts: [`${name}.${zone}`],
    backends: [{ service: name, port: 8080 }],
    middlewares: { basicAuth: { usersSecret: BASIC_AUTH_SECRET }, securityHeaders: true },
  }),
  (name, zone) => ({
    kind: "external",
    namespace: "apps",
    hosts: [`${name}.${zone}`],
    backends: [{ service: name, port: 5000 }],
    external: { addresses: ["10.0.10.5"], port: 5000 },
    proxied: false,
  }),
  (name, zone) => ({
    kind: "external",
    namespace: "apps",
    hosts: [`${name}.${zone}`],
    backends: [{ service: name, port: 8006 }],
    external: { externalName: "pve1.lan", port: 8006, scheme: "https", insecureSkipVerify: true },
    middlewares: { ipAllowList: { ranges: ["10.0.10.0/24"] } },
    proxied: false,
  }),
  (name, zone) => ({
    namespace: "apps",
    hosts: [`${name}.${zone}`],
    backends: [{ service: name, port: 8123 }],
    middlewares: { ipAllowList: { cloudflare: true } },
  }),
  (name, zone) => ({
    namespace: "media",
    hosts: [`${name}.${zone}`],
    backends: [{ service: name, port: 8096 }],
    issuer: "letsencrypt-staging",
  }),
  (name, zone) => ({
    namespace: "apps",
    hosts: [`${name}.${zone}`, `www-${name}.${zone}`],
    backends: [{ service: name, port: 80 }],
    middlewares: {
      redirect: {
        regex: `^https://www-${name}\\.${zone.replaceAll(".", "\\.")}/(.*)`,
        replacement: `https://${name}.${zone}/\${1}`,
        permanent: true,
      },
    },
  }),
];

/** The config of app number `number` (1-based); it depends on nothing else. */
export function generateApp(number: number, zone: string): AppInput {
  return TEMPLATES[(number - 1) % TEMPLATES.length]!(appKey(number), zone);
}

/** `count` apps keyed app-001…, hosts inside `zone`. */
export function generateApps(count: number, zone: string): Record<string, AppInput> {
  const apps: Record<string, AppInput> = {};
  for (let n = 1; n <= count; n++) apps[appKey(n)] = generateApp(n, zone);
  return apps;
}

/**
 * A stack config with the base stack's cluster, platform and secrets and
 * `count` generated apps instead of its own. The base must define the
 * namespaces the templates use (apps, media, monitoring), the zone in
 * `homelab:dns` and the secret `homelab:adminUsers`, as the example stack does.
 */
export function withGeneratedApps(base: StackConfig, count: number): StackConfig {
  const dns = JSON.parse(base.values["homelab:dns"] ?? "{}") as { zone?: string };
  if (!dns.zone) throw new Error("the base stack has no homelab:dns.zone to put the generated hosts in");
  return {
    values: { ...base.values, "homelab:apps": JSON.stringify(generateApps(count, dns.zone)) },
    secretKeys: base.secretKeys,
  };
}
