/** The built tracker: its size budget, measured on the files, and how the collector serves them. */
import { readFileSync, readdirSync } from 'node:fs'
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adapters, extensions, gzipSize } from '../tracker/build.ts'
import { TRACKER_DIST as distDir } from '../tracker/dist.ts'
import { TestServer, uniqueSite } from './helpers/server.ts'

// gzipSize is the strictest common measure: the largest of zlib -9 plus the file name field that
// `gzip -9 file` writes into its header, and of the `gzip -9` / `gzip -6` command's own output.
describe('size budget (gzip, strictest measure)', () => {
  it('keeps the core script within 1,400 bytes', () => {
    expect(gzipSize(distDir + 'cairn.js')).toBeLessThanOrEqual(1400)
  })

  it.each(adapters.filter((a) => a != 'auto'))('keeps the %s adapter within 350 bytes', (name) => {
    expect(gzipSize(`${distDir}cairn.consent.${name}.js`)).toBeLessThanOrEqual(350)
  })

  it.each(extensions)('keeps the %s extension within 400 bytes', (name) => {
    expect(gzipSize(`${distDir}cairn.ext.${name}.js`)).toBeLessThanOrEqual(400)
  })

  it('measures at least what the collector sends and what `gzip -9 file` writes', () => {
    const file = distDir + 'cairn.ext.tagged.js'
    const content = readFileSync(file)
    const bare = gzipSync(content, { level: 9 }).length
    expect(gzipSize(file)).toBeGreaterThanOrEqual(bare + 'cairn.ext.tagged.js'.length + 1)
  })

  it('builds one adapter per supported banner, plus auto, and one module per extension', () => {
    expect(adapters).toEqual(expect.arrayContaining(['auto', 'tcf', 'gcm', 'onetrust', 'tarteaucitron']))
    expect([...extensions].sort()).toEqual(['404', 'forms', 'tagged'])
    const modules = [...adapters.map((n) => `cairn.consent.${n}.js`), ...extensions.map((n) => `cairn.ext.${n}.js`)]
    expect(readdirSync(distDir).sort()).toEqual(['cairn.js', ...modules].sort())
  })
})

describe('GET /cairn.js', () => {
  let server: TestServer
  const built = () => readFileSync(distDir + 'cairn.js')
  beforeAll(async () => {
    server = await TestServer.start({ sites: [uniqueSite()] })
  })
  afterAll(() => server.stop())

  const get = (path: string, headers: Record<string, string> = {}) => fetch(server.url + path, { headers })

  it('serves JavaScript with a day of caching and an ETag', async () => {
    const response = await get('/cairn.js', { 'accept-encoding': 'identity' })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(response.headers.get('cache-control')).toMatch(/max-age=86400/)
    expect(response.headers.get('etag')).toMatch(/^"[\w-]+"$/)
    expect(response.headers.get('vary')).toBe('Accept-Encoding')
    expect(response.headers.get('content-encoding')).toBeNull()
    expect(Buffer.from(await response.arrayBuffer())).toEqual(built())
  })

  it('compresses with brotli or gzip as the client accepts', async () => {
    // undici's fetch would decode; read the raw bytes with node:http semantics instead.
    const raw = async (encoding: string) => {
      const { request } = await import('node:http')
      return new Promise<{ encoding?: string; body: Buffer }>((resolve, reject) => {
        request(server.url + '/cairn.js', { headers: { 'accept-encoding': encoding } }, (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => resolve({ encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }))
        }).on('error', reject).end()
      })
    }
    const br = await raw('gzip, deflate, br')
    expect(br.encoding).toBe('br')
    expect(brotliDecompressSync(br.body)).toEqual(built())
    const gz = await raw('gzip;q=1, br;q=0')
    expect(gz.encoding).toBe('gzip')
    expect(gunzipSync(gz.body)).toEqual(built())
    expect(gz.body.length).toBeLessThanOrEqual(1400)
  })

  it('answers 304 to a matching If-None-Match', async () => {
    const etag = (await get('/cairn.js')).headers.get('etag')!
    const again = await get('/cairn.js', { 'if-none-match': etag })
    expect(again.status).toBe(304)
    expect(await again.text()).toBe('')
  })

  it('serves adapters with CORS, since the core loads them with import()', async () => {
    const response = await get('/cairn.consent.tcf.js')
    expect(response.status).toBe(200)
    expect(response.headers.get('access-control-allow-origin')).toBe('*')
    expect((await get('/cairn.consent.nope.js')).status).toBe(404)
  })
})
