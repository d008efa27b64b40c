/**
 * TLS through cert-manager: every Ingress carries TLS from exactly one issuing
 * source, every IngressRoute's secret comes from a Certificate, issuers exist,
 * and their DNS-01 solvers answer for the hosts they are asked to sign.
 */
import { solverAdmits } from "./helpers/tls.ts";
import type { PolicyResource } from "@pulumi/policy";
import {
  describeObject,
  describeRelease,
  eachKnown,
  metaOf,
  ofType,
  releasesOf,
  stackPolicy,
  valuesOf,
  type HomelabPolicy,
  type Level,
} from "./common.ts";
import { CLUSTER_ISSUER_ANNOTATION, ISSUER_ANNOTATION } from "@homelab/contract/kubernetes";
import { TYPES } from "@homelab/contract/tokens";
import { HOST_MATCH } from "@homelab/contract/traefik-match";
import { arr, obj, str, strings, type Obj } from "@homelab/contract/props";

const hostCovered = (host: string, names: readonly string[]): boolean =>
  names.some((n) => n === host || (n.startsWith("*.") && host.endsWith(n.slice(1)) && !host.slice(0, -n.length + 1).includes(".")));

/**
 * The names Traefik's default TLS store serves (the dnsNames of the
 * Certificates whose secrets it lists): a route whose TLS names no secret
 * gets the store's certificate for its SNI.
 */
function defaultStoreNames(resources: readonly PolicyResource[]): string[] {
  const stores = ofType(resources, TYPES.tlsStore).filter((r) => metaOf(r.props).name === "default");
  return stores.flatMap((store) => {
    const ns = metaOf(store.props).namespace;
    const spec = obj(store.props.spec);
    const secrets = new Set([...arr(spec.certificates), spec.defaultCertificate].map((c) => str(obj(c).secretName)).filter(Boolean));
    return ofType(resources, TYPES.certificate)
      .filter((c) => metaOf(c.props).namespace === ns && secrets.has(str(obj(c.props.spec).secretName)))
      .flatMap((c) => strings(obj(c.props.spec).dnsNames));
  });
}

interface IssuerRef {
  readonly kind: "ClusterIssuer" | "Issuer";
  readonly name: string;
  readonly namespace: string;
}

/** Where a TLS secret comes from: an annotated Ingress (ingress-shim) or a Certificate. */
interface TlsSource {
  readonly resource: PolicyResource;
  readonly namespace: string;
  readonly secretName: string;
  readonly hosts: readonly string[];
  readonly issuer: IssuerRef;
}

function ingressIssuer(ing: PolicyResource): IssuerRef | undefined {
  const meta = metaOf(ing.props);
  if (meta.annotations[CLUSTER_ISSUER_ANNOTATION])
    return { kind: "ClusterIssuer", name: meta.annotations[CLUSTER_ISSUER_ANNOTATION]!, namespace: "" };
  if (meta.annotations[ISSUER_ANNOTATION]) return { kind: "Issuer", name: meta.annotations[ISSUER_ANNOTATION]!, namespace: meta.namespace };
  return undefined;
}

const tlsEntries = (ing: PolicyResource): Obj[] => arr(obj(ing.props.spec).tls).map(obj);

function tlsSources(resources: readonly PolicyResource[]): TlsSource[] {
  const sources: TlsSource[] = [];
  eachKnown(ofType(resources, TYPES.ingress), (ing) => {
    const issuer = ingressIssuer(ing);
    if (!issuer) return;
    for (const tls of tlsEntries(ing)) {
      if (str(tls.secretName))
        sources.push({
          resource: ing,
          namespace: metaOf(ing.props).namespace,
          secretName: str(tls.secretName),
          hosts: strings(tls.hosts),
          issuer,
        });
    }
  });
  eachKnown(ofType(resources, TYPES.certificate), (cert) => {
    const spec = obj(cert.props.spec);
    const ref = obj(spec.issuerRef);
    const ns = metaOf(cert.props).namespace;
    sources.push({
      resource: cert,
      namespace: ns,
      secretName: str(spec.secretName),
      hosts: [...strings(spec.dnsNames), ...(str(spec.commonName) ? [str(spec.commonName)] : [])],
      issuer: { kind: str(ref.kind) === "ClusterIssuer" ? "ClusterIssuer" : "Issuer", name: str(ref.name), namespace: ns },
    });
  });
  return sources;
}

export function ingressTlsIssued(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "ingress-tls-issued",
    description:
      "Checks that every Ingress carries TLS for each of its hosts and that each TLS secret is issued by exactly one cert-manager source in the stack (one Ingress with the cluster-issuer annotation, or one Certificate) covering those hosts; annotate the first Ingress of an app and let its siblings share the secret.",
    level,
    check: (resources, report) => {
      const sources = tlsSources(resources);
      const bySecret = Map.groupBy(sources, (s) => `${s.namespace}/${s.secretName}`);
      for (const [secret, issuing] of bySecret) {
        if (issuing.length < 2) continue;
        report(
          issuing[1]!.resource,
          `TLS secret ${secret} is issued by ${issuing.length} sources (${issuing.map((s) => describeObject(s.resource.props)).join(", ")}): cert-manager names the Certificate after the secret and refuses to update one another object owns, so only the first wins; annotate one Ingress (or create one Certificate) per secret.`,
        );
      }
      const storeNames = defaultStoreNames(resources);
      eachKnown(ofType(resources, TYPES.ingress), (ing) => {
        const what = describeObject(ing.props);
        const ns = metaOf(ing.props).namespace;
        const hosts = arr(obj(ing.props.spec).rules)
          .map((r) => str(obj(r).host))
          .filter(Boolean);
        const tls = tlsEntries(ing);
        const uncovered = hosts.filter(
          (h) => !tls.some((t) => hostCovered(h, strings(t.hosts)) && (str(t.secretName) || hostCovered(h, storeNames))),
        );
        if (uncovered.length) {
          report(
            ing,
            `${what} serves ${uncovered.join(", ")} without a TLS entry (spec.tls with hosts and secretName, or hosts a wildcard of Traefik's default TLS store covers): Traefik answers with its self-signed default certificate and browsers refuse the site; add spec.tls for every host.`,
          );
        }
        for (const t of tls.filter((x) => str(x.secretName))) {
          const secret = str(t.secretName);
          const issuing = bySecret.get(`${ns}/${secret}`) ?? [];
          if (issuing.length === 0) {
            report(
              ing,
              `${what} uses TLS secret ${ns}/${secret}, but nothing in the stack issues it (no Ingress with ${CLUSTER_ISSUER_ANNOTATION} lists it and no Certificate writes it): the secret never exists and Traefik serves its default certificate; add the cert-manager annotation or a Certificate.`,
            );
            continue;
          }
          const covered = issuing.flatMap((s) => s.hosts);
          const missing = strings(t.hosts).filter((h) => !hostCovered(h, covered));
          if (missing.length) {
            report(
              ing,
              `${what} expects TLS secret ${ns}/${secret} to cover ${missing.join(", ")}, but its issuer requests only ${covered.join(", ") || "no hosts"}: browsers get a certificate for another name; list every host in the issuing Ingress's tls.hosts or the Certificate's dnsNames.`,
            );
          }
        }
      });
    },
  });
}

export function tlsIssuerExists(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "tls-issuer-exists",
    description:
      "Checks that every cert-manager issuer a route names (the Ingress cluster-issuer/issuer annotation, a Certificate's issuerRef) is a ClusterIssuer or Issuer the stack creates, so certificates are actually issued; name one of the stack's issuers (see certManager.issuers).",
    level,
    check: (resources, report) => {
      const clusterIssuers = new Set(ofType(resources, TYPES.clusterIssuer).map((r) => metaOf(r.props).name));
      const issuers = new Set(ofType(resources, TYPES.issuer).map((r) => `${metaOf(r.props).namespace}/${metaOf(r.props).name}`));
      const reported = new Set<string>();
      for (const s of tlsSources(resources)) {
        const exists =
          s.issuer.kind === "ClusterIssuer" ? clusterIssuers.has(s.issuer.name) : issuers.has(`${s.issuer.namespace}/${s.issuer.name}`);
        const key = `${s.resource.urn}|${s.issuer.kind}|${s.issuer.name}`;
        if (exists || reported.has(key)) continue;
        reported.add(key);
        report(
          s.resource,
          `${describeObject(s.resource.props)} asks ${s.issuer.kind} ${s.issuer.name || "(unnamed)"} for its certificate, which the stack does not create (ClusterIssuers: ${[...clusterIssuers].sort().join(", ") || "none"}): the Certificate stays not ready and the route serves Traefik's default certificate; name one of the stack's issuers.`,
        );
      }
    },
  });
}

export function ingressRouteTlsFromCertificate(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "ingressroute-tls-from-certificate",
    description:
      "Checks that every IngressRoute serves TLS from a secret written by a cert-manager Certificate in its namespace whose dnsNames cover the route's hosts (cert-manager does not watch IngressRoutes, and Traefik's own certResolver cannot be shared by replicas); create a Certificate and set spec.tls.secretName to its secret.",
    level,
    check: (resources, report) => {
      // The first Certificate writing each secret (ingress-tls-issued reports a second one).
      const certificateOf = new Map<string, PolicyResource>();
      for (const c of ofType(resources, TYPES.certificate)) {
        const key = `${metaOf(c.props).namespace}/${str(obj(c.props.spec).secretName)}`;
        if (!certificateOf.has(key)) certificateOf.set(key, c);
      }
      const storeNames = defaultStoreNames(resources);
      eachKnown(ofType(resources, TYPES.ingressRoute), (ir) => {
        const what = describeObject(ir.props);
        const ns = metaOf(ir.props).namespace;
        const spec = obj(ir.props.spec);
        const tls = spec.tls === undefined ? undefined : obj(spec.tls);
        const hosts = [...new Set(arr(spec.routes).flatMap((r) => [...str(obj(r).match).matchAll(HOST_MATCH)].map((m) => m[1]!)))];
        if (!tls) {
          report(
            ir,
            `${what} has no spec.tls: on the websecure entry point Traefik answers with its self-signed default certificate; set spec.tls.secretName to the secret of a Certificate for ${hosts.join(", ")}.`,
          );
          return;
        }
        if (str(tls.certResolver)) {
          report(
            ir,
            `${what} gets its certificate from Traefik's resolver ${str(tls.certResolver)}: it cannot be shared by several replicas and bypasses the stack's issuers; create a cert-manager Certificate and set spec.tls.secretName.`,
          );
          return;
        }
        const secret = str(tls.secretName);
        if (!secret && hosts.length > 0 && hosts.every((h) => hostCovered(h, storeNames))) return;
        const cert = certificateOf.get(`${ns}/${secret}`);
        if (!cert) {
          report(
            ir,
            `${what} serves TLS from secret ${ns}/${secret || "(none)"}, which no Certificate in the stack writes: cert-manager ignores IngressRoutes, so the secret never appears and Traefik serves its default certificate; create a Certificate with secretName ${secret || "<name>"} in ${ns}.`,
          );
          return;
        }
        const names = strings(obj(cert.props.spec).dnsNames);
        const missing = hosts.filter((h) => !hostCovered(h, names));
        if (missing.length) {
          report(
            ir,
            `${what} serves ${missing.join(", ")}, but Certificate ${ns}/${metaOf(cert.props).name} covers only ${names.join(", ") || "no names"}: browsers reject the certificate for those hosts; add them to the Certificate's dnsNames.`,
          );
        }
      });
    },
  });
}

export function tlsHostInIssuerZone(level: Level = "mandatory"): HomelabPolicy {
  return stackPolicy({
    name: "tls-host-in-issuer-zone",
    description:
      "Checks that every host a certificate is requested for is admitted by one of its ACME issuer's solvers (selector dnsZones/dnsNames), because cert-manager otherwise finds no solver and the order never completes; keep hosts inside the issuer's dnsZones or widen the selector.",
    level,
    check: (resources, report) => {
      const issuers = new Map(
        [...ofType(resources, TYPES.clusterIssuer), ...ofType(resources, TYPES.issuer)].map((r) => [
          `${r.type === TYPES.clusterIssuer ? "ClusterIssuer" : `Issuer/${metaOf(r.props).namespace}`}/${metaOf(r.props).name}`,
          r,
        ]),
      );
      for (const s of tlsSources(resources)) {
        const key = s.issuer.kind === "ClusterIssuer" ? `ClusterIssuer/${s.issuer.name}` : `Issuer/${s.issuer.namespace}/${s.issuer.name}`;
        const issuer = issuers.get(key);
        const solvers = arr(obj(obj(issuer?.props.spec).acme).solvers).map(obj);
        if (!issuer || solvers.length === 0) continue;
        const unsolvable = s.hosts.filter((h) => !solvers.some((solver) => solverAdmits(solver, h.replace(/^\*\./, ""))));
        if (unsolvable.length) {
          const zones = solvers.flatMap((x) => strings(obj(x.selector).dnsZones));
          report(
            s.resource,
            `${describeObject(s.resource.props)} requests ${unsolvable.join(", ")} from ${s.issuer.kind} ${s.issuer.name}, whose solvers only answer for ${zones.join(", ") || "other names"}: cert-manager finds no solver for the challenge and the certificate is never issued; use a host inside those zones or add the zone to the issuer's selector.`,
          );
        }
      }
    },
  });
}

export function certManagerDns01RecursiveNameservers(level: Level = "advisory"): HomelabPolicy {
  return stackPolicy({
    name: "cert-manager-dns01-recursive-nameservers",
    description:
      "Checks that cert-manager checks DNS-01 propagation only through public recursive resolvers when an issuer uses DNS-01, because homelab DNS often answers the zone differently inside the LAN and the self-check never passes; set the chart's dns01RecursiveNameserversOnly: true and dns01RecursiveNameservers (e.g. 1.1.1.1:53,9.9.9.9:53).",
    level,
    check: (resources, report) => {
      const dns01 = [...ofType(resources, TYPES.clusterIssuer), ...ofType(resources, TYPES.issuer)].some((i) =>
        arr(obj(obj(i.props.spec).acme).solvers).some((s) => obj(s).dns01 !== undefined),
      );
      if (!dns01) return;
      eachKnown(releasesOf(resources, "cert-manager"), (r) => {
        const values = valuesOf(r);
        const args = strings(values.extraArgs);
        const only =
          values.dns01RecursiveNameserversOnly === true || args.some((a) => /^--dns01-recursive-nameservers-only(=true)?$/.test(a));
        const servers = str(values.dns01RecursiveNameservers) !== "" || args.some((a) => /^--dns01-recursive-nameservers=\S+/.test(a));
        if (!only || !servers) {
          report(
            r,
            `${describeRelease(r)} lets DNS-01 self-checks use ${only ? "recursive-only checks without naming public resolvers" : "the cluster's resolvers"}: a split-horizon homelab DNS never shows the challenge record, so certificates hang in "propagation check failed"; set dns01RecursiveNameserversOnly: true and dns01RecursiveNameservers: "1.1.1.1:53,9.9.9.9:53".`,
          );
        }
      });
    },
  });
}
