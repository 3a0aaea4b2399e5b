import { describe, expect, it } from 'vitest'
import { clientAddress, truncateIp } from './address.ts'

describe('truncateIp', () => {
  it.each([
    ['203.0.113.77', 24, 48, '::ffff:203.0.113.0'],
    ['203.0.113.77', 16, 48, '::ffff:203.0.0.0'],
    ['::ffff:203.0.113.77', 24, 48, '::ffff:203.0.113.0'],
    ['2001:db8:abcd:1234:5678:9abc:def0:1357', 24, 48, '2001:db8:abcd::'],
    ['2001:db8:abcd:1234:5678:9abc:def0:1357', 24, 32, '2001:db8::'],
    ['2001:db8:ab:cdef::1', 24, 48, '2001:db8:ab::'],
    ['fe80::1%eth0', 24, 48, 'fe80::'],
    ['64:ff9b::203.0.113.77', 24, 48, '64:ff9b::'],
    ['::1', 24, 48, '::'],
    ['not an address', 24, 48, '::'],
    [undefined, 24, 48, '::'],
  ])('%s /%i /%i → %s', (input, v4, v6, expected) => {
    expect(truncateIp(input, v4, v6)).toBe(expected)
  })
})

describe('clientAddress', () => {
  const headers = (h: Record<string, string>) => (name: string) => h[name]

  it('uses the socket unless proxies are trusted', () => {
    expect(clientAddress('192.0.2.1', headers({ 'x-forwarded-for': '198.51.100.1' }), 0)).toBe('192.0.2.1')
  })

  it('takes the entry the trusted proxy added, not what the client claimed', () => {
    const h = headers({ 'x-forwarded-for': '6.6.6.6, 198.51.100.1' })
    expect(clientAddress('10.0.0.1', h, 1)).toBe('198.51.100.1')
    expect(clientAddress('10.0.0.1', h, 2)).toBe('6.6.6.6')
    expect(clientAddress('10.0.0.1', h, 5)).toBe('6.6.6.6')
  })

  it('strips ports and brackets', () => {
    expect(clientAddress('10.0.0.1', headers({ 'x-forwarded-for': '[2001:db8::17]:4711' }), 1)).toBe('2001:db8::17')
    expect(clientAddress('10.0.0.1', headers({ 'x-forwarded-for': '192.0.2.60:8080' }), 1)).toBe('192.0.2.60')
  })

  it('does not believe a Forwarded header, which proxies that write X-Forwarded-For pass on from the client', () => {
    expect(clientAddress('10.0.0.1', headers({ forwarded: 'for=6.6.6.6', 'x-forwarded-for': '198.51.100.1' }), 1)).toBe('198.51.100.1')
    expect(clientAddress('10.0.0.1', headers({ forwarded: 'for=6.6.6.6' }), 1)).toBe('10.0.0.1')
  })

  it('falls back to the socket when a trusted proxy sent no header', () => {
    expect(clientAddress('192.0.2.1', headers({}), 1)).toBe('192.0.2.1')
  })
})
