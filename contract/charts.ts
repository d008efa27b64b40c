/**
 * The charts the platform pins, and what each chart version does when a value
 * is left unset. The program's defaults (model/defaults.ts) and Helm values
 * (lib/) and the pack's rules read the same entry, so a chart bump is one
 * edit here: add the new version's defaults beside its number. Every fact was
 * read from that version's values.yaml.
 */

/** A version Helm resolves to exactly one chart: no ranges, wildcards or `latest`. */
export const EXACT_CHART_VERSION = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** A chart repository fetched over TLS, so what installs is what the repository serves. */
export const isHttpsRepository = (url: string): boolean => /^https:\/\/\S+$/.test(url);

export interface ChartRef {
  readonly chart: string;
  readonly version: string;
  readonly repository: string;
}

/** What a Traefik chart version renders for the values this program and the rules reason about. */
export interface TraefikChartDefaults {
  /** `ports.<entry point>.port`. */
  readonly ports: Readonly<Record<string, number>>;
  /** `deployment.replicas`. */
  readonly replicas: number;
  /** `updateStrategy.rollingUpdate`. */
  readonly rollingUpdate: { readonly maxUnavailable: number; readonly maxSurge: number };
  /**
   * The `traefik.io` CRDs of the chart's `crds/` folder. Traefik's CRD
   * provider lists every one of these kinds and logs errors forever when one
   * is missing. The Hub CRDs are left out (Hub is off).
   */
  readonly crdFiles: readonly string[];
}

const TRAEFIK_41: TraefikChartDefaults = {
  ports: { traefik: 8080, web: 8000, websecure: 8443, metrics: 9100 },
  replicas: 1,
  rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
  crdFiles: [
    "traefik.io_ingressroutes.yaml",
    "traefik.io_ingressroutetcps.yaml",
    "traefik.io_ingressrouteudps.yaml",
    "traefik.io_middlewares.yaml",
    "traefik.io_middlewaretcps.yaml",
    "traefik.io_serverstransports.yaml",
    "traefik.io_serverstransporttcps.yaml",
    "traefik.io_tlsoptions.yaml",
    "traefik.io_tlsstores.yaml",
    "traefik.io_traefikservices.yaml",
  ],
};

/** Defaults per chart version; the pinned version must have an entry (a test checks it). */
export const TRAEFIK_CHART_DEFAULTS: Readonly<Record<string, TraefikChartDefaults>> = { "41.3.0": TRAEFIK_41 };

export const PINNED_CHARTS = {
  traefik: { chart: "traefik", version: "41.3.0", repository: "https://traefik.github.io/charts" },
  metallb: { chart: "metallb", version: "0.16.1", repository: "https://metallb.github.io/metallb" },
  certManager: { chart: "cert-manager", version: "v1.21.1", repository: "https://charts.jetstack.io" },
} as const satisfies Record<string, ChartRef>;

const major = (version: string): string => version.replace(/^v/, "").split(".")[0] ?? "";

/**
 * The defaults of a Traefik chart version: its own entry, else the newest
 * known entry of the same major version (defaults change with majors), else
 * the pinned version's, since a rule must still reason about a stack that
 * overrides the chart version with one this table has not met yet.
 */
export function traefikChartDefaults(version: string): TraefikChartDefaults {
  const exact = TRAEFIK_CHART_DEFAULTS[version.replace(/^v/, "")];
  if (exact) return exact;
  const sameMajor = Object.keys(TRAEFIK_CHART_DEFAULTS)
    .filter((v) => major(v) === major(version))
    .sort()
    .pop();
  return TRAEFIK_CHART_DEFAULTS[sameMajor ?? PINNED_CHARTS.traefik.version]!;
}

/**
 * The chart's internal entry points: `traefik` (:8080, ping and the API) and
 * `metrics` (Prometheus). On the host network an entry point without a host
 * address listens on every node address, a public one included; these bind to
 * loopback instead. The chart turns `ports.traefik.hostIP` into the probes'
 * `httpGet.host` too, and the kubelet probes from the node's own network
 * namespace, so liveness and readiness keep working on 127.0.0.1.
 */
export const TRAEFIK_INTERNAL_ENTRY_POINTS = ["traefik", "metrics"] as const;
export const LOOPBACK_ADDRESS = "127.0.0.1" as const;
