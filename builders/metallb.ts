/**
 * MetalLB: the chart's values and the address pools it announces over L2.
 * No kubernetes-models exist for MetalLB, so the two kinds are typed here with
 * exactly the fields this program sets (metallb.io/v1beta1, MetalLB 0.16).
 */
import type { HomelabConfig } from "../model/resolve.ts";

export const METALLB_NAMESPACE = "metallb-system";
export const METALLB_RELEASE = "metallb";
/** The one L2Advertisement's name. */
const METALLB_L2_ADVERTISEMENT = "l2";

interface NamespacedMeta {
  readonly name: string;
  readonly namespace: string;
}

export interface IPAddressPool {
  readonly apiVersion: "metallb.io/v1beta1";
  readonly kind: "IPAddressPool";
  readonly metadata: NamespacedMeta;
  readonly spec: {
    /** CIDRs, ranges (`a-b`) or single addresses. */
    readonly addresses: readonly string[];
    readonly autoAssign: boolean;
  };
}

export interface L2Advertisement {
  readonly apiVersion: "metallb.io/v1beta1";
  readonly kind: "L2Advertisement";
  readonly metadata: NamespacedMeta;
  readonly spec: {
    /** An empty list would advertise every pool; naming them keeps a pool added by hand out. */
    readonly ipAddressPools: readonly string[];
  };
}

type Pool = HomelabConfig["metallb"]["pools"][number];

export interface MetalLBValues {
  readonly frrk8s: { readonly enabled: boolean };
  readonly crds: { readonly validationFailurePolicy: "Ignore" };
}

/** Helm values for the MetalLB chart. */
export function metallbValues(): MetalLBValues {
  return {
    // Since 0.15 the chart installs FRR-K8s as its BGP backend by default: a second
    // DaemonSet with its own CRDs and webhook. This program only announces over L2,
    // which the speaker does natively.
    frrk8s: { enabled: false },
    // The controller reports Ready on a plain ping; its validating webhook serves only after
    // its certificate rotation, later (metallb internal/k8s/k8s.go; issues 1597, 2566). With the
    // chart's default `Fail` the pools created right after the release, on the first `up` and
    // again after every chart upgrade restarts the controller, are refused with "failed calling
    // webhook … connection refused", an error pulumi-kubernetes does not retry. `Ignore` admits
    // an object while the webhook cannot be reached and still validates it once it serves; the
    // pools this program creates are checked before anything registers (config/checks/addresses.ts:
    // address syntax, overlaps with each other, the nodes, the VIP and the gateway).
    crds: { validationFailurePolicy: "Ignore" },
  };
}

export function ipAddressPoolManifest(pool: Pool): IPAddressPool {
  return {
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: { name: pool.name, namespace: METALLB_NAMESPACE },
    spec: { addresses: [...pool.addresses], autoAssign: pool.autoAssign },
  };
}

/** One advertisement for every configured pool, names sorted. */
export function l2AdvertisementManifest(pools: readonly Pool[]): L2Advertisement {
  return {
    apiVersion: "metallb.io/v1beta1",
    kind: "L2Advertisement",
    metadata: { name: METALLB_L2_ADVERTISEMENT, namespace: METALLB_NAMESPACE },
    spec: { ipAddressPools: pools.map((p) => p.name).sort() },
  };
}
