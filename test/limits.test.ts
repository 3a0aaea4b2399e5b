/**
 * Limits that keep one client from hurting the others, from the outside over raw sockets: a client that
 * trickles its headers or its body is cut off with 408 while other requests are served, headers over
 * Node's 16 KiB get 431, and a body over 16 KiB gets 413 without being read.
 */
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestServer, pageview, uniqueSite } from './helpers/server.ts'

const site = uniqueSite('limits')
let server: TestServer

beforeAll(async () => {
  server = await TestServer.start({ sites: [site] })
})
afterAll(() => server.stop())

/** Sends `head` then `drip` one byte every 500 ms until the server closes; resolves with what it answered. */
function trickle(head: string, drip: string): Promise<{ answer: string; seconds: number }> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const socket = connect(server.server.port, '127.0.0.1', () => socket.write(head))
    let answer = ''
    let i = 0
    const timer = setInterval(() => socket.writable && socket.write(drip[i++ % drip.length]!), 500)
    socket.on('data', (d) => (answer += d))
    socket.on('error', () => {}) // a reset after the answer is part of being cut off
    socket.on('close', () => {
      clearInterval(timer)
      resolve({ answer, seconds: (Date.now() - started) / 1000 })
    })
    setTimeout(() => reject(new Error(`still connected after 30 s: ${answer}`)), 30_000).unref()
  })
}

describe('slow clients', () => {
  it('cuts off a client that trickles its headers or its body, and serves others meanwhile', async () => {
    const slowHeaders = trickle(`POST /api/event HTTP/1.1\r\nHost: ${site}\r\n`, 'X-Slow: aaaaaaaa\r\n')
    const body = JSON.stringify(pageview(site, '/slow'))
    const slowBody = trickle(`POST /api/event HTTP/1.1\r\nHost: ${site}\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n`, body)
    // Others are served while the slow ones hold their sockets.
    expect((await server.post(pageview(site, '/fast'))).status).toBe(202)
    const [headers, bodyResult] = await Promise.all([slowHeaders, slowBody])
    expect(headers.answer).toMatch(/^HTTP\/1\.1 408/)
    expect(headers.seconds).toBeLessThan(20)
    expect(bodyResult.answer).toMatch(/^HTTP\/1\.1 408/)
    expect(bodyResult.seconds).toBeLessThan(25)
    await server.flush()
    expect(await server.rows("SELECT pathname FROM cairn.events WHERE site = {site:String} ORDER BY pathname", { site })).toEqual([{ pathname: '/fast' }])
  }, 40_000)
})

describe('size limits', () => {
  it('answers 431 to headers over 16 KiB and 413 to a body over 16 KiB', async () => {
    const huge = await server.post(pageview(site, '/h'), { 'x-filler': 'a'.repeat(20_000) })
    expect(huge.status).toBe(431)
    const big = await server.post({ ...pageview(site, '/b'), p: { filler: 'a'.repeat(17_000) } })
    expect(big.status).toBe(413)
    expect(await big.json()).toEqual({ errors: { body: 'must be at most 16384 bytes' } })
  })
})
