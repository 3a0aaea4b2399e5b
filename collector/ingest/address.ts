/**
 * The client address, truncated at the first moment Cairn sees it. Nothing downstream ever receives the
 * full address: the request context only holds what `truncateIp` returns.
 */
import { isIPv4, isIPv6 } from 'node:net'

/** A request header by its lower-case name. */
export type HeaderOf = (name: string) => string | undefined

/**
 * Picks the client address: the socket peer, or with `trustProxy` hops the entry that many places from
 * the right of `X-Forwarded-For` (each trusted proxy appends the address it saw, so entries further left
 * are whatever the client claimed). Only that header is read: a proxy that writes it passes a client's
 * `Forwarded` header on untouched, so believing `Forwarded` would believe the client.
 */
export function clientAddress(socketAddress: string | undefined, header: HeaderOf, trustProxy: number): string | undefined {
  if (trustProxy > 0) {
    const chain = (header('x-forwarded-for') ?? '').split(',').map((s) => stripPort(s.trim())).filter(Boolean)
    if (chain.length > 0) return chain[Math.max(0, chain.length - trustProxy)]
  }
  return socketAddress
}

/** "[2001:db8::1]:443" → "2001:db8::1", "192.0.2.1:80" → "192.0.2.1". */
function stripPort(value: string): string {
  if (value.startsWith('[')) return value.slice(1, value.indexOf(']'))
  const colon = value.indexOf(':')
  return colon > 0 && value.indexOf(':', colon + 1) === -1 ? value.slice(0, colon) : value
}

/**
 * Keeps the first `v4Prefix` / `v6Prefix` bits and returns ClickHouse's IPv6 text form (IPv4 mapped as
 * ::ffff:a.b.c.0). Anything that is not an address becomes `::` rather than being passed on.
 */
export function truncateIp(address: string | undefined, v4Prefix: number, v6Prefix: number): string {
  if (!address) return '::'
  const bare = address.replace(/%.*$/, '') // zone id, e.g. fe80::1%eth0
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)
  const v4 = mapped ? mapped[1]! : bare
  if (isIPv4(v4)) {
    const bytes = v4.split('.').map(Number)
    maskBits(bytes, v4Prefix)
    return `::ffff:${bytes.join('.')}`
  }
  if (isIPv6(bare)) {
    const bytes = ipv6Bytes(bare)
    maskBits(bytes, v6Prefix)
    return formatIpv6(bytes)
  }
  return '::'
}

function maskBits(bytes: number[], keep: number): void {
  for (let i = 0; i < bytes.length; i++) {
    const bitsHere = Math.min(8, Math.max(0, keep - i * 8))
    bytes[i] = bytes[i]! & ((0xff << (8 - bitsHere)) & 0xff)
  }
}

function ipv6Bytes(address: string): number[] {
  let text = address
  // A trailing dotted quad (::ffff:1.2.3.4 was handled; 64:ff9b::1.2.3.4 is not) becomes two groups.
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (quad) {
    const [a, b, c, d] = quad[1]!.split('.').map(Number) as [number, number, number, number]
    text = text.slice(0, -quad[1]!.length) + ((a << 8) | b).toString(16) + ':' + ((c << 8) | d).toString(16)
  }
  const [head = '', tail] = text.split('::') as [string, string | undefined]
  const headGroups = head ? head.split(':') : []
  const tailGroups = tail ? tail.split(':') : []
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups]
  return groups.flatMap((g) => {
    const n = parseInt(g, 16)
    return [n >> 8, n & 0xff]
  })
}

function formatIpv6(bytes: number[]): string {
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!)
  // RFC 5952: compress the longest run of two or more zero groups.
  let bestStart = -1
  let bestLength = 1
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) { bestStart = i; bestLength = j - i }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (bestStart < 0) return hex.join(':')
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`
}

/** Whether the request came over https: the URL's scheme, or the trusted proxy's X-Forwarded-Proto. */
export function isSecure(requestUrl: string, forwardedProto: string | undefined, trustProxy: boolean): boolean {
  if (trustProxy && forwardedProto) return forwardedProto.split(',')[0]!.trim() === 'https'
  return requestUrl.startsWith('https:')
}
