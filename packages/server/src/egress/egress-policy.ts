import ipaddr from 'ipaddr.js';

/**
 * Which addresses agentd may connect to when it calls out (webhooks now; the LLM runtime's HTTP
 * tool and MCP client later). By default only public unicast addresses: loopback, private,
 * link-local, cloud-metadata, unspecified, multicast, carrier-grade NAT, documentation and other
 * special-purpose ranges are refused, in every spelling (IPv4-mapped IPv6 `::ffff:127.0.0.1`,
 * NAT64 `64:ff9b::7f00:1` and IPv4-compatible `::7f00:1` included; decimal and octal forms such
 * as `2130706433` or `0177.0.0.1` are turned into dotted quads by the URL parser first).
 *
 * Configuration may allow more: an entry is an address (`127.0.0.1`), a CIDR (`10.0.0.0/8`), a
 * host name (`hooks.internal`, matched exactly) or a wildcard suffix (`*.internal`). A host entry
 * trusts whatever that name resolves to, so name only hosts whose DNS you control.
 *
 * The policy only judges; `EgressClient` applies it to the address each connection is made to.
 */

/** A URL or address the policy refused; `reason` says which rule, for error bodies and delivery logs. */
export class EgressRefusedError extends Error {
  readonly code = 'EGRESS_REFUSED';
  readonly reason: string;
  /** `configurable`: an allow entry could let it through (an address), unlike a `file:` URL. */
  constructor(reason: string, configurable = true) {
    super(`egress refused: ${reason}${configurable ? ' (AGENTD_EGRESS_ALLOW may allow it)' : ''}`);
    this.name = 'EgressRefusedError';
    this.reason = reason;
  }
}

/** Well-known instance-metadata services, named in refusals so an operator sees what was tried. */
const METADATA: ReadonlySet<string> = new Set(['169.254.169.254', 'fd00:ec2::254', '100.100.100.200']);

/** The one IPv6 block holding global unicast addresses (RFC 4291); everything outside it is special. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

const RANGE_NAMES: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  uniqueLocal: 'a private (unique local) address',
  linkLocal: 'a link-local address',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  carrierGradeNat: 'a carrier-grade NAT address',
  reserved: 'a reserved or documentation address',
  ipv4Mapped: 'an IPv4-mapped address',
  rfc6052: 'a NAT64 address',
  rfc6145: 'an IPv4-translated address',
  '6to4': 'a 6to4 address',
  teredo: 'a Teredo address',
};

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

function parseEntry(entry: string): { kind: 'cidr'; cidr: Cidr } | { kind: 'host'; host: string } | { kind: 'suffix'; suffix: string } {
  const text = entry.trim().toLowerCase();
  if (text.includes('/')) {
    try {
      return { kind: 'cidr', cidr: ipaddr.parseCIDR(text) };
    } catch {
      throw new Error(`egress allow entry ${JSON.stringify(entry)} is not a valid CIDR`);
    }
  }
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (ipaddr.isValid(bare) && (bare.includes(':') || ipaddr.IPv4.isValidFourPartDecimal(bare))) {
    const addr = ipaddr.parse(bare);
    return { kind: 'cidr', cidr: [addr, addr.kind() === 'ipv4' ? 32 : 128] };
  }
  if (text.startsWith('*.') && /^[a-z0-9.-]+$/.test(text.slice(2))) return { kind: 'suffix', suffix: text.slice(1) };
  if (/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(text)) return { kind: 'host', host: text };
  throw new Error(`egress allow entry ${JSON.stringify(entry)} is not an address, a CIDR, a host name or *.suffix`);
}

/** The address in its canonical kind: an IPv4-mapped IPv6 address is judged as the IPv4 it carries. */
function normalise(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  // Zone ids (`fe80::1%eth0`) name an interface: link-local by definition.
  const unzoned = bare.split('%')[0];
  if (!ipaddr.isValid(unzoned)) return null;
  return ipaddr.process(unzoned);
}

export class EgressPolicy {
  readonly #cidrs: Cidr[] = [];
  readonly #hosts = new Set<string>();
  readonly #suffixes: string[] = [];
  /** The entries as given, for logs and `GET /v1/health`-style reports. */
  readonly entries: readonly string[];

  /** `allow`: addresses, CIDRs, host names and `*.suffix` entries (see the file comment). Default none. */
  constructor(allow: readonly string[] = []) {
    this.entries = allow.map((e) => e.trim()).filter(Boolean);
    for (const entry of this.entries) {
      const e = parseEntry(entry);
      if (e.kind === 'cidr') this.#cidrs.push(e.cidr);
      else if (e.kind === 'host') this.#hosts.add(e.host);
      else this.#suffixes.push(e.suffix);
    }
  }

  /** `AGENTD_EGRESS_ALLOW=127.0.0.1,10.0.0.0/8,hooks.internal`; throws on an entry it cannot read. */
  static parse(list: string | undefined): EgressPolicy {
    return new EgressPolicy((list ?? '').split(','));
  }

  /** Configuration names this host: every address it resolves to may be connected. */
  allowsHost(hostname: string): boolean {
    const host = hostname.toLowerCase().replace(/\.$/, '');
    return this.#hosts.has(host) || this.#suffixes.some((s) => host.endsWith(s));
  }

  /** Why connecting to `address` is refused, or null when it is allowed. */
  refusal(address: string): string | null {
    const addr = normalise(address);
    if (!addr) return `${JSON.stringify(address)} is not an IP address`;
    if (this.#cidrs.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits))) return null;
    const text = addr.toString();
    if (METADATA.has(text) || METADATA.has(address.toLowerCase())) return `${address} is a cloud metadata address`;
    const range = addr.range();
    if (addr.kind() === 'ipv6' && range === 'unicast' && !addr.match(GLOBAL_UNICAST_V6)) return `${address} is outside the global unicast range`;
    if (range === 'unicast') return null;
    return `${address} is ${RANGE_NAMES[range] ?? `a special-purpose address (${range})`}`;
  }

  /**
   * Checks what can be checked without DNS: the scheme, and the host when it is an address
   * literal (such a host is connected to as written, with no lookup). Throws EgressRefusedError.
   */
  checkUrl(url: URL): void {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new EgressRefusedError(`the scheme ${url.protocol.replace(/:$/, '')} is not allowed (http and https only)`, false);
    const host = url.hostname;
    if (host === '') throw new EgressRefusedError('the URL has no host', false);
    if (this.allowsHost(host)) return;
    // RFC 6761: `localhost` and names under it are loopback whatever a resolver says.
    const name = host.toLowerCase().replace(/\.$/, '');
    if (name === 'localhost' || name.endsWith('.localhost')) throw new EgressRefusedError(`${host} is a loopback name`);
    if (isAddressLiteral(host)) {
      const why = this.refusal(host);
      if (why) throw new EgressRefusedError(why);
    }
  }
}

/** A URL's hostname that is an address, not a name (`127.0.0.1`, `[::1]`). */
export function isAddressLiteral(hostname: string): boolean {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return bare.includes(':') ? ipaddr.IPv6.isValid(bare) : ipaddr.IPv4.isValidFourPartDecimal(bare);
}

/** The hostname as net.connect wants it: without the brackets of an IPv6 literal. */
export function connectHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}
