/** The apps and namespaces sections: each app's hosts, backends, route kind, middlewares and privacy. */
import { z } from "zod";
import { HTTP_TOKEN, PORT_NAME, PORT_NAME_ERROR, re2Problem, routePathProblem } from "../formats.ts";
import { checked, dnsLabel, hostname, ipv4, section } from "./fields.ts";

const routePath = checked(routePathProblem);

export const backend = section({
  path: routePath.default("/").describe("Path prefix (or exact path)."),
  pathType: z.enum(["Prefix", "Exact"]).default("Prefix").describe("Prefix: the path and everything below it; Exact: the path alone."),
  // Services are DNS-1035 labels (apimachinery ValidateServiceName), which an Ingress backend must name too: a leading digit is refused.
  service: z
    .string()
    .regex(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, {
      error: "expected a Service name: a lower-case letter, then letters, digits and '-', at most 63 characters",
    })
    .describe("Kubernetes Service name in the app's namespace."),
  port: z
    .union(
      [
        z.int({ error: PORT_NAME_ERROR }).min(1, { error: PORT_NAME_ERROR }).max(65535, { error: PORT_NAME_ERROR }),
        z.string().regex(PORT_NAME, { error: PORT_NAME_ERROR }),
      ],
      { error: PORT_NAME_ERROR },
    )
    .describe("Service port number or name (kinds httpRoute and grpcRoute: a number, since Gateway API backendRefs name ports by number)."),
  protocol: z
    .enum(["http", "h2c", "https"], { error: "expected protocol http, h2c or https" })
    .optional()
    .describe(
      "What the Service port speaks, as its appProtocol declares it to Gateway API routes (kubernetes.io/h2c, https). Kind grpcRoute needs h2c or https: gRPC runs over HTTP/2. Default http.",
    ),
});

const middlewares = section({
  stripPrefix: z.array(routePath).optional().describe("Prefixes removed before the request reaches the app. Default: none."),
  cors: section({
    origins: z
      .array(z.string().regex(/^(\*|https?:\/\/[^\s,/]+)$/, { error: "expected an origin like https://app.example.com, or *" }))
      .min(1)
      .describe("Origins allowed to call the app from a browser, e.g. https://app.example.com."),
    methods: z
      .array(z.string().regex(HTTP_TOKEN, { error: "expected an HTTP method like GET" }))
      .default(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
      .describe("Allowed request methods."),
    headers: z
      .array(z.string().regex(HTTP_TOKEN, { error: "expected a header name like Content-Type, or *" }))
      .default(["*"])
      .describe("Allowed request headers."),
    maxAge: z.int().min(0).default(600).describe("Seconds a browser may cache the preflight answer."),
    credentials: z.boolean().default(false).describe("Allow cookies and credentials on cross-origin requests."),
  })
    .optional()
    .describe("CORS response headers. Default: none."),
  rateLimit: section({
    average: z.int().min(1).describe("Requests per second, averaged."),
    burst: z.int().min(1).describe("Requests allowed at once above the average."),
  })
    .optional()
    .describe("Requests per second, average and burst. Default: no limit."),
  securityHeaders: z.boolean().optional().describe("HSTS, frame-deny, nosniff, strict referrer policy. Default: off."),
  ipAllowList: section({
    cloudflare: z.boolean().default(false).describe("Allow Cloudflare's ranges (looked up at deploy time)."),
    ranges: z.array(z.cidrv4()).default([]).describe("Further allowed CIDRs."),
  })
    .optional()
    .describe("Only these client ranges may reach the app. Default: every client."),
  basicAuth: section({
    usersSecret: z.string().min(1).describe("Secret config key (homelab:<key>) holding htpasswd lines."),
  })
    .optional()
    .describe("HTTP basic auth. Default: none."),
  redirect: section({
    regex: z
      .string()
      .min(1)
      .pipe(checked(re2Problem))
      .describe("Regular expression matched against the request URL, in Go's RE2 syntax (Traefik's): no lookaround or backreferences."),
    replacement: z.string().min(1).describe("Where to redirect; ${1} … are the regex's groups."),
    permanent: z.boolean().default(false).describe("301/308 instead of 302/307."),
  })
    .optional()
    .describe("Regex redirect. Default: none."),
});

export const app = section({
  kind: z
    .enum(["ingress", "ingressRoute", "external", "httpRoute", "grpcRoute", "tlsPassthrough", "tlsRoute"], {
      error: "expected kind ingress, ingressRoute, external, httpRoute, grpcRoute, tlsPassthrough or tlsRoute",
    })
    .default("ingress")
    .describe(
      "ingress (Kubernetes Ingress), ingressRoute (Traefik CRD), external (a service outside the cluster, through an Ingress), httpRoute (Gateway API HTTPRoute), grpcRoute (Gateway API GRPCRoute; backend paths `/`, `/<package.Service>` or `/<package.Service>/<Method>`), tlsPassthrough (Traefik IngressRouteTCP with TLS passthrough: routed by SNI to a backend that terminates TLS itself; one backend, path /) or tlsRoute (the same through the Gateway: a Gateway API TLSRoute on a TLS Passthrough listener). httpRoute, grpcRoute and tlsRoute attach to the Gateway of traefik.gatewayApi; httpRoute and grpcRoute take an external block too. Passthrough apps get no certificate, are never proxied (Cloudflare would end their TLS at its edge) and take no middleware but ipAllowList.",
    ),
  namespace: dnsLabel.default("default").describe("Namespace of the app's Service."),
  hosts: z.array(hostname).min(1, { error: "an app needs at least one host" }).describe("Host names, inside dns.zone."),
  backends: z
    .array(backend.describe("One path of the app and the Service:port it goes to."))
    .min(1, { error: "an app needs at least one backend" })
    .describe("Path → Service:port; the most specific path wins."),
  external: section({
    addresses: z
      .array(ipv4("the external service's address"))
      .optional()
      .describe("IPv4 addresses of the service. Default: none; give these or externalName."),
    externalName: hostname.optional().describe("DNS name of the service. Default: none; give this or addresses."),
    port: z.int().min(1).max(65535).describe("Port the service listens on."),
    scheme: z
      .enum(["http", "https", "h2c"])
      .default("http")
      .describe("How Traefik talks to the service; h2c is cleartext HTTP/2 (a gRPC server)."),
    insecureSkipVerify: z
      .boolean()
      .default(false)
      .describe("https only: accept the service's self-signed certificate (the Proxmox UI, most NAS UIs); applies to this service alone."),
  })
    .optional()
    .describe("For kind external: where the service lives (addresses or externalName). Default: none; required for kind external."),
  issuer: dnsLabel.optional().describe("ClusterIssuer. Default certManager.defaultIssuer."),
  proxied: z.boolean().optional().describe("Proxy through Cloudflare. Default dns.proxied."),
  middlewares: middlewares.optional().describe("Traefik middlewares on the app's routes. Default: none."),
  sticky: section({
    cookie: z
      .string()
      .regex(/^[A-Za-z0-9_-]+$/)
      .describe("Cookie name."),
    secure: z.boolean().default(true).describe("Send the cookie over HTTPS only."),
    httpOnly: z.boolean().default(true).describe("Hide the cookie from scripts."),
    sameSite: z.enum(["none", "lax", "strict"]).default("lax").describe("The cookie's SameSite attribute."),
  })
    .optional()
    .describe("Cookie-based session affinity (WebSocket / Socket.io apps). Default: none (any pod may answer)."),
  private: z
    .boolean()
    .default(false)
    .describe(
      "LAN only: no public DNS record, never proxied or tunnelled, and closed to the internet at Traefik: placement deployment serves it on the private entry alone (traefik.privateEntry: a second MetalLB address the router does not forward); the host-network placements, whose node addresses public apps share, on the shared entry behind an ipAllowList of traefik.privateEntry.sources. Every placement adds that allow-list. The stack output lanDns and the synth files lan-dns/* give the host → private entry address lines for a LAN resolver (hosts file, dnsmasq, Pi-hole, AdGuard Home).",
    ),
  publicCertificate: z
    .boolean()
    .default(false)
    .describe(
      "Private apps only: accept a certificate of their own, which publishes the host names in Certificate Transparency logs (where scanners find them). Without it a private app's hosts must be covered by a wildcard certificate (certManager.wildcardZones, or traefik.gatewayApi.listeners: wildcard for Gateway API routes), or need none (passthrough).",
    ),
  publicRecord: z
    .boolean()
    .default(false)
    .describe(
      "Private apps only: keep a public DNS-only A record with the entry's private address (resolvers with DNS-rebinding protection drop it, and it names the LAN address to anyone).",
    ),
  networkPolicy: z
    .boolean()
    .default(true)
    .describe(
      "Allow Traefik to reach the app's pods with a NetworkPolicy. The policy (allow-traefik) is per namespace and shared by the namespace's apps: it admits Traefik to every pod there while any in-cluster app of the namespace keeps this true, so opting out takes effect only when all of them opt out. On a cluster that enforces no NetworkPolicy (a Talos cluster.talos.configContract before v1.13, or cluster.enforcesNetworkPolicies: false) no policy is registered.",
    ),
});

export const namespace = section({
  podSecurity: z.enum(["restricted", "baseline"]).default("restricted").describe("Pod Security enforce level."),
  defaultDeny: z
    .boolean()
    .default(false)
    .describe(
      "Deny all ingress not allowed by a policy. Needs a cluster that enforces NetworkPolicies: Talos with cluster.talos.configContract v1.13 or newer (the stack then turns on kube-network-policies), or provider existing with cluster.enforcesNetworkPolicies.",
    ),
});
