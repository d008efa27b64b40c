/**
 * Credentials reach the cluster only as Kubernetes Secrets built from secret
 * config: the Cloudflare token cert-manager uses, basic-auth users, and never
 * a credential inside Helm values.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationArgs } from "@pulumi/policy";
import {
  SECRET_MARKER,
  TYPES,
  arr,
  containsSecretMarker,
  describeObject,
  describeRelease,
  eachKnown,
  isSecretMarker,
  metaOf,
  obj,
  ofType,
  releasesOf,
  secretsVisible,
  stackPolicy,
  str,
  type HomelabPolicy,
  type Level,
  type Obj,
} from "./common.ts";

interface SecretUse {
  readonly by: PolicyResource;
  readonly what: string;
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
}

/** The namespace a ClusterIssuer reads Secrets from: cert-manager's own (its release's namespace). */
const clusterResourceNamespace = (resources: readonly PolicyResource[]): string =>
  str(releasesOf(resources, "cert-manager")[0]?.props.namespace) || "cert-manager";

function secretValue(secret: PolicyResource, key: string): { present: boolean; value: unknown } {
  const stringData = secret.props.stringData;
  const data = secret.props.data;
  if (isSecretMarker(stringData) || isSecretMarker(data)) return { present: true, value: SECRET_MARKER };
  const s = obj(stringData);
  const d = obj(data);
  if (key in s) return { present: true, value: s[key] };
  if (key in d) return { present: true, value: d[key] };
  return { present: false, value: undefined };
}

export function credentialsInKubernetesSecrets(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "credentials-in-kubernetes-secrets",
    description:
      "Checks that the Cloudflare API token (cert-manager's DNS-01 solver) and basic-auth users reach the cluster only as Kubernetes Secrets the stack creates from secret config, referenced by name and key, never inline in a custom resource; create the Secret from a `pulumi config set --secret` value and reference it.",
    level,
    check: (resources, report, args: StackValidationArgs) => {
      const uses: SecretUse[] = [];
      const cmNamespace = clusterResourceNamespace(resources);
      eachKnown([...ofType(resources, TYPES.clusterIssuer), ...ofType(resources, TYPES.issuer)], (issuer) => {
        const what = describeObject(issuer.props);
        const ns = issuer.type === TYPES.clusterIssuer ? cmNamespace : metaOf(issuer.props).namespace;
        for (const solver of arr(obj(obj(issuer.props.spec).acme).solvers).map(obj)) {
          const cf = obj(obj(solver.dns01).cloudflare);
          if (!Object.keys(cf).length) continue;
          if (cf.apiKeySecretRef !== undefined) {
            report(
              issuer,
              `${what} authenticates its Cloudflare DNS-01 solver with the global API key (apiKeySecretRef): that key controls the whole Cloudflare account; use a zone-scoped API token through apiTokenSecretRef.`,
            );
          }
          const ref = obj(cf.apiTokenSecretRef);
          if (!str(ref.name) || !str(ref.key)) {
            if (cf.apiKeySecretRef === undefined)
              report(
                issuer,
                `${what} has a Cloudflare DNS-01 solver without apiTokenSecretRef {name, key}: cert-manager cannot authenticate and no certificate is issued; reference the token Secret the stack creates.`,
              );
            continue;
          }
          uses.push({ by: issuer, what, namespace: ns, name: str(ref.name), key: str(ref.key) });
        }
      });
      eachKnown(ofType(resources, TYPES.middleware), (mw) => {
        const basicAuth = obj(obj(mw.props.spec).basicAuth);
        if (!Object.keys(basicAuth).length) return;
        const what = describeObject(mw.props);
        if (basicAuth.users !== undefined) {
          report(
            mw,
            `${what} lists basic-auth users inline (spec.basicAuth.users): the hashes are stored in plain text in the custom resource, the stack state and every diff; put them in a Secret built from secret config and set spec.basicAuth.secret.`,
          );
        }
        if (str(basicAuth.secret))
          uses.push({ by: mw, what, namespace: metaOf(mw.props).namespace, name: str(basicAuth.secret), key: "users" });
        else if (basicAuth.users === undefined)
          report(
            mw,
            `${what} enables basic auth without spec.basicAuth.secret: Traefik has no users and refuses every request; reference the users Secret the stack creates.`,
          );
      });

      const secrets = ofType(resources, TYPES.secret);
      const checkValues = secretsVisible(args);
      const byKey = Map.groupBy(uses, (use) => `${use.namespace}/${use.name}/${use.key}`);
      for (const group of byKey.values()) {
        const { namespace, name, key } = group[0]!;
        const readers = group.map((u) => u.what).join(", ");
        const secret = secrets.find((s) => metaOf(s.props).namespace === namespace && metaOf(s.props).name === name);
        if (!secret) {
          report(
            group[0]!.by,
            `${readers} read${group.length === 1 ? "s" : ""} Secret ${namespace}/${name}, which the stack does not create: the credential must then be placed by hand, outside the stack's secret config, and nothing works until it is; create the Secret in the stack from a secret config value.`,
          );
          continue;
        }
        const { present, value } = secretValue(secret, key);
        if (!present) {
          report(
            secret,
            `Secret ${namespace}/${name} has no key ${key}, which ${readers} read${group.length === 1 ? "s" : ""}: the credential is missing at run time; put the value under stringData.${key}.`,
          );
        } else if (checkValues && !isSecretMarker(value)) {
          report(
            secret,
            `Secret ${namespace}/${name} holds ${key} (read by ${readers}) as a plain value: it comes from non-secret config, so it sits unencrypted in the stack file and state; set it with pulumi config set --secret and pass the secret Output.`,
          );
        }
      }
    },
  });
}

/** Environment variable names that hold credentials. */
const CREDENTIAL_NAME = /(TOKEN|PASSWORD|PASSWD|SECRET|API_?KEY|PRIVATE_?KEY)/i;

export function noSecretsInHelmValues(level: Level = "mandatory"): ResourceValidationPolicy {
  return {
    name: "no-secrets-in-helm-values",
    description:
      "Checks that Helm values carry no credentials: no secret value inside `values` (one secret makes Pulumi hide the whole values from every diff) and no credential in a literal env value; reference a Kubernetes Secret from the values (existingSecret, env valueFrom.secretKeyRef) instead.",
    enforcementLevel: level,
    validateResource: (args, report) => {
      if (args.type !== TYPES.release) return;
      const what = describeRelease(args);
      const values: unknown = args.props.values;
      if (containsSecretMarker(values)) {
        report(
          `${what} has a secret inside its values: Pulumi then treats all values as secret, every preview shows them as [secret] so no change can be reviewed, and the credential lands in the chart's ConfigMaps/Secrets under Helm's control; create a Kubernetes Secret and reference it from the values.`,
        );
      }
      const walk = (v: unknown, path: string): void => {
        if (Array.isArray(v)) {
          for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`);
          return;
        }
        if (!v || typeof v !== "object") return;
        const o = v as Obj;
        if (
          typeof o.name === "string" &&
          CREDENTIAL_NAME.test(o.name) &&
          typeof o.value === "string" &&
          o.value !== "" &&
          !isSecretMarker(o.value)
        ) {
          report(
            `${what} sets ${path} (${o.name}) to a literal value: the credential is stored in plain text in the stack state and the release history; use valueFrom.secretKeyRef to a Kubernetes Secret.`,
          );
        }
        for (const [k, x] of Object.entries(o)) walk(x, path ? `${path}.${k}` : k);
      };
      walk(values, "values");
    },
  };
}
