/** Files built at install or start (tracker, dashboard), read once, compressed once, served with validation. */
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import type { Context } from 'hono'
import { terminalLanguage, translator } from '../../dashboard/i18n/translate.ts'

export interface BuiltFile {
  etag: string
  identity: Buffer
  br: Buffer
  gzip: Buffer
}

/** The files of `dir` whose names match; throws with what to run when the build is missing. */
export function loadBuiltFiles(dir: string, names: RegExp, mustHave: string): Map<string, BuiltFile> {
  if (!existsSync(dir + mustHave)) throw new Error(translator(terminalLanguage())('cli.missingBuild', { file: dir + mustHave }))
  return new Map(readdirSync(dir).filter((f) => names.test(f)).map((name) => [name, builtFile(dir + name)]))
}

/**
 * The same for many small files of which a page needs a few (the flags): the names are listed now, each
 * file is read and compressed when first asked for.
 */
export function lazyBuiltFiles(dir: string, names: RegExp): { get(name: string): BuiltFile | undefined } {
  const files = new Map<string, BuiltFile | undefined>(existsSync(dir) ? readdirSync(dir).filter((f) => names.test(f)).map((name) => [name, undefined]) : [])
  return {
    get(name) {
      if (!files.has(name)) return undefined
      let file = files.get(name)
      if (!file) files.set(name, (file = builtFile(dir + name)))
      return file
    },
  }
}

function builtFile(path: string): BuiltFile {
  const identity = readFileSync(path)
  return {
    etag: `"${createHash('sha256').update(identity).digest('base64url').slice(0, 22)}"`,
    identity,
    br: brotliCompressSync(identity, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }),
    gzip: gzipSync(identity, { level: 9 }),
  }
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

/** Answers with `file`: 304 when the client's ETag matches, else the best encoding it accepts. */
export function sendBuiltFile(c: Context, file: BuiltFile, headers: Record<string, string>): Response {
  for (const [name, value] of Object.entries(headers)) c.header(name, value)
  c.header('ETag', file.etag)
  c.header('Vary', 'Accept-Encoding')
  const ifNoneMatch = c.req.header('if-none-match')
  if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === file.etag)) return c.body(null, 304)
  const encoding = pickEncoding(c.req.header('accept-encoding') ?? '')
  if (encoding) c.header('Content-Encoding', encoding)
  return c.body(new Uint8Array(encoding ? file[encoding] : file.identity))
}
