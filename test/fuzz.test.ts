/**
 * Hostile and broken input against the real ingest endpoint: random bodies, content types, nesting,
 * invalid UTF-8, absurd URLs and headers. Always a 4xx or a 202, never a 5xx; no row from an invalid
 * event; the process stays up.
 */
import fc from 'fast-check'
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TestServer, uniqueSite } from './helpers/server.ts'

const site = uniqueSite('fuzz')
let server: TestServer

beforeAll(async () => {
  server = await TestServer.start({ sites: [site] })
})
afterAll(() => server.stop())

/** A raw request, so bodies and headers fetch would refuse (invalid UTF-8, odd header values) go out as they are. */
function send(body: Buffer, headers: Record<string, string>): Promise<number> {
  const url = new URL(`${server.url}/api/event`)
  return new Promise((resolve, reject) => {
    const req = request({ hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const validUrl = fc.constantFrom(`https://${site}/`, `http://${site}/a?b=c`, `https://${site}/${'x'.repeat(50)}`)
const anyJson = fc.jsonValue({ maxDepth: 4 })
const event = fc.record(
  {
    n: fc.oneof(fc.constantFrom('pageview', 'download', 'engagement', 'Signup', ''), fc.string(), anyJson),
    u: fc.oneof(validUrl, fc.webUrl(), fc.string(), fc.constantFrom('javascript:alert(1)', 'file:///etc/passwd', `https://${site}/${'%'.repeat(3000)}`), anyJson),
    d: fc.oneof(fc.constant(site), fc.domain(), fc.string(), anyJson),
    r: fc.oneof(fc.webUrl(), fc.string(), anyJson),
    p: fc.oneof(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean(), anyJson)), anyJson),
    c: fc.oneof(fc.boolean(), anyJson),
    e: fc.oneof(fc.integer(), fc.double(), anyJson),
    sd: fc.oneof(fc.integer(), fc.double(), anyJson),
    h: anyJson,
  },
  { requiredKeys: [] },
)
/** Mostly valid events with odd parts: what a real but sloppy sender produces. */
const nearlyValid = fc.record({
  n: fc.constantFrom('pageview', 'download', 'Signup', 'File Download'),
  u: validUrl,
  d: fc.constant(site),
  r: fc.oneof(fc.constant(null), fc.webUrl(), fc.string()),
  p: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 5 }).map((p) => ({ ...p, url: `https://${site}/f.pdf` })),
  c: fc.oneof(fc.boolean(), fc.constant(null)),
  sd: fc.integer({ min: 0, max: 300 }),
})
const body = fc.oneof(
  nearlyValid.map((e) => Buffer.from(JSON.stringify(e))),
  event.map((e) => Buffer.from(JSON.stringify(e))),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)), // arbitrary bytes, invalid UTF-8 included
  fc.string({ maxLength: 300 }).map((s) => Buffer.from(s)),
  fc.integer({ min: 1, max: 40 }).map((d) => Buffer.from('['.repeat(d * 50) + ']'.repeat(d * 50))), // deep nesting
  fc.integer({ min: 15, max: 40 }).map((k) => Buffer.from(JSON.stringify({ n: 'pageview', u: `https://${site}/`, d: site, p: { big: 'x'.repeat(k * 1024) } }))),
)
const headers = fc.record({
  'content-type': fc.constantFrom('text/plain', 'application/json', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'text/plain;;;'),
  'user-agent': fc.oneof(fc.constant('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'), fc.string({ maxLength: 500 }).filter((s) => /^[\x20-\x7e]*$/.test(s))),
  cookie: fc.constantFrom('', 'cairn_id=garbage', `cairn_id=${'a'.repeat(32)}.99999999999`, 'cairn_id=;;;'),
  'sec-gpc': fc.constantFrom('1', '0', 'yes'),
})

describe('fuzzing POST /api/event', () => {
  it('answers 10,000 hostile requests with 202 or 4xx, stores only valid events, and stays up', async () => {
    let accepted = 0
    await fc.assert(
      fc.asyncProperty(body, headers, async (b, h) => {
        const status = await send(b, Object.fromEntries(Object.entries(h).filter(([, v]) => v !== '')))
        expect(status === 202 || (status >= 400 && status < 500), `status ${status} for ${b.toString('utf8', 0, 200)}`).toBe(true)
        if (status === 202) accepted++
      }),
      { numRuns: 10_000, seed: 20261126 },
    )
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    await server.flush()
    // Nothing lost and nothing stuck: every event queued after a 202 is in ClickHouse (bot drops and
    // engagement outside a visit answer 202 and queue nothing).
    const queued = server.server.collector.counters.accepted
    expect(server.server.collector.writer.queued).toBe(0)
    const [stored] = await server.rows<{ n: string }>('SELECT count() AS n FROM cairn.events WHERE site = {site:String}', { site })
    expect(Number(stored!.n)).toBe(queued)
    expect(queued).toBeGreaterThan(0)
    expect(queued).toBeLessThanOrEqual(accepted)
    const invalid = await server.rows<{ n: string }>(
      "SELECT count() AS n FROM cairn.events WHERE site = {site:String} AND (name = '' OR length(name) > 120 OR NOT match(hostname, '.') OR scroll_depth > 100)",
      { site },
    )
    expect(Number(invalid[0]!.n)).toBe(0)
  }, 300_000)
})
