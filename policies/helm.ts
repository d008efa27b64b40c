/**
 * Helm releases: pinned charts, current value shapes, pinned images, and the
 * order custom resources need (their CRDs first, from a release that waited).
 */
import type { PolicyResource, ResourceValidationPolicy } from "@pulumi/policy";
import {
  chartName,
  dependsOn,
  describeObject,
  describeRelease,
  eachKnown,
  ofType,
  releasesOf,
  stackPolicy,
  type HomelabPolicy,
  type Level,
} from "./common.ts";
import { EXACT_CHART_VERSION, isHttpsRepository } from "@homelab/contract/charts";
import { TYPES } from "@homelab/contract/tokens";
import { obj, str, strings, type Obj } from "@homelab/contract/props";

export function helmReleasePinned(level: Level = "mandatory"): ResourceValidationPolicy {
  return {
    name: "helm-release-pinned",
    description:
      "Checks that every Helm release pins an exact chart version and names its repository; set `version` to a released version (e.g. 41.3.0) and `repositoryOpts.repo` to the chart repository URL instead of relying on the newest chart of a local repo.",
    enforcementLevel: level,
    validateResource: (args, report) => {
      if (args.type !== TYPES.release) return;
      const what = describeRelease(args);
      const version = str(args.props.version);
      if (!EXACT_CHART_VERSION.test(version)) {
        report(
          `${what} has chart version ${version ? `"${version}"` : "(none)"}: an unpinned chart changes under the stack on the next install; pin an exact released version in the stack config (e.g. "41.3.0").`,
        );
      }
      const oci = str(args.props.chart).startsWith("oci://");
      const repo = str(obj(args.props.repositoryOpts).repo);
      if (!oci && !isHttpsRepository(repo)) {
        report(
          `${what} names no chart repository (repositoryOpts.repo is ${repo ? `"${repo}"` : "unset"}): Helm would resolve the chart from whatever repositories the deploying machine has added; set repositoryOpts.repo to the chart's https repository URL.`,
        );
      }
    },
  };
}

/** Walks a values tree and yields `[path, image object or string]` for every `image` key. */
function* images(value: unknown, path: string): Generator<[string, unknown]> {
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) yield* images(v, `${path}[${i}]`);
    return;
  }
  if (!value || typeof value !== "object") return;
  for (const [k, v] of Object.entries(value)) {
    const p = path ? `${path}.${k}` : k;
    if (k === "image") yield [p, v];
    yield* images(v, p);
  }
}

export function helmImageTagPinned(level: Level = "mandatory"): ResourceValidationPolicy {
  return {
    name: "helm-image-tag-pinned",
    description:
      "Checks that no Helm release sets an image tag of `latest`; leave the tag unset (the chart's appVersion) or pin a version or digest instead.",
    enforcementLevel: level,
    validateResource: (args, report) => {
      if (args.type !== TYPES.release) return;
      for (const [path, image] of images(args.props.values, "values")) {
        const tag = typeof image === "string" ? image.split(":").slice(1).join(":") : str(obj(image).tag);
        if (/(^|-)latest$/.test(tag)) {
          report(
            `${describeRelease(args)} sets ${path} to tag "${tag}": a moving tag deploys different code on every pod restart (and the Traefik chart refuses it); leave the tag unset to get the chart's tested appVersion, or pin a version.`,
          );
        }
      }
    },
  };
}

interface OutdatedShape {
  readonly chart: string;
  readonly find: (values: Obj) => string[];
  readonly fix: string;
}

const traefikPorts = (values: Obj): [string, Obj][] => Object.entries(obj(values.ports)).map(([k, v]) => [k, obj(v)]);

const OUTDATED: readonly OutdatedShape[] = [
  {
    chart: "traefik",
    find: (v) => ("globalArguments" in v ? ["globalArguments"] : []),
    fix: "use global.checkNewVersion / global.sendAnonymousUsage",
  },
  { chart: "traefik", find: (v) => ("logs" in v ? ["logs"] : []), fix: "use log.level and accessLog" },
  {
    chart: "traefik",
    find: (v) =>
      traefikPorts(v).flatMap(([p, port]) => ["redirectTo", "redirections"].filter((k) => k in port).map((k) => `ports.${p}.${k}`)),
    fix: "use ports.<name>.http.redirections.entryPoint: {to, scheme, permanent}",
  },
  {
    chart: "traefik",
    find: (v) =>
      traefikPorts(v)
        .filter(([, port]) => "tls" in port)
        .map(([p]) => `ports.${p}.tls`),
    fix: "use ports.<name>.http.tls",
  },
  {
    chart: "traefik",
    find: (v) =>
      traefikPorts(v)
        .filter(([, port]) => typeof port.expose === "boolean")
        .map(([p]) => `ports.${p}.expose`),
    fix: "use ports.<name>.expose: {default: true|false}",
  },
  {
    chart: "traefik",
    find: (v) => ("type" in obj(v.service) ? ["service.type"] : []),
    fix: "use service.spec.type (service.type is silently ignored)",
  },
  { chart: "cert-manager", find: (v) => ("installCRDs" in v ? ["installCRDs"] : []), fix: "use crds.enabled: true (and crds.keep)" },
  {
    chart: "metallb",
    find: (v) => ("configInline" in v ? ["configInline"] : []),
    fix: "declare IPAddressPool and L2Advertisement resources",
  },
];

export function helmValuesCurrentShapes(level: Level = "mandatory"): ResourceValidationPolicy {
  return {
    name: "helm-values-current-shapes",
    description:
      "Checks that Traefik, cert-manager and MetalLB releases use their pinned chart's current value shapes, not keys from older charts that now fail schema validation (`got boolean, want object`) or are silently ignored; move each key to the shape the message names.",
    enforcementLevel: level,
    validateResource: (args, report) => {
      if (args.type !== TYPES.release) return;
      const chart = chartName(args.props);
      const values = obj(args.props.values);
      for (const shape of OUTDATED.filter((s) => s.chart === chart)) {
        for (const key of shape.find(values)) {
          report(
            `${describeRelease(args)} sets values.${key}, a shape older ${chart} charts used: chart ${str(args.props.version) || "(unpinned)"} rejects or ignores it, so the release fails or silently misconfigures; ${shape.fix}.`,
          );
        }
      }
    },
  };
}

const YAML_TYPES: readonly string[] = [TYPES.configGroup, TYPES.configFile, TYPES.configGroupV1, TYPES.configFileV1];

/**
 * Files or URLs a yaml ConfigGroup/ConfigFile applies. A stack policy sees
 * outputs, and the provider's Construct returns only `resources` (pulumi-kubernetes
 * provider/pkg/provider/yaml/v2/configgroup.go), so the component that declares
 * the ConfigGroup registers its files as `crdFiles`; resource policies still see `files`.
 */
const yamlFiles = (r: PolicyResource): string[] => [
  ...strings(r.props.files),
  ...(typeof r.props.file === "string" ? [r.props.file] : []),
  ...strings(r.parent?.props.crdFiles),
];

/**
 * What installs the CRDs of an API group besides a chart's crds/ folder: a
 * dedicated CRD release, CRD manifests applied by Pulumi (yaml ConfigGroup /
 * ConfigFile naming `<group>_*.yaml` files), or CustomResourceDefinition objects.
 */
function crdInstallers(resources: readonly PolicyResource[], group: string): PolicyResource[] {
  const crdCharts = group === "traefik.io" ? releasesOf(resources, "traefik-crds") : [];
  const yaml = resources.filter(
    (r) => YAML_TYPES.includes(r.type) && yamlFiles(r).some((f) => (f.split("/").pop() ?? "").startsWith(`${group}_`)),
  );
  const crds = ofType(resources, TYPES.customResourceDefinition).filter((r) => str(obj(r.props.spec).group) === group);
  return [...crdCharts, ...yaml, ...crds];
}

const describeInstaller = (r: PolicyResource): string =>
  r.type === TYPES.release ? describeRelease(r) : `${r.type.split(":").pop() ?? r.type} ${r.name}`;

export function traefikCrdsUpgraded(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "traefik-crds-upgraded",
    description:
      "Checks that the traefik release skips its crds/ folder and the stack installs Traefik's CRDs itself, from the same chart version (a traefik-crds release or the chart tag's CRD manifests applied by Pulumi), because Helm installs crds/ only once and never upgrades them; set skipCrds: true and apply the CRDs of the pinned chart version.",
    level,
    check: (resources, report) => {
      const installers = crdInstallers(resources, "traefik.io");
      eachKnown(releasesOf(resources, "traefik"), (r) => {
        const what = describeRelease(r);
        if (r.props.skipCrds !== true) {
          report(
            r,
            `${what} installs Traefik's CRDs from its own crds/ folder (skipCrds is not true): Helm never upgrades those, so a chart bump leaves old CRDs the new Traefik cannot read; set skipCrds: true and apply the chart version's CRDs from the stack.`,
          );
        }
        if (installers.length === 0) {
          report(
            r,
            `${what} has nothing beside it that installs or upgrades Traefik's CRDs: IngressRoutes and Middlewares fail with "no matches for kind"; apply the chart version's traefik.io CRD manifests (or a traefik-crds release) from the stack.`,
          );
          return;
        }
        const version = str(r.props.version).replace(/^v/, "");
        for (const y of installers.filter((i) => YAML_TYPES.includes(i.type))) {
          const stale = yamlFiles(y).filter(
            (f) => /\/v?\d+\.\d+\.\d+\//.test(f) && !f.includes(`/v${version}/`) && !f.includes(`/${version}/`),
          );
          if (stale.length) {
            report(
              y,
              `${describeInstaller(y)} applies Traefik CRDs from another chart version than ${what} (${stale[0]}): the CRDs and the controller disagree on fields; take the CRD files from the chart's v${version} tag.`,
            );
          }
        }
      });
    },
  });
}

/** Which charts ship the CRDs (and webhooks) of each API group. */
const CRD_CHARTS: Readonly<Record<string, readonly string[]>> = {
  "traefik.io": ["traefik"],
  "cert-manager.io": ["cert-manager"],
  "acme.cert-manager.io": ["cert-manager"],
  "metallb.io": ["metallb"],
};

/** `kubernetes:traefik.io/v1alpha1:IngressRoute` → `traefik.io`. */
function apiGroupOf(type: string): string | undefined {
  const m = /^kubernetes:([^/:]+)\/[^:]+:[^:]+$/.exec(type);
  return m?.[1];
}

/** What makes a group's CRDs exist: the dedicated installers when there are any (plus charts that still ship them), else the charts. */
function crdSources(resources: readonly PolicyResource[], group: string): PolicyResource[] {
  const dedicated = crdInstallers(resources, group);
  const charts = (CRD_CHARTS[group] ?? []).flatMap((c) => releasesOf(resources, c));
  return dedicated.length ? [...dedicated, ...charts.filter((c) => c.props.skipCrds !== true)] : charts;
}

export function customResourcesWaitForCrds(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "custom-resources-wait-for-crds",
    description:
      "Checks that every Traefik, cert-manager and MetalLB custom resource depends on what installs its CRD (the CRD manifests, or the Helm release that ships the CRD and webhook), and that such a release waits until it is ready; add dependsOn on it and leave skipAwait unset.",
    level,
    check: (resources, report) => {
      for (const group of Object.keys(CRD_CHARTS)) {
        const sources = crdSources(resources, group);
        if (sources.length === 0) continue;
        const crs = resources.filter((r) => apiGroupOf(r.type) === group);
        const waitersByRelease = new Map<PolicyResource, PolicyResource[]>();
        eachKnown(crs, (cr) => {
          if (!sources.some((s) => dependsOn(cr, s))) {
            report(
              cr,
              `${describeObject(cr.props)} does not depend on ${sources.map(describeInstaller).join(" or ")}: Pulumi may create it before its CRD exists (\`no matches for kind "${str(cr.props.kind)}"\`) or before the webhook answers; pass dependsOn: [the CRD source] when creating it.`,
            );
          }
          for (const s of sources.filter((x) => x.type === TYPES.release && cr.dependencies.some((d) => d.urn === x.urn))) {
            waitersByRelease.set(s, [...(waitersByRelease.get(s) ?? []), cr]);
          }
        });
        for (const [release, waiters] of waitersByRelease) {
          if (release.props.skipAwait !== true) continue;
          report(
            release,
            `${describeRelease(release)} sets skipAwait: true, yet ${waiters.map((w) => describeObject(w.props)).join(", ")} ${waiters.length === 1 ? "is" : "are"} created right after it: the release counts as done before its CRDs and webhook are ready, so those creations race them and fail; leave skipAwait unset so the release waits.`,
          );
        }
      }
    },
  });
}
