/**
 * The tracker scripts (tracker/dist, built by `npm run build`): cairn.js and the cairn.consent.*.js
 * adapter modules. Compressed once at start with brotli and gzip; served with a day of caching plus
 * ETag revalidation, since the URL a site embeds never changes.
 */
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { Hono } from 'hono'

export const trackerDist = fileURLToPath(new URL('../../tracker/dist/', import.meta.url))

interface Script {
  etag: string
  identity: Buffer
  br: Buffer
  gzip: Buffer
}

function loadScripts(dir: string): Map<string, Script> {
  if (!existsSync(dir + 'cairn.js')) {
    throw new Error(`the tracker is not built (${dir}cairn.js is missing); run "npm run build"`)
  }
  const scripts = new Map<string, Script>()
  for (const file of readdirSync(dir).filter((f) => /^cairn[\w.]*\.js$/.test(f))) {
    const identity = readFileSync(dir + file)
    scripts.set(file, {
      etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 22)}"`,
      identity,
      br: brotliCompressSync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
      gzip: gzipSync(identity, { level: 9 }),
    })
  }
  return scripts
}

/** br if the client takes it, else gzip, else none; an explicit q=0 refuses an encoding. */
function pickEncoding(acceptEncoding: string): 'br' | 'gzip' | undefined {
  const accepted = new Set(
    acceptEncoding
      .toLowerCase()
      .split(',')
      .map((part) => part.trim().split(';'))
      .filter(([, q]) => !q || !/^\s*q=0(\.0*)?\s*$/.test(q))
      .map(([name]) => name!.trim()),
  )
  return accepted.has('br') ? 'br' : accepted.has('gzip') ? 'gzip' : undefined
}

export function trackerRoute(dir = trackerDist): Hono {
  const scripts = loadScripts(dir)
  const app = new Hono()
  app.get('/:file{cairn[\\w.]*\\.js}', (c) => {
    const script = scripts.get(c.req.param('file'))
    if (!script) return c.json({ error: 'no such script' }, 404)
    c.header('Content-Type', 'text/javascript; charset=utf-8')
    c.header('Cache-Control', 'public, max-age=86400, stale-while-revalidate=604800')
    c.header('ETag', script.etag)
    c.header('Vary', 'Accept-Encoding')
    // Adapters are loaded with import() from the site's pages, which makes them CORS requests.
    c.header('Access-Control-Allow-Origin', '*')
    c.header('Cross-Origin-Resource-Policy', 'cross-origin')
    const ifNoneMatch = c.req.header('if-none-match')
    if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === script.etag)) return c.body(null, 304)
    const encoding = pickEncoding(c.req.header('accept-encoding') ?? '')
    if (encoding) c.header('Content-Encoding', encoding)
    return c.body(new Uint8Array(encoding ? script[encoding] : script.identity))
  })
  return app
}
