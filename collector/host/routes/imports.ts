/**
 * Imports (collector/import/), for a site's admins and the operator (docs/admin-api.md):
 *
 * - `GET /api/sites/{site}/imports`: the site's imports, newest first, and the size limit (`max_bytes`);
 * - `POST /api/sites/{site}/imports` `{"kind": "ga4" | "umami" | "plausible" | "cairn"}`: a new one;
 * - `PUT /api/sites/{site}/imports/{id}/files?name=FILE`: a file (or a zip of them) as the body,
 *   `application/octet-stream`, at most CAIRN_IMPORT_MAX_MB; read at once. Or in parts, each with
 *   `Content-Range: bytes START-END/TOTAL`, in order (202 until the last, which is read). A file refused
 *   rolls the whole import back (422, the file and what is wrong with it);
 * - `POST /api/sites/{site}/imports/{id}/publish` `{"before"?: "YYYY-MM-DD"}`: its rows added to the
 *   site's. Days that already hold the site's data refuse it (409, with the days and since when the site
 *   has data of its own); `before` then keeps only the days before that one;
 * - `DELETE /api/sites/{site}/imports/{id}`: deleted as a whole, whatever its state.
 *
 * An upload is written to the data directory's `imports/` (owner-only) and removed once read. One file is
 * read at a time in a process: another meanwhile gets 429.
 */
import { Hono, type Context } from 'hono'
import { createHash, randomBytes } from 'node:crypto'
import { readdir, rm, stat, truncate } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { Readable } from 'node:stream'
import type { ReadableStream as WebStream } from 'node:stream/web'
import type { Storage } from '../../../sql/client.ts'
import { getImport, IMPORT_KINDS, ImportRefused, listImports, type ImportJob, type ImportKind } from '../../../sql/imports.ts'
import type { SiteList } from '../../../sql/sites.ts'
import { authorize, type Access } from '../../../dashboard/server/auth/access.ts'
import { principalOf } from '../../../dashboard/server/auth/credentials.ts'
import { HttpError, invalid, notFound, requestLanguage } from '../../../dashboard/server/http-error.ts'
import { translator } from '../../../dashboard/i18n/translate.ts'
import { jsonBody } from '../../../dashboard/server/params.ts'
import { isDay } from '../../../dashboard/server/range.ts'
import { FileRefused, receive } from '../../import/files.ts'
import { addFile, deleteImport, failImport, finishImport, running, startImport, type ImportContext, type ImportSite } from '../../import/job.ts'
import { ownerOnly } from '../../../sql/client.ts'
import { forgetImportedDays } from '../../../dashboard/server/imported.ts'

export interface ImportsRouteDeps {
  storage: Storage
  access: Access
  sites: SiteList
  operator: (c: Context) => boolean
  context: ImportContext
}

/**
 * A job as the API shows it: whether this process can still take its files, and why it failed in the
 * request's language (the job keeps the catalogue key and its values).
 */
function shown(c: Context, job: ImportJob) {
  const say = translator(requestLanguage(c))
  let error = ''
  try {
    const { key, values } = JSON.parse(job.error || 'null') ?? {}
    if (typeof key === 'string') error = say(key, values)
  } catch {
    error = job.error
  }
  return { ...job, error, resumable: running(job) }
}

/**
 * `Content-Range: bytes START-END/TOTAL` of a file sent in parts (a browser's upload, each part short of
 * the server's 15 s to receive a request): undefined without one, null when it is not that.
 */
function contentRange(header: string | undefined): { start: number; end: number; total: number } | undefined | null {
  if (header === undefined) return undefined
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(header.trim())
  if (!match) return null
  const [start, end, total] = match.slice(1).map(Number) as [number, number, number]
  return start <= end && end < total ? { start, end, total } : null
}

/** Imports of a site not yet published nor deleted, at most. */
const MAX_OPEN = 5

export function importsRoute(deps: ImportsRouteDeps): Hono {
  const app = new Hono()
  const { context } = deps
  const admin = async (c: Context) => {
    const site = c.req.param('site')!
    const principal = authorize(deps.operator(c) ? { kind: 'operator' } : await principalOf(c, deps.access), site, 'admin', (s) => deps.sites.has(s))
    const { timeZone, domains } = deps.sites.get(site)!
    return { principal, site: { site, timeZone, domains } satisfies ImportSite }
  }
  const jobOf = async (c: Context, site: string) => {
    const id = Number(c.req.param('id'))
    const job = Number.isInteger(id) && id > 0 && id < 2 ** 32 ? await getImport(deps.storage, site, id) : undefined
    if (!job) throw notFound(['api.notFound.import', { id: c.req.param('id')! }])
    return job
  }
  /** The job whose file is being read: one at a time in a process. */
  let reading: number | undefined
  /**
   * Jobs something is being done to (a file read, publishing, deleting): one thing at a time each, or a
   * publish racing a file, or two publishes, would leave rows that no state of the job accounts for.
   */
  const busy = new Set<number | string>()
  const partPath = (id: number, name: string) => join(context.workDir, `${id}-${createHash('sha256').update(name).digest('hex').slice(0, 16)}.part`)
  /** A job's files sent in parts and not finished: gone with the job, or once it is published. */
  const forgetParts = async (id: number) => {
    const names = await readdir(context.workDir).catch(() => [] as string[])
    await Promise.all(names.filter((n) => n.startsWith(`${id}-`) && n.endsWith('.part')).map((n) => rm(join(context.workDir, n), { force: true })))
  }
  const exclusively = async <T>(id: number | string, work: () => Promise<T>): Promise<T> => {
    if (busy.has(id)) throw new HttpError(429, ['api.import.busy'], undefined, { 'retry-after': '30' })
    busy.add(id)
    try {
      return await work()
    } finally {
      busy.delete(id)
    }
  }

  app.get('/api/sites/:site/imports', async (c) => {
    const { site } = await admin(c)
    // The size limit too, so that a screen can refuse a file before sending it.
    return c.json({ imports: (await listImports(deps.storage, site.site)).map((job) => shown(c, job)), max_bytes: context.limitBytes })
  })

  app.post('/api/sites/:site/imports', async (c) => {
    const { principal, site } = await admin(c)
    const { kind } = await jsonBody(c)
    if (typeof kind !== 'string' || !Object.hasOwn(IMPORT_KINDS, kind)) throw invalid({ kind: ['api.field.oneOf', { choices: Object.keys(IMPORT_KINDS).join(', ') }] })
    // Each open job holds a table: a site has a few at most (one left unfinished is deleted, or finished).
    const open = (await listImports(deps.storage, site.site)).filter((j) => j.state === 'staging').length
    if (open >= MAX_OPEN) throw new HttpError(409, ['api.import.tooManyOpen', { max: MAX_OPEN }])
    const by = principal.kind === 'user' ? principal.email : 'operator'
    return c.json(shown(c, await startImport(context, site, kind as ImportKind, by)), 201)
  })

  app.put('/api/sites/:site/imports/:id/files', async (c) => {
    // Whatever the answer, the connection is not used again: a refusal comes before the body is read,
    // whose rest would be read as the next request (a client reusing it saw it closed under it).
    c.header('connection', 'close')
    const { site } = await admin(c)
    const job = await jobOf(c, site.site)
    if (!running(job)) throw new HttpError(409, ['api.import.notRunning'])
    const name = basename(c.req.query('name') ?? '').slice(0, 200)
    if (!name) throw invalid({ name: ['api.field.required'] })
    if (!c.req.raw.body) throw invalid({ body: ['api.field.required'] })
    const range = contentRange(c.req.header('content-range'))
    if (range === null) throw invalid({ 'content-range': ['api.import.contentRange'] })
    // A whole file is received and read in one go: another file meanwhile waits. A part only adds to a file.
    const last = !range || range.end + 1 === range.total
    if ((last && reading !== undefined) || busy.has(job.id)) throw new HttpError(429, ['api.import.busy'], undefined, { 'retry-after': '30' })
    if (last) reading = job.id
    busy.add(job.id)
    ownerOnly(context.workDir)
    // Parts of a file gather under a name of the job's and the file's; a whole file under one of its own.
    const path = range ? partPath(job.id, name) : join(context.workDir, `${job.id}-${randomBytes(6).toString('hex')}.upload`)
    let current = job
    // Whether the file is whole and goes once read (a part refused out of order leaves the file as it stood).
    let whole = !range
    try {
      // Read again once it is ours: it may have been published or failed meanwhile.
      current = await jobOf(c, site.site)
      if (!running(current)) throw new HttpError(409, ['api.import.notRunning'])
      const body = Readable.fromWeb(c.req.raw.body as unknown as WebStream<Uint8Array>)
      // A body said to be too large is refused before a byte of it is read; one that lies, as it passes the limit.
      if (Number(c.req.header('content-length')) > context.limitBytes || (range?.total ?? 0) > context.limitBytes) {
        throw new FileRefused(name, 'api.import.file.tooLarge', { limit: context.limitBytes })
      }
      // A body its sender gave up on may end as if it were whole: what was said to come, and the request
      // still being there, tell. Nothing of it is read, and the job stays as it was.
      const declared = c.req.header('content-length')
      const cut = (size: number) => (declared !== undefined && size !== Number(declared)) || c.req.raw.signal.aborted
      if (range) {
        const had = (await stat(path).catch(() => undefined))?.size ?? 0
        // Parts come in order; a part sent again after a cut connection starts where the file stands.
        if (range.start !== had) throw new HttpError(409, ['api.import.partOffset', { received: had }], undefined, {}, { received: had })
        const size = await receive(body, path, range.end + 1 - range.start, name, { had, said: context.limitBytes })
        if (cut(size) || size !== range.end + 1 - range.start) {
          await truncate(path, had)
          throw new HttpError(400, ['api.import.cutShort', { file: name }])
        }
        if (!last) return c.json({ received: range.end + 1 }, 202)
        whole = true
      } else if (cut(await receive(body, path, context.limitBytes, name))) {
        throw new HttpError(400, ['api.import.cutShort', { file: name }])
      }
      return c.json(shown(c, await addFile(context, site, current, { name, path })))
    } catch (error) {
      if (error instanceof FileRefused) {
        const status = error.problem === 'api.import.file.tooLarge' ? 413 : 422
        // Refused before the job read the file: it is rolled back as for any other refusal (addFile's own).
        if (status === 413) await failImport(context, current, error)
        await forgetParts(job.id)
        const said = [error.problem, { file: error.file, ...error.values }] as const
        throw new HttpError(status, ['api.import.fileRefused', { file: error.file }], { file: said })
      }
      throw error
    } finally {
      if (last) reading = undefined
      busy.delete(job.id)
      if (whole) await rm(path, { force: true })
    }
  })

  app.post('/api/sites/:site/imports/:id/publish', async (c) => {
    const { site } = await admin(c)
    const job = await jobOf(c, site.site)
    if (!running(job)) throw new HttpError(409, ['api.import.notRunning'])
    const { before } = await jsonBody(c)
    // A day that exists (Date.parse takes February 30th, and ClickHouse would make it March 2nd).
    if (before !== undefined && (typeof before !== 'string' || !isDay(before))) {
      throw invalid({ before: ['api.field.date'] })
    }
    try {
      // One publication of a site at a time: two imports of the same days must not both pass the check.
      const done = await exclusively(`site:${site.site}`, () => exclusively(job.id, async () => {
        // Read again inside the lock: the job may have changed since (a file refused, another publish).
        const current = await jobOf(c, site.site)
        if (!running(current)) throw new HttpError(409, ['api.import.notRunning'])
        return finishImport(context, site, current, before as string | undefined)
      }))
      await forgetParts(job.id)
      forgetImportedDays(deps.storage)
      return c.json(shown(c, done))
    } catch (error) {
      if (!(error instanceof ImportRefused)) throw error
      if (error.reason === 'empty') throw new HttpError(422, ['api.import.empty'])
      throw new HttpError(409, ['api.import.overlap', error.details], undefined, {}, { overlap: error.details })
    }
  })

  app.delete('/api/sites/:site/imports/:id', async (c) => {
    const { site } = await admin(c)
    const job = await jobOf(c, site.site)
    const deleted = await exclusively(job.id, async () => deleteImport(context, await jobOf(c, site.site)))
    await forgetParts(job.id)
    forgetImportedDays(deps.storage)
    return c.json(shown(c, deleted))
  })
  return app
}
