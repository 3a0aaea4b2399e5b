/**
 * An import from start to finish, whatever its format: a job (sql/imports.ts), its files read one by one
 * into its table by ClickHouse itself (the embedded engine reads the file where it lies; a server is sent
 * its bytes, `INSERT … SELECT … FROM input()`), each checked as soon as it is read, then published. A file
 * that cannot be read, or holds another site's pages, fails the whole job: it is rolled back, and the
 * error names the file and what is wrong with it.
 */
import { randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import type { Storage } from '../../sql/client.ts'
import { stringLiteral } from '../../sql/session-per-query.ts'
import {
  createImport, fileStaged, IMPORT_KINDS, ImportRefused, publishImport, removeImport, stagingTable, type ImportJob, type ImportKind,
} from '../../sql/imports.ts'
import { ATTRIBUTION_PARAMS } from './attribution.ts'
import { cairn } from './cairn.ts'
import { FileRefused, fileType, gunzip, unzip, type ImportFile } from './files.ts'
import type { Format, ReadPlan } from './format.ts'
import { ga4 } from './ga4.ts'
import { plausible } from './plausible.ts'
import { umami } from './umami.ts'

export const FORMATS: Record<ImportKind, Format> = { ga4, umami, plausible, cairn }

export interface ImportContext {
  storage: Storage
  /** The embedded engine reads files where they lie; a ClickHouse server is sent their bytes. */
  embedded: boolean
  /** Where a job's uploads and unpacked zips are kept while they are read (removed after). */
  workDir: string
  /** The most an upload, or a zip or gzip once unpacked, may hold (CAIRN_IMPORT_MAX_MB). */
  limitBytes: number
  retentionMonths: number
  cluster?: string | undefined
}

export interface ImportSite {
  site: string
  domains: string[]
  timeZone: string
}

/**
 * Each running job's key for hashing the source's visitor ids: drawn at its start, kept in memory only
 * and forgotten once it is published or rolled back (a job a stopped server leaves is rolled back).
 */
const keys = new Map<number, string>()

export async function startImport(context: ImportContext, site: ImportSite, kind: ImportKind, by: string): Promise<ImportJob> {
  const job = await createImport(context.storage, site.site, kind, by)
  for (const table of FORMATS[kind].sideTables?.(stagingTable(job.id)) ?? []) await context.storage.command({ query: table.create })
  keys.set(job.id, randomBytes(16).toString('hex'))
  return job
}

/** Whether this process can go on with a job (it started it, and has its key). */
export const running = (job: ImportJob) => job.state === 'staging' && keys.has(job.id)

/**
 * One file of the job read into its table (a zip: each of its files the format reads). On any failure the
 * job is rolled back and a FileRefused says which file and why.
 */
export async function addFile(context: ImportContext, site: ImportSite, job: ImportJob, file: ImportFile): Promise<ImportJob> {
  const format = FORMATS[job.kind]
  const unpacked = join(context.workDir, `${job.id}-${randomBytes(4).toString('hex')}`)
  try {
    const type = await fileType(file.path)
    const parts = type === 'zip' ? await unzip(file, unpacked, context.limitBytes) : [file]
    let records = 0
    let read = 0
    // What gzipped files unpack to, all of them together: within the limit, as a zip's entries are.
    let unpackedBytes = 0
    for (const [index, given] of parts.entries()) {
      let part = given
      let partType = part === file ? type : await fileType(part.path)
      // Unpacked here, within the size limit, rather than by the engine, which would not count.
      if (partType === 'gzip') {
        await mkdir(unpacked, { recursive: true, mode: 0o700 })
        part = await gunzip(part, join(unpacked, `gunzipped-${index}`), context.limitBytes - unpackedBytes, context.limitBytes)
        unpackedBytes += (await stat(part.path)).size
        partType = await fileType(part.path)
      }
      if (partType === 'zip' || partType === 'gzip') throw new FileRefused(part.name, 'api.import.file.nestedZip')
      if (partType === 'empty') {
        if (given === file) throw new FileRefused(part.name, 'api.import.file.empty')
        continue
      }
      const plan = format.plan(part, partType, await firstLine(part.path), given !== file)
      if (plan === null) continue
      if (typeof plan === 'string') throw new FileRefused(part.name, plan)
      records += await readInto(context, site, job, part, plan)
      read++
      // Each file of a zip goes once read: what is unpacked at once is one file.
      if (given !== file) await rm(given.path, { force: true })
      if (part !== given) await rm(part.path, { force: true })
    }
    if (read === 0) throw new FileRefused(file.name, 'api.import.file.nothingToRead')
    return await fileStaged(context.storage, job, file.name, records, site.timeZone)
  } catch (error) {
    const refused = error instanceof FileRefused ? error : new FileRefused(file.name, 'api.import.file.unreadable', { reason: engineMessage(error) })
    await failImport(context, job, refused)
    throw refused
  } finally {
    await rm(unpacked, { recursive: true, force: true })
  }
}

/** The job's rows added to the site's data (sql/imports.ts publishImport); a refusal keeps the job as it is. */
export async function finishImport(context: ImportContext, site: ImportSite, job: ImportJob, before?: string): Promise<ImportJob> {
  const format = FORMATS[job.kind]
  try {
    const done = await publishImport(context.storage, job, {
      timeZone: site.timeZone, retentionMonths: context.retentionMonths, before, cluster: context.cluster, select: format.publish,
    })
    await dropSideTables(context, job)
    keys.delete(job.id)
    return done
  } catch (error) {
    if (error instanceof ImportRefused) throw error
    // As publishing: some of its rows may be in the site's tables already, and go too.
    await failImport(context, { ...job, state: 'publishing' }, new FileRefused('', 'api.import.publishFailed', { reason: engineMessage(error) }))
    throw error
  }
}

/** A job deleted as a whole, whatever its state: its rows, its table. */
export async function deleteImport(context: ImportContext, job: ImportJob): Promise<ImportJob> {
  await dropSideTables(context, job)
  keys.delete(job.id)
  return removeImport(context.storage, job, 'deleted', '', context.cluster)
}

/** A job rolled back, keeping why (a catalogue key and its values, which the API says in the reader's language). */
export async function failImport(context: ImportContext, job: ImportJob, why: FileRefused): Promise<void> {
  await dropSideTables(context, job)
  keys.delete(job.id)
  await removeImport(context.storage, job, 'failed', JSON.stringify({ key: why.problem, values: { file: why.file, ...why.values } }), context.cluster)
}

async function dropSideTables(context: ImportContext, job: ImportJob): Promise<void> {
  for (const table of FORMATS[job.kind].sideTables?.(stagingTable(job.id)) ?? []) await context.storage.command({ query: `DROP TABLE IF EXISTS ${table.name}` })
}

/**
 * A file's rows into the job's table, then checked: a file whose rows have no time (not this format's)
 * or whose pages are on another site's host is refused. Returns its records.
 */
async function readInto(context: ImportContext, site: ImportSite, job: ImportJob, file: ImportFile, plan: ReadPlan): Promise<number> {
  const staging = stagingTable(job.id)
  const counted = plan.counted?.(staging) ?? staging
  const count = async () => Number((await (await context.storage.query({ query: `SELECT count() AS n FROM ${counted}`, format: 'JSONEachRow' })).json<{ n: string }>())[0]?.n ?? 0)
  const before = await count()
  const domains = [site.site, ...site.domains]
  const params = { ...ATTRIBUTION_PARAMS, site: site.site, domains, id: job.id, key: keys.get(job.id) ?? '' }
  if (!keys.has(job.id)) throw new FileRefused(file.name, 'api.import.notRunning')
  // The Parquet reader decodes row groups ahead up to its watermark (4 GiB by default): at 128 MiB a file's
  // read takes the same memory whatever its length (1 M or 3 M GA4 events: 0.98 GiB for the process).
  const settings = {
    input_format_skip_unknown_fields: 1, input_format_with_names_use_header: 1, input_format_null_as_default: 1,
    input_format_parquet_memory_high_watermark: String(128 << 20),
    // The embedded engine is the server's own process: a file that would take more (one line of 2 GiB) is refused.
    max_memory_usage: String(2 * 2 ** 30),
  } as const
  if (context.embedded) {
    const source = `file(${stringLiteral(file.path)}, '${plan.format}', ${stringLiteral(plan.structure)})`
    await context.storage.command({ query: plan.insert(source, staging), query_params: params, clickhouse_settings: settings })
  } else {
    const result = await context.storage.exec({
      query: `${plan.insert(`input(${stringLiteral(plan.structure)})`, staging)} FORMAT ${plan.format}`,
      values: createReadStream(file.path),
      query_params: params,
      clickhouse_settings: settings,
    })
    for await (const _ of result.stream);
  }
  const records = (await count()) - before
  if (counted !== staging) return records
  const [check] = await (await context.storage.query({
    // Plausible's pages carry their host.
    query: IMPORT_KINDS[job.kind] === 'aggregates'
      ? `SELECT countIf(date < '2000-01-01') AS undated,
                anyIf(value, dimension = 'hostname' AND value != '' AND NOT (value IN {domains:Array(String)} OR arrayExists(d -> endsWith(value, concat('.', d)), {domains:Array(String)}))) AS foreign_host
         FROM ${staging}`
      // A page on another host: in a row read (GA4), or in every row, all left out as another site's (Umami's dump of every website).
      : `SELECT countIf(timestamp < '2000-01-01') AS undated,
                if(countIf(name != '') = 0 OR anyIf(hostname, name != '' AND NOT belongs) != '', anyIf(hostname, NOT belongs), '') AS foreign_host
         FROM (SELECT *, hostname = '' OR hostname IN {domains:Array(String)} OR arrayExists(d -> endsWith(hostname, concat('.', d)), {domains:Array(String)}) AS belongs FROM ${staging})`,
    query_params: { domains },
    format: 'JSONEachRow',
  })).json<{ undated: string; foreign_host: string }>()
  if (Number(check?.undated) > 0) throw new FileRefused(file.name, 'api.import.file.wrongSchema', { kind: job.kind })
  if (check?.foreign_host) throw new FileRefused(file.name, 'api.import.file.otherSite', { host: check.foreign_host, site: site.site })
  const own = FORMATS[job.kind].check
  if (own) {
    const [found] = await (await context.storage.query({ query: own.sql(staging), format: 'JSONEachRow' })).json<{ bad: string }>()
    if (Number(found?.bad)) throw new FileRefused(file.name, own.problem)
  }
  return records
}

/** A text file's first line (a CSV's header), at most 4 KiB of it. */
async function firstLine(path: string): Promise<string> {
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(4096)
    const { bytesRead } = await handle.read(buffer, 0, 4096, 0)
    return buffer.subarray(0, bytesRead).toString('utf8').split('\n')[0]!
  } finally {
    await handle.close()
  }
}

/**
 * What went wrong reading a file, without the engine's message: ClickHouse quotes the input it could not
 * parse (a row of the file: source ids, URLs), and a job's error is kept and shown. Its error's name, and
 * where in the file, say enough.
 */
function engineMessage(error: unknown): string {
  const { type, message } = error as { type?: unknown; message?: unknown }
  const text = typeof message === 'string' ? message : ''
  const where = /\(at row (\d+)\)|[Rr]ow (\d+)|line (\d+)/.exec(text)
  const name = typeof type === 'string' && /^[A-Z_]+$/.test(type) ? type : /\(([A-Z_]{5,})\)/.exec(text)?.[1] ?? 'ERROR'
  return where ? `${name}, row ${where[1] ?? where[2] ?? where[3]}` : name
}
