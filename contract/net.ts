/** Address facts the config checks and the pack's rules share. */

/**
 * IPv4 ranges no host, VIP or resolver address can lie in (IANA IPv4
 * Special-Purpose Address Registry, RFC 6890): "this network" 0.0.0.0/8,
 * loopback, link-local, multicast and the reserved 240.0.0.0/4 with the
 * limited broadcast 255.255.255.255. Kubernetes refuses the first three in an
 * EndpointSlice too (apis/discovery validation).
 */
export const NOT_A_HOST_IPV4 = [
  { range: "0.0.0.0/8", what: 'in 0.0.0.0/8 ("this network", never a host\'s address)' },
  { range: "127.0.0.0/8", what: "a loopback address (each machine's own)" },
  { range: "169.254.0.0/16", what: "a link-local address (never routed)" },
  { range: "224.0.0.0/4", what: "a multicast address" },
  { range: "240.0.0.0/4", what: "reserved (240.0.0.0/4, with the broadcast address 255.255.255.255)" },
] as const;

/** RFC 1918 private networks: where a LAN's clients are. */
export const PRIVATE_IPV4 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] as const;

/**
 * IPv4 ranges the public internet (and so Cloudflare's edge) cannot reach:
 * RFC 1918, CGNAT, IETF protocol assignments, benchmarking, and every range
 * that is no host address at all. The documentation ranges (TEST-NET) stay
 * reachable here: the example stacks use them for a public address.
 */
export const NON_PUBLIC_IPV4 = [
  ...PRIVATE_IPV4,
  "100.64.0.0/10",
  "192.0.0.0/24",
  "198.18.0.0/15",
  ...NOT_A_HOST_IPV4.map((r) => r.range),
] as const;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpv4(s: string): boolean {
  return IPV4.test(s);
}
