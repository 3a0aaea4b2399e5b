/**
 * Imports (issue 17) as someone who means to break them, from the outside, over HTTP against the real
 * server: files of the wrong schema, cut short, of another site; uploads past the size limit, zips that
 * would unpack past it or hold paths outside their folder; imports that meet the site's own data or another
 * import's; deletion as a whole; a server stopped in the middle; callers without the right; two uploads at
 * once. Every refusal is checked on what was really written, never on the answer alone: no row of the site
 * in cairn.events, cairn.sessions_data or cairn.imported_aggregates, no job table left in system.tables, no
 * upload nor unpacked file under the data directory's imports/ (and none outside it), and the job listed
 * as failed with an error that names the file and what is wrong with it, in English and in French.
 *
 * Tests marked "Found by this file" failed on the import code as first written; their comments say what went wrong.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, watch } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import yazl from 'yazl'
import { addDays, localDate } from '../dashboard/server/range.ts'
import { sealWanted } from '../dashboard/server/rollups.ts'
import { GA4_PARQUET_STRUCTURE, writeGa4 } from './fixtures/imports/ga4.ts'
import { writeUmami } from './fixtures/imports/umami.ts'
import { writePlausible } from './fixtures/imports/plausible.ts'
import { TestServer, pageview, uniqueSite } from './helpers/server.ts'
import { addPeopleWithKeys, adminApi, bearer, expectRefusal, json, passwordOf } from './helpers/admin-api.ts'

/** The refusals' site; one for imports that meet other data; one for deletion; one for restarts; another admin's. */
const SITE = uniqueSite('refusals')
const OVERLAP = uniqueSite('overlap')
const WHOLE = uniqueSite('whole')
const RECOVER = uniqueSite('recover')
const OTHER = uniqueSite('other')
const RACE = uniqueSite('race')

const SITE_ADMIN = 'owner@refusals.example'
const ROOT = 'root@refusals.example'
const VIEWER = 'reader@refusals.example'
const OTHER_ADMIN = 'owner@other.example'

/** Small enough for a test to pass it, large enough for a day of the fixtures (~450 KB of GA4 JSON). */
const LIMIT = 1024 * 1024
const TODAY = localDate(Date.now(), 'UTC')

let server: TestServer
let keys: Record<string, string> = {}
let share = ''
const fixtures = mkdtempSync(join(tmpdir(), 'cairn-imports-refusals-'))
/** A GA4 export (3 days) and an Umami dump (2 days) of SITE, and the same of another domain. */
let ga4Days: string[] = []
let otherGa4Days: string[] = []

beforeAll(async () => {
  server = await TestServer.start({ sites: [SITE, OVERLAP, WHOLE, RECOVER, OTHER, RACE], env: { CAIRN_IMPORT_MAX_MB: '1' } })
  keys = await addPeopleWithKeys(server.server.collector.access, [
    [SITE_ADMIN, 'admin', SITE], [ROOT, 'admin', '*'], [VIEWER, 'viewer', SITE], [OTHER_ADMIN, 'admin', OTHER],
  ], 'imports')
  share = (await server.server.collector.access.createShare(SITE, ROOT)).secret
  const first = addDays(TODAY, -30)
  await writeGa4(join(fixtures, 'ga4'), first, 3, { hostname: SITE })
  ga4Days = readdirSync(join(fixtures, 'ga4')).sort().map((f) => join(fixtures, 'ga4', f))
  await writeGa4(join(fixtures, 'ga4-other'), first, 2, { hostname: 'other.example' })
  otherGa4Days = readdirSync(join(fixtures, 'ga4-other')).sort().map((f) => join(fixtures, 'ga4-other', f))
  await writeUmami(join(fixtures, 'umami'), first, 2, { hostname: SITE })
  await writeUmami(join(fixtures, 'umami-other'), first, 2, { hostname: 'other.example' })
  await writePlausible(join(fixtures, 'plausible-other'), first, 2, { hostname: 'other.example' })
}, 120_000)
afterAll(() => server?.stop())

// ---------------------------------------------------------------------------------------------------
// The API, and what is really written

const { call, login } = adminApi(() => server)
const as = (email: string) => bearer(keys[email]!)
const importsPath = (site: string, rest = '') => `/api/sites/${site}/imports${rest}`
const filePath = (site: string, id: number | string, name: string) => importsPath(site, `/${id}/files?name=${encodeURIComponent(name)}`)

interface Job {
  id: number
  state: string
  files: string[]
  records: number
  written: number
  first_day: string | null
  last_day: string | null
  error: string
  created_at: string
  resumable: boolean
}

async function startImport(site: string, kind: string, headers = as(ROOT)): Promise<number> {
  const response = await call('POST', importsPath(site), { headers, body: { kind } })
  const text = await response.text()
  expect(response.status, text).toBe(201)
  return (JSON.parse(text) as Job).id
}

/** A file sent as the settings screen sends it: its bytes, `application/octet-stream`. */
function upload(site: string, id: number, name: string, body: Buffer | string, headers: Record<string, string> = as(ROOT)): Promise<Response> {
  return fetch(server.url + filePath(site, id, name), { method: 'PUT', headers: { 'content-type': 'application/octet-stream', ...headers }, body: typeof body === 'string' ? body : new Uint8Array(body) })
}

async function publish(site: string, id: number, body: Record<string, unknown> = {}): Promise<Response> {
  return call('POST', importsPath(site, `/${id}/publish`), { headers: as(ROOT), body })
}

/** The job as the list shows it, in a language (`undefined`: not listed). */
async function listed(site: string, id: number, language = 'en'): Promise<Job | undefined> {
  const response = await call('GET', importsPath(site), { headers: { ...as(ROOT), 'accept-language': language } })
  expect(response.status).toBe(200)
  return (await json<{ imports: Job[] }>(response)).imports.find((j) => j.id === id)
}

const count = async (sql: string, params: Record<string, unknown> = {}) => Number((await server.rows<{ n: string }>(sql, params))[0]!.n)

/** Rows of the site in each table an import writes to. */
async function rowsOf(site: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const table of ['events', 'sessions_data', 'imported_aggregates']) out[table] = await count(`SELECT count() AS n FROM cairn.${table} WHERE site = {site:String}`, { site })
  return out
}

/** Tables of import jobs, but those of jobs still staging (which are theirs to keep until published or deleted). */
async function orphanTables(): Promise<string[]> {
  return (await server.rows<{ name: string }>(`SELECT name FROM system.tables WHERE database = 'cairn' AND startsWith(name, 'import_')
    AND toUInt32OrZero(extract(name, '^import_([0-9]+)')) NOT IN (SELECT import_id FROM cairn.imports FINAL WHERE state = 'staging')`)).map((r) => r.name)
}

const tablesOf = async (id: number) => (await server.rows<{ name: string }>(
  "SELECT name FROM system.tables WHERE database = 'cairn' AND (name = {t:String} OR startsWith(name, {prefix:String}))", { t: `import_${id}`, prefix: `import_${id}_` })).map((r) => r.name)

/** Every file under the data directory's imports/ (uploads while read, unpacked zips), recursively. */
function filesInImports(): string[] {
  const dir = join(server.dataDir, 'imports')
  return existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String) : []
}

/** What a refusal's error says of the file, in each language. */
const SAYS = {
  notGa4: { en: /is not a GA4 BigQuery export/, fr: /n’est pas un export BigQuery de GA4/ },
  wrongSchemaGa4: { en: /does not have the columns of a ga4 export/, fr: /n’a pas les colonnes d’un export ga4/ },
  wrongSchemaPlausible: { en: /does not have the columns of a plausible export/, fr: /n’a pas les colonnes d’un export plausible/ },
  unreadable: { en: /could not be read: it is cut short, damaged, or not in this format \(.+\)/, fr: /n’a pas pu être lu\s?: il est tronqué, abîmé/ },
  zipDamaged: { en: /is not a zip that can be read \(.+\)/, fr: /n’est pas un zip lisible/ },
  otherSite: { en: /holds pages of other\.example, not of /, fr: /contient des pages de other\.example, pas de / },
  tooLarge: { en: /is over 1,048,576 bytes \(CAIRN_IMPORT_MAX_MB\)/, fr: /dépasse 1\D048\D576 octets/ },
  zipTooLarge: { en: /would unpack to more than 1,048,576 bytes .*refused before anything was unpacked/, fr: /dépasserait 1\D048\D576 octets une fois décompressé/ },
  zipPath: { en: /holds a path outside its folder .*refused before anything was unpacked/, fr: /contient un chemin hors de son dossier/ },
} as const

/**
 * A file refused: the answer names the file and the problem; the job is listed as failed with the same,
 * in English and French; and nothing of the import is anywhere.
 */
async function expectRefused(response: Response, site: string, id: number, file: string, says: { en: RegExp; fr: RegExp }, status = 422, language: 'en' | 'fr' = 'en'): Promise<Record<string, string>> {
  const body = await expectRefusal(response, status, file)
  const errors = body.errors as Record<string, string>
  expect(errors.file, JSON.stringify(body)).toContain(file)
  expect(errors.file).toMatch(says[language])
  expect(body.error).toContain(file)
  const english = await listed(site, id)
  expect(english, 'the job is still listed').toMatchObject({ state: 'failed', resumable: false })
  expect(english!.error).toContain(file)
  expect(english!.error).toMatch(says.en)
  const french = (await listed(site, id, 'fr'))!
  expect(french.error).toContain(file)
  expect(french.error).toMatch(says.fr)
  expect(french.error).not.toBe(english!.error)
  await expectNothingLeft(site, id)
  return errors
}

async function expectNothingLeft(site: string, id: number): Promise<void> {
  expect(await rowsOf(site), 'rows of the site').toEqual({ events: 0, sessions_data: 0, imported_aggregates: 0 })
  expect(await count('SELECT count() AS n FROM cairn.events WHERE import_id = {id:UInt32}', { id }), 'events of the import on any site').toBe(0)
  expect(await tablesOf(id), 'the job’s tables').toEqual([])
  expect(await orphanTables(), 'tables of jobs no longer staging').toEqual([])
  expect(filesInImports(), 'files under imports/').toEqual([])
}

/**
 * Every name that appears in the data directory's imports/ while `work` runs (inotify: a file made and
 * removed at once is seen too). An upload is `<id>-<hex>.upload`; a zip is unpacked into `<id>-<hex>/`.
 */
async function watchingImports<T>(work: () => Promise<T>): Promise<{ result: T; seen: string[] }> {
  const dir = join(server.dataDir, 'imports')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  const seen = new Set<string>()
  // (An event on the folder itself, as when the server makes sure it is owner-only, names the folder.)
  const watcher = watch(dir, (_event, name) => name && name !== 'imports' && seen.add(String(name)))
  try {
    const result = await work()
    // The kernel's events for what happened before the answer came are read on the next turns of the loop.
    await new Promise((resolve) => setTimeout(resolve, 300))
    return { result, seen: [...seen] }
  } finally {
    watcher.close()
  }
}
const unpacked = (seen: string[]) => seen.filter((name) => !name.endsWith('.upload'))

/** Until the job's upload is being written to its file: the server is then reading it (and holds the one reader). */
async function receiving(id: number): Promise<void> {
  await expect.poll(() => filesInImports().some((f) => f.startsWith(`${id}-`) && f.endsWith('.upload')), { timeout: 10_000 }).toBe(true)
}

/** A zip of these entries (deflated), as any zip program writes it. */
async function zipOf(entries: [name: string, data: Buffer | string][]): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  for (const [name, data] of entries) zip.addBuffer(Buffer.from(data), name)
  zip.end()
  const chunks: Buffer[] = []
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** Each occurrence of `from` (the name in the local header and in the central directory) made `to`, of the same length. */
function renamed(zip: Buffer, from: string, to: string): Buffer {
  expect(to.length).toBe(from.length)
  const out = Buffer.from(zip)
  let found = 0
  for (let at = out.indexOf(from); at !== -1; at = out.indexOf(from, at + 1)) {
    out.write(to, at, 'latin1')
    found++
  }
  expect(found, `${from} in the zip's headers`).toBe(2)
  return out
}

/** A PUT whose body is sent a chunk at a time, by the test (Transfer-Encoding: chunked, no Content-Length). */
function streamingPut(path: string, headers: Record<string, string>) {
  let answered: (value: { status: number; headers: Record<string, string | string[] | undefined>; text: string }) => void
  let failed: (error: Error) => void
  const answer = new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>((resolve, reject) => {
    answered = resolve
    failed = reject
  })
  const req = request(server.url + path, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', ...headers } }, (res) => {
    let text = ''
    res.setEncoding('utf8')
    res.on('data', (chunk: string) => (text += chunk))
    res.on('end', () => answered({ status: res.statusCode ?? 0, headers: res.headers, text }))
    res.on('error', failed)
  })
  // The server may answer (413) before the body's end and close: what the test still writes is lost, not an error.
  req.on('error', (error) => failed(error))
  // A test that aborts the request, or fails before reading the answer, leaves no unhandled rejection behind.
  answer.catch(() => undefined)
  return {
    answer,
    write: (chunk: Buffer | string) => new Promise<void>((resolve) => (req.write(chunk) ? resolve() : req.once('drain', () => resolve()))),
    end: () => req.end(),
    abort: () => req.destroy(),
    req,
  }
}

// ---------------------------------------------------------------------------------------------------
// 1. Wrong schema

describe('a file of the wrong schema is refused, naming it, and leaves nothing', () => {
  it('an Umami CSV dump sent to a GA4 import', async () => {
    const id = await startImport(SITE, 'ga4')
    // Asked in French, the answer is in French (the list is read in both languages in any case).
    const response = await upload(SITE, id, 'website_event.csv', readFileSync(join(fixtures, 'umami', 'website_event.csv')), { ...as(ROOT), 'accept-language': 'fr' })
    await expectRefused(response, SITE, id, 'website_event.csv', SAYS.notGa4, 422, 'fr')
  })

  it('a JSON file of another shape sent as GA4: its rows have no time', async () => {
    const id = await startImport(SITE, 'ga4')
    const orders = Array.from({ length: 50 }, (_, i) => JSON.stringify({ order_id: i, customer: `c${i}`, total: i * 1.5, placed: '2026-01-10 10:00:00' })).join('\n')
    const response = await upload(SITE, id, 'events_20260110.json', `${orders}\n`)
    await expectRefused(response, SITE, id, 'events_20260110.json', SAYS.wrongSchemaGa4)
  })

  it('a CSV named as Plausible’s imported_visitors with other columns, sent as Plausible', async () => {
    const id = await startImport(SITE, 'plausible')
    const name = 'imported_visitors_20260110_20260112.csv'
    const response = await upload(SITE, id, name, 'name,email,amount\nalice,alice@example.org,3\nbob,bob@example.org,4\n')
    await expectRefused(response, SITE, id, name, SAYS.wrongSchemaPlausible)
  })

  it('a GA4 file that was read, then a file of the wrong schema: the first file’s rows go too', async () => {
    const id = await startImport(SITE, 'ga4')
    const good = await upload(SITE, id, 'events_1.json', readFileSync(ga4Days[0]!))
    expect(good.status, await good.clone().text()).toBe(200)
    expect(await count(`SELECT count() AS n FROM cairn.import_${id}`)).toBeGreaterThan(0)
    const response = await upload(SITE, id, 'website_event.csv', readFileSync(join(fixtures, 'umami', 'website_event.csv')))
    await expectRefused(response, SITE, id, 'website_event.csv', SAYS.notGa4)
  })
})

// ---------------------------------------------------------------------------------------------------
// 2. Truncated files

describe('a file cut short is refused, naming it, and leaves nothing', () => {
  it('a GA4 NDJSON file cut in the middle of a line', async () => {
    const whole = readFileSync(ga4Days[0]!)
    const cut = whole.indexOf('\n', Math.floor(whole.length / 2)) + 200
    expect(whole.subarray(cut - 1, cut + 1).includes('\n')).toBe(false)
    const id = await startImport(SITE, 'ga4')
    await expectRefused(await upload(SITE, id, 'events_cut.json', whole.subarray(0, cut)), SITE, id, 'events_cut.json', SAYS.unreadable)
  })

  it('a gzipped GA4 file cut short', async () => {
    const gz = gzipSync(readFileSync(ga4Days[0]!))
    const id = await startImport(SITE, 'ga4')
    await expectRefused(await upload(SITE, id, 'events_cut.json.gz', gz.subarray(0, Math.floor(gz.length / 2))), SITE, id, 'events_cut.json.gz', SAYS.unreadable)
  })

  it('a GA4 Parquet file cut in half (the whole file is read)', async () => {
    // The export as Parquet, written by ClickHouse from the JSON, typed as BigQuery types it.
    const parquet = join(fixtures, `events-${randomBytes(4).toString('hex')}.parquet`)
    await server.storage.command({
      query: `INSERT INTO FUNCTION file('${parquet}', 'Parquet') SELECT * FROM file('${ga4Days[0]}', 'JSONEachRow', '${GA4_PARQUET_STRUCTURE}')`,
      clickhouse_settings: { input_format_skip_unknown_fields: 1, input_format_null_as_default: 1 },
    })
    const bytes = readFileSync(parquet)
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('PAR1')
    // The whole file is read: what refuses the half is that it is cut.
    const control = await startImport(SITE, 'ga4')
    const read = await upload(SITE, control, 'events.parquet', bytes)
    expect(read.status, await read.clone().text()).toBe(200)
    expect((await json<Job>(read)).records).toBeGreaterThan(0)
    expect((await call('DELETE', importsPath(SITE, `/${control}`), { headers: as(ROOT) })).status).toBe(200)
    const id = await startImport(SITE, 'ga4')
    await expectRefused(await upload(SITE, id, 'events_half.parquet', bytes.subarray(0, Math.floor(bytes.length / 2))), SITE, id, 'events_half.parquet', SAYS.unreadable)
  })

  it('a zip cut short', async () => {
    const zip = await zipOf([['events_1.json', readFileSync(ga4Days[0]!)], ['events_2.json', readFileSync(ga4Days[1]!).subarray(0, 100_000)]])
    const id = await startImport(SITE, 'ga4')
    await expectRefused(await upload(SITE, id, 'export.zip', zip.subarray(0, Math.floor(zip.length * 0.7))), SITE, id, 'export.zip', SAYS.zipDamaged)
  })
})


// ---------------------------------------------------------------------------------------------------
// 3. Another site's domain

describe('another site’s export is refused, naming its host', () => {
  it('a GA4 export of other.example', async () => {
    const id = await startImport(SITE, 'ga4')
    await expectRefused(await upload(SITE, id, 'events_other.json', readFileSync(otherGa4Days[0]!)), SITE, id, 'events_other.json', SAYS.otherSite)
    expect((await listed(SITE, id))!.error).toContain(SITE)
  })

  it('an Umami dump of other.example (none of its rows are this site’s)', async () => {
    const id = await startImport(SITE, 'umami')
    await expectRefused(await upload(SITE, id, 'website_event.csv', readFileSync(join(fixtures, 'umami-other', 'website_event.csv'))), SITE, id, 'website_event.csv', SAYS.otherSite)
  })

  // Found by this file, and mended: Plausible's imported_pages names the host of every page, and the import read
  // it (the `hostname` dimension) but did not check it: another site's export was added as this one's.
  it('a Plausible export of other.example (imported_pages names its host)', async () => {
    const name = readdirSync(join(fixtures, 'plausible-other')).find((f) => f.startsWith('imported_pages_'))!
    const id = await startImport(SITE, 'plausible')
    const response = await upload(SITE, id, name, readFileSync(join(fixtures, 'plausible-other', name)))
    await expectRefused(response, SITE, id, name, SAYS.otherSite)
  })
})

// ---------------------------------------------------------------------------------------------------
// 4. The size limit (CAIRN_IMPORT_MAX_MB=1 on this server)

describe('the size limit', () => {
  const twoMiB = () => Buffer.concat([readFileSync(ga4Days[0]!), Buffer.alloc(2 * LIMIT, '{"event_name":"page_view"}\n')]).subarray(0, 2 * LIMIT)

  it('an upload of 2 MiB that says its length: 413 naming the file, nothing kept', async () => {
    const id = await startImport(SITE, 'ga4')
    const { result: response, seen } = await watchingImports(() => upload(SITE, id, 'events_big.json', twoMiB()))
    // Refused on its Content-Length: not a byte of it written.
    expect(seen).toEqual([])
    await expectRefused(response, SITE, id, 'events_big.json', SAYS.tooLarge, 413)
  })

  it('an upload of 2 MiB sent in chunks, without a length: 413 once past the limit, nothing kept', async () => {
    const id = await startImport(SITE, 'ga4')
    const put = streamingPut(filePath(SITE, id, 'events_big.json'), as(ROOT))
    const body = twoMiB()
    for (let at = 0; at < body.length; at += 64 * 1024) {
      await Promise.race([put.write(body.subarray(at, at + 64 * 1024)), put.answer.catch(() => undefined)])
    }
    put.end()
    const answer = await put.answer
    await expectRefused(new Response(answer.text, { status: answer.status }), SITE, id, 'events_big.json', SAYS.tooLarge, 413)
  })

  it('a good zip is seen unpacked by the watch (what makes the watch a proof below)', async () => {
    const zip = await zipOf([['events_1.json', readFileSync(ga4Days[0]!)]])
    const id = await startImport(SITE, 'ga4')
    const { result: response, seen } = await watchingImports(() => upload(SITE, id, 'good.zip', zip))
    expect(response.status, await response.clone().text()).toBe(200)
    expect(unpacked(seen).length).toBeGreaterThan(0)
    expect(filesInImports()).toEqual([])
    expect((await call('DELETE', importsPath(SITE, `/${id}`), { headers: as(ROOT) })).status).toBe(200)
    await expectNothingLeft(SITE, id)
  })

  it('a zip of 5 MiB of zeros (a few KB packed) is refused before anything of it is unpacked, its small first file included', async () => {
    const zeros = Buffer.alloc(5 * LIMIT)
    // The first file is small and a good one: were the zip unpacked file by file, it would be read before the second.
    const zip = await zipOf([['events_1.json', readFileSync(ga4Days[0]!).subarray(0, 20_000).toString().replace(/\n[^\n]*$/, '\n')], ['events_2.json', zeros]])
    expect(zip.length).toBeLessThan(64 * 1024)
    const id = await startImport(SITE, 'ga4')
    const { result: response, seen } = await watchingImports(() => upload(SITE, id, 'bomb.zip', zip))
    // The upload was written and removed; no folder to unpack into was ever made.
    expect(seen.some((name) => name.endsWith('.upload'))).toBe(true)
    expect(unpacked(seen)).toEqual([])
    await expectRefused(response, SITE, id, 'bomb.zip', SAYS.zipTooLarge)
  })

  // Found by this file, and mended: a gzipped file was read by ClickHouse as it streamed, and nothing counted
  // what it unpacked to: 100 KB of gzip past the limit became 6 MiB of rows in the job's table.
  it('a gzipped file that would unpack past the limit is refused, as a zip is', async () => {
    const line = readFileSync(ga4Days[0]!, 'utf8').split('\n')[0]!
    const text = `${line}\n`.repeat(Math.ceil((6 * LIMIT) / (line.length + 1)))
    const gz = gzipSync(text)
    expect(gz.length).toBeLessThan(LIMIT / 4)
    const id = await startImport(SITE, 'ga4')
    await expectRefused(await upload(SITE, id, 'events_bomb.json.gz', gz), SITE, id, 'events_bomb.json.gz', { en: /1,048,576 bytes/, fr: /1\D048\D576 octets/ })
  })

  it('a zip that lies about its sizes is refused midway, and nothing of it is kept', async () => {
    const zip = await zipOf([['events_1.json', Buffer.alloc(5 * LIMIT, '{"a":1}\n')]])
    // The central directory's uncompressed size (offset 24 of its header) says 1,000 bytes.
    const central = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]))
    zip.writeUInt32LE(1000, central + 24)
    const local = zip.indexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]))
    zip.writeUInt32LE(1000, local + 22)
    const id = await startImport(SITE, 'ga4')
    await expectRefused(await upload(SITE, id, 'liar.zip', zip), SITE, id, 'liar.zip', SAYS.zipDamaged)
  })
})

// ---------------------------------------------------------------------------------------------------
// 5. Zip slip

describe('a zip holding a path outside its folder is refused before anything is unpacked', () => {
  const evil = `evil-${randomBytes(4).toString('hex')}.csv`
  const umami = () => readFileSync(join(fixtures, 'umami', 'website_event.csv'))
  const nowhere = () => {
    for (const dir of [tmpdir(), '/tmp', dirname(server.dataDir), server.dataDir, join(server.dataDir, 'imports'), fixtures]) {
      expect(existsSync(join(dir, evil)), join(dir, evil)).toBe(false)
    }
  }

  it.each([
    ['../', 'zz/'],
    ['../../../../../../../../tmp/', 'zzzzzzzzzzzzzzzzzzzzzzzzzzzz'],
    ['/tmp/', 'zzzz/'],
    ['..\\', 'zzz'],
    ['sub/../../', 'sub/zzzzzz'],
    ['C:/', 'zz/'],
  ])('an entry named %s<name>', async (prefix, placeholder) => {
    const real = `${prefix}${evil}`
    const made = `${placeholder.padEnd(prefix.length, 'z')}${evil}`
    // A zip program refuses to write such a name: the zip is made with one of the same length, then renamed in its headers.
    const zip = renamed(await zipOf([['website_event.csv', umami()], [made, umami()]]), made, real)
    const id = await startImport(SITE, 'umami')
    const { result: response, seen } = await watchingImports(() => upload(SITE, id, 'slip.zip', zip))
    expect(unpacked(seen)).toEqual([])
    const errors = await expectRefused(response, SITE, id, 'slip.zip', SAYS.zipPath)
    expect(errors.file, 'the entry at fault is named').toContain(evil)
    nowhere()
  })
})

// ---------------------------------------------------------------------------------------------------
// 6. Imports that meet other data

describe('an import never mixes with other data of the site', () => {
  let first = 0
  const days = [addDays(TODAY, -2), addDays(TODAY, -1), TODAY]

  it('one whose days hold the site’s own events: 409 with the days, still staging, nothing published', async () => {
    expect((await server.post(pageview(OVERLAP, '/x'))).status).toBe(202)
    await server.flush()
    await writeGa4(join(fixtures, 'overlap'), days[0]!, 3, { hostname: OVERLAP })
    first = await startImport(OVERLAP, 'ga4')
    for (const file of readdirSync(join(fixtures, 'overlap')).sort()) {
      const response = await upload(OVERLAP, first, file, readFileSync(join(fixtures, 'overlap', file)))
      expect(response.status, await response.clone().text()).toBe(200)
    }
    const refused = await publish(OVERLAP, first)
    const body = await json<{ error: string; overlap: Record<string, string> }>(refused)
    expect(refused.status, JSON.stringify(body)).toBe(409)
    expect(body.overlap).toEqual({ first: TODAY, last: TODAY, own_data_since: TODAY })
    expect(body.error).toContain(TODAY)
    expect(await listed(OVERLAP, first)).toMatchObject({ state: 'staging', resumable: true })
    expect(await count('SELECT count() AS n FROM cairn.events WHERE site = {site:String} AND import_id != 0', { site: OVERLAP })).toBe(0)
    expect(await count('SELECT count() AS n FROM cairn.events WHERE site = {site:String}', { site: OVERLAP })).toBe(1)
    expect(await tablesOf(first)).toEqual([`import_${first}`])
  })

  it('published with `before` the first day of the site’s own: only the days before are added', async () => {
    const response = await publish(OVERLAP, first, { before: TODAY })
    expect(response.status, await response.clone().text()).toBe(200)
    expect(await json<Job>(response)).toMatchObject({ state: 'done', first_day: days[0], last_day: days[1] })
    const [span] = await server.rows<{ first: string; last: string; today: string }>(`SELECT toString(min(toDate(timestamp))) AS first, toString(max(toDate(timestamp))) AS last,
      toString(countIf(toDate(timestamp) >= {today:Date})) AS today FROM cairn.events WHERE site = {site:String} AND import_id = {id:UInt32}`, { site: OVERLAP, id: first, today: TODAY })
    expect(span).toEqual({ first: days[0], last: days[1], today: '0' })
    expect(await count('SELECT count() AS n FROM cairn.events WHERE site = {site:String} AND import_id = 0', { site: OVERLAP })).toBe(1)
    expect(await tablesOf(first)).toEqual([])
  })

  it('a second import over the first one’s days: 409, and nothing of it published', async () => {
    await writeGa4(join(fixtures, 'overlap-2'), addDays(TODAY, -4), 3, { hostname: OVERLAP, seed: 99 })
    const second = await startImport(OVERLAP, 'ga4')
    for (const file of readdirSync(join(fixtures, 'overlap-2')).sort()) {
      expect((await upload(OVERLAP, second, file, readFileSync(join(fixtures, 'overlap-2', file)))).status).toBe(200)
    }
    const before = await count('SELECT count() AS n FROM cairn.events WHERE site = {site:String}', { site: OVERLAP })
    const refused = await publish(OVERLAP, second)
    const body = await json<{ overlap: Record<string, string> }>(refused)
    expect(refused.status, JSON.stringify(body)).toBe(409)
    expect(body.overlap).toMatchObject({ first: days[0], last: days[0] })
    expect(await listed(OVERLAP, second)).toMatchObject({ state: 'staging' })
    expect(await count('SELECT count() AS n FROM cairn.events WHERE import_id = {id:UInt32}', { id: second })).toBe(0)
    expect(await count('SELECT count() AS n FROM cairn.events WHERE site = {site:String}', { site: OVERLAP })).toBe(before)
    // Deleted, it leaves the first import as it was.
    expect((await call('DELETE', importsPath(OVERLAP, `/${second}`), { headers: as(ROOT) })).status).toBe(200)
    expect(await tablesOf(second)).toEqual([])
    expect(await count('SELECT count() AS n FROM cairn.events WHERE site = {site:String}', { site: OVERLAP })).toBe(before)
  })

  it('a Plausible import (daily aggregates) over the days of the events imported: 409, and no aggregate added', async () => {
    await writePlausible(join(fixtures, 'overlap-plausible'), days[0]!, 2, { hostname: OVERLAP })
    const id = await startImport(OVERLAP, 'plausible')
    const read = await upload(OVERLAP, id, 'plausible-export.zip', readFileSync(join(fixtures, 'overlap-plausible', 'plausible-export.zip')))
    expect(read.status, await read.clone().text()).toBe(200)
    const refused = await publish(OVERLAP, id)
    const body = await json<{ overlap: Record<string, string> }>(refused)
    expect(refused.status, JSON.stringify(body)).toBe(409)
    expect(body.overlap).toMatchObject({ first: days[0], last: days[1] })
    expect(await count('SELECT count() AS n FROM cairn.imported_aggregates WHERE site = {site:String}', { site: OVERLAP })).toBe(0)
    expect((await call('DELETE', importsPath(OVERLAP, `/${id}`), { headers: as(ROOT) })).status).toBe(200)
    expect(await tablesOf(id)).toEqual([])
  })
})

describe('publishing, from the outside', () => {
  const raceFile = (i: number) => readFileSync(ga4Days[i]!, 'utf8').replaceAll(SITE, RACE)
  const raceEvents = async (id: number) => (await server.rows<{ n: string; ids: string }>(
    'SELECT toString(count()) AS n, toString(uniqExact(session_id, timestamp, name, pathname, engagement_ms)) AS ids FROM cairn.events WHERE site = {site:String} AND import_id = {id:UInt32}', { site: RACE, id }))[0]!

  // Found by this file, and mended: the route checked a date with Date.parse, which takes February 30th (as
  // ClickHouse's toDate does: March 2nd).
  it('a `before` that is no day (February 30th): 400, and the job still staging', async () => {
    const id = await startImport(RACE, 'ga4')
    try {
      expect((await upload(RACE, id, 'events_1.json', raceFile(0))).status).toBe(200)
      for (const before of ['2026-13-01', 'yesterday', 20261101, '2027-02-30']) {
        const body = await expectRefusal(await publish(RACE, id, { before }), 400, String(before))
        expect(Object.keys(body.errors as object)).toEqual(['before'])
      }
      expect(await listed(RACE, id)).toMatchObject({ state: 'staging', resumable: true })
      expect(Number((await raceEvents(id)).n)).toBe(0)
    } finally {
      expect((await call('DELETE', importsPath(RACE, `/${id}`), { headers: as(ROOT) })).status).toBe(200)
      expect(await rowsOf(RACE)).toEqual({ events: 0, sessions_data: 0, imported_aggregates: 0 })
    }
  })

  it('two publishes of the same job at once: its rows are added once, and the job says so', async () => {
    const id = await startImport(RACE, 'ga4')
    expect((await upload(RACE, id, 'events_1.json', raceFile(0))).status).toBe(200)
    expect((await upload(RACE, id, 'events_2.json', raceFile(1))).status).toBe(200)
    try {
      const answers = await Promise.all([publish(RACE, id), publish(RACE, id)])
      const statuses = answers.map((a) => a.status).sort()
      const job = (await listed(RACE, id))!
      const events = await raceEvents(id)
      // One is published; the other is refused (the job is no longer staging, or busy).
      expect({ published: statuses.filter((s) => s === 200).length, state: job.state, events: events.n, distinct: events.ids })
        .toEqual({ published: 1, state: 'done', events: String(job.written), distinct: String(job.written) })
      expect([409, 429]).toContain(statuses[1])
    } finally {
      expect((await call('DELETE', importsPath(RACE, `/${id}`), { headers: as(ROOT) })).status).toBe(200)
      expect(await rowsOf(RACE)).toEqual({ events: 0, sessions_data: 0, imported_aggregates: 0 })
    }
  })

  // Found by this file: the upload's request read the job before it was published, and the file's refusal
  // then rolled the job back as it was (staging), leaving its published events undeletable. One thing at a
  // time is done to a job now: the publish waits its turn (429, Retry-After), and includes the file.
  it('a publish while a file of the job arrives waits its turn (429), then publishes that file too', async () => {
    const id = await startImport(RACE, 'ga4')
    expect((await upload(RACE, id, 'events_1.json', raceFile(0))).status).toBe(200)
    const late = streamingPut(filePath(RACE, id, 'events_2.json'), as(ROOT))
    const bytes = Buffer.from(raceFile(1))
    try {
      await late.write(bytes.subarray(0, 1000))
      await receiving(id)
      const early = await publish(RACE, id)
      expect(early.status, await early.clone().text()).toBe(429)
      expect(early.headers.get('retry-after')).toBe('30')
      await late.write(bytes.subarray(1000))
      late.end()
      expect((await late.answer).status).toBe(200)
      const published = await publish(RACE, id)
      expect(published.status, await published.clone().text()).toBe(200)
      const job = await json<Job>(published)
      expect(job).toMatchObject({ state: 'done', files: ['events_1.json', 'events_2.json'] })
      expect(Number((await raceEvents(id)).n)).toBe(job.written)
    } finally {
      late.abort()
      expect((await call('DELETE', importsPath(RACE, `/${id}`), { headers: as(ROOT) })).status).toBe(200)
      expect(await rowsOf(RACE), 'rows of the site once the import is deleted').toEqual({ events: 0, sessions_data: 0, imported_aggregates: 0 })
    }
  })

  // Found by this file, the same cause: a job deleted while a file of it arrived came back, failed.
  it('a delete while a file arrives waits its turn (429); then the job goes, and nothing of the file is kept', async () => {
    const id = await startImport(RACE, 'ga4')
    const late = streamingPut(filePath(RACE, id, 'events_1.json'), as(ROOT))
    const bytes = Buffer.from(raceFile(0))
    try {
      await late.write(bytes.subarray(0, 1000))
      await receiving(id)
      expect((await call('DELETE', importsPath(RACE, `/${id}`), { headers: as(ROOT) })).status).toBe(429)
      await late.write(bytes.subarray(1000))
      late.end()
      expect((await late.answer).status).toBe(200)
      expect((await call('DELETE', importsPath(RACE, `/${id}`), { headers: as(ROOT) })).status).toBe(200)
      expect(await listed(RACE, id), 'the deleted job in the list').toBeUndefined()
      expect(await count('SELECT count() AS n FROM cairn.events WHERE import_id = {id:UInt32}', { id })).toBe(0)
      expect(await tablesOf(id)).toEqual([])
      expect(filesInImports()).toEqual([])
    } finally {
      late.abort()
    }
  })
})

// ---------------------------------------------------------------------------------------------------
// 7. Deleted as a whole

describe('a published import deleted as a whole', () => {
  it('takes its events, their visits, their counts and the site’s seals with it; the site’s own events stay', async () => {
    for (const path of ['/own-1', '/own-2']) expect((await server.post(pageview(WHOLE, path))).status).toBe(202)
    await server.flush()
    const from = addDays(TODAY, -12)
    const to = addDays(TODAY, -10)
    const expected = await writeGa4(join(fixtures, 'whole'), from, 3, { hostname: WHOLE })
    const id = await startImport(WHOLE, 'ga4')
    for (const file of readdirSync(join(fixtures, 'whole')).sort()) {
      expect((await upload(WHOLE, id, file, readFileSync(join(fixtures, 'whole', file)))).status).toBe(200)
    }
    const published = await publish(WHOLE, id)
    expect(published.status, await published.clone().text()).toBe(200)

    const aggregate = async () => {
      const response = await call('GET', `/api/stats/${WHOLE}/aggregate?period=custom&from=${from}&to=${to}`, { headers: as(ROOT) })
      expect(response.status).toBe(200)
      return (await json<{ results: { visitors: number; pageviews: number } }>(response)).results
    }
    const imported = { site: WHOLE, id }
    const visits = (await server.rows<{ s: string }>('SELECT DISTINCT toString(session_id) AS s FROM cairn.events WHERE site = {site:String} AND import_id = {id:UInt32}', imported)).map((r) => r.s)
    const visitsLeft = () => count('SELECT count() AS n FROM cairn.sessions_data WHERE site = {site:String} AND toString(session_id) IN {visits:Array(String)}', { site: WHOLE, visits })
    const spanCounts = () => count(`SELECT sum(events) AS n FROM cairn.event_counts WHERE site = {site:String} AND at >= toDateTime({from:Date}) AND at < toDateTime({to:Date}) + INTERVAL 1 DAY`, { site: WHOLE, from, to })
    const seals = () => count('SELECT count() AS n FROM cairn.range_rollups WHERE site = {site:String}', { site: WHOLE })
    const own = () => count('SELECT count() AS n FROM cairn.events WHERE site = {site:String} AND import_id = 0', { site: WHOLE })
    const ownVisits = () => count("SELECT count() AS n FROM cairn.sessions_data WHERE site = {site:String} AND toDate(start) = {today:Date}", { site: WHOLE, today: TODAY })

    // What there is before: the import in every table, and the dashboard's figures for its days.
    expect(await count('SELECT count() AS n FROM cairn.events WHERE site = {site:String} AND import_id = {id:UInt32}', imported)).toBeGreaterThan(0)
    expect(visits.length).toBe(expected.visits)
    expect(await visitsLeft()).toBeGreaterThan(0)
    expect(await spanCounts()).toBeGreaterThan(0)
    expect(await aggregate()).toMatchObject({ visitors: expected.visitors, pageviews: expected.pageviews })
    // The sealer's pass, for this site: its 7, 30 days… hold the import's days.
    expect((await sealWanted(server.storage, [{ site: WHOLE, timeZone: 'UTC' }], Date.now())).length).toBeGreaterThan(0)
    expect(await seals(), 'the site’s ranges are sealed').toBeGreaterThan(0)
    const ownBefore = { events: await own(), visits: await ownVisits() }
    expect(ownBefore.events).toBe(2)

    const deleted = await call('DELETE', importsPath(WHOLE, `/${id}`), { headers: as(ROOT) })
    expect(deleted.status, await deleted.clone().text()).toBe(200)
    expect(await json<Job>(deleted)).toMatchObject({ state: 'deleted' })
    expect(await listed(WHOLE, id)).toBeUndefined()

    expect(await count('SELECT count() AS n FROM cairn.events WHERE import_id = {id:UInt32}', { id })).toBe(0)
    expect(await visitsLeft()).toBe(0)
    expect(await spanCounts()).toBe(0)
    expect(await seals()).toBe(0)
    expect({ events: await own(), visits: await ownVisits() }).toEqual(ownBefore)
    expect(await aggregate()).toMatchObject({ visitors: 0, pageviews: 0 })
    // A deleted job takes no more files, nor can it be published.
    await expectRefusal(await upload(WHOLE, id, 'events.json', readFileSync(ga4Days[0]!)), 404)
    await expectRefusal(await publish(WHOLE, id), 404)
  })
})

// ---------------------------------------------------------------------------------------------------
// 8. A server stopped in the middle

describe('a job a stopped server left is rolled back when it starts again', () => {
  it('a job left staging, a file read: failed as interrupted, its table gone, no rows', async () => {
    const id = await startImport(RECOVER, 'ga4')
    const read = await upload(RECOVER, id, 'events_1.json', readFileSync(ga4Days[0]!, 'utf8').replaceAll(SITE, RECOVER))
    expect(read.status, await read.clone().text()).toBe(200)
    expect(await count(`SELECT count() AS n FROM cairn.import_${id}`)).toBeGreaterThan(0)
    await server.restart()
    const job = (await listed(RECOVER, id))!
    expect(job).toMatchObject({ state: 'failed', resumable: false })
    expect(job.error).toMatch(/The server stopped while this import ran; nothing of it was kept/)
    expect((await listed(RECOVER, id, 'fr'))!.error).toMatch(/Le serveur s’est arrêté pendant cet import/)
    expect(await rowsOf(RECOVER)).toEqual({ events: 0, sessions_data: 0, imported_aggregates: 0 })
    expect(await tablesOf(id)).toEqual([])
    expect(await orphanTables()).toEqual([])
    expect(filesInImports()).toEqual([])
    // It takes no more files.
    await expectRefusal(await upload(RECOVER, id, 'events_2.json', readFileSync(ga4Days[1]!)), 409)
  })

  it('a job left publishing, some of its events written: they are deleted, and their visits', async () => {
    const id = await startImport(RECOVER, 'ga4')
    const job = (await listed(RECOVER, id))!
    // As publishImport leaves it when the server stops midway: the job saved as publishing, some rows copied.
    await server.storage.insert({
      table: 'cairn.imports',
      values: [{ site: RECOVER, import_id: id, kind: 'ga4', state: 'publishing', files: ['events_1.json'], records: 3, written: 0, skipped: 0,
        first_day: addDays(TODAY, -20), last_day: addDays(TODAY, -20), error: '', created_by: 'operator', created_at: job.created_at.replace('T', ' ').replace('Z', ''), version: Date.now() * 1000 }],
      format: 'JSONEachRow',
    })
    const at = `${addDays(TODAY, -20)} 10:00:00.000`
    await server.storage.insert({
      table: 'cairn.events',
      values: [1, 2, 3].map((n) => ({ site: RECOVER, timestamp: at, name: 'pageview', visitor_id: String(1000 + n), session_id: String(2000 + n), session_start: at, consent: false, hostname: RECOVER, pathname: `/p${n}`, import_id: id })),
      format: 'JSONEachRow',
    })
    expect(await count('SELECT count() AS n FROM cairn.events WHERE import_id = {id:UInt32}', { id })).toBe(3)
    expect(await count('SELECT count() AS n FROM cairn.sessions_data WHERE site = {site:String}', { site: RECOVER })).toBe(3)
    expect((await listed(RECOVER, id))!.state).toBe('publishing')
    await server.restart()
    expect(await listed(RECOVER, id)).toMatchObject({ state: 'failed', error: expect.stringMatching(/The server stopped while this import ran/) })
    expect(await rowsOf(RECOVER)).toEqual({ events: 0, sessions_data: 0, imported_aggregates: 0 })
    expect(await tablesOf(id)).toEqual([])
    expect(await orphanTables()).toEqual([])
  })
})

// ---------------------------------------------------------------------------------------------------
// 9. Who may

describe('only the site’s admins may import', () => {
  let id = 0
  let before: { jobs: number; staged: number }
  /** A route of the imports, and the body that would succeed for the site's admin (a GA4 file for the upload). */
  interface Route { method: string; path: string; body?: object; raw?: boolean }
  const routes = (job: number): Route[] => [
    { method: 'GET', path: importsPath(SITE) },
    { method: 'POST', path: importsPath(SITE), body: { kind: 'ga4' } },
    { method: 'PUT', path: filePath(SITE, job, 'events_1.json'), raw: true },
    { method: 'POST', path: importsPath(SITE, `/${job}/publish`), body: {} },
    { method: 'DELETE', path: importsPath(SITE, `/${job}`) },
  ]
  const send = (route: Route, headers: Record<string, string>, type = route.raw ? 'application/octet-stream' : 'application/json') =>
    fetch(server.url + route.path, {
      method: route.method,
      headers: { ...(route.method !== 'GET' && { 'content-type': type }), ...headers },
      body: route.method === 'GET' || route.method === 'DELETE' ? undefined : route.raw ? new Uint8Array(readFileSync(ga4Days[0]!)) : JSON.stringify(route.body),
    })
  const state = async () => ({
    jobs: await count('SELECT count() AS n FROM cairn.imports WHERE site = {site:String}', { site: SITE }),
    staged: await count(`SELECT count() AS n FROM cairn.import_${id}`),
  })

  beforeAll(async () => {
    id = await startImport(SITE, 'ga4', as(SITE_ADMIN))
    before = await state()
  })

  it.each(['GET', 'POST', 'PUT', 'POST publish', 'DELETE'].map((name, i) => [name, i] as const))('%s: 401 without credentials, 403 to a viewer, another site’s admin, a shared link', async (_, i) => {
    const route = routes(id)[i]!
    const { seen } = await watchingImports(async () => {
      await expectRefusal(await send(route, {}), 401, 'anonymous')
      await expectRefusal(await send(route, as(VIEWER)), 403, 'viewer')
      await expectRefusal(await send(route, as(OTHER_ADMIN)), 403, 'other site’s admin')
      await expectRefusal(await send(route, { 'x-cairn-share': share }), 403, 'shared link')
    })
    expect(seen, 'nothing written under imports/').toEqual([])
    expect(await state()).toEqual(before)
    expect(await listed(SITE, id)).toMatchObject({ state: 'staging', files: [] })
  })

  it('from another origin, with the admin’s login cookie: 403, and nothing created or read', async () => {
    const cookie = await login(SITE_ADMIN, passwordOf(SITE_ADMIN))
    expect(cookie).not.toBe('')
    const { seen } = await watchingImports(async () => {
      const attacks: Record<string, string>[] = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { origin: 'null' }]
      for (const attack of attacks) {
        for (const route of routes(id).filter((r) => r.method !== 'GET')) {
          const body = await expectRefusal(await send(route, { cookie, ...attack }), 403, `${route.method} ${route.path} ${JSON.stringify(attack)}`)
          expect(body.errors).toEqual({ origin: expect.any(String) })
        }
      }
    })
    expect(seen).toEqual([])
    expect(await state()).toEqual(before)
    expect(await listed(SITE, id)).toMatchObject({ state: 'staging', files: [] })
  })

  it('an upload as text/plain (or a form, or no type): 415, nothing read', async () => {
    const put = routes(id)[2]!
    const { seen } = await watchingImports(async () => {
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const body = await expectRefusal(await send(put, as(SITE_ADMIN), type), 415, type)
        expect(body.errors).toEqual({ 'content-type': expect.any(String) })
      }
    })
    expect(seen).toEqual([])
    expect(await state()).toEqual(before)
  })

  it('another site’s import, through this site’s path: 404, and it is left as it was', async () => {
    const theirs = await startImport(OTHER, 'ga4', as(OTHER_ADMIN))
    for (const [method, path] of [
      ['PUT', filePath(SITE, theirs, 'events_1.json')], ['POST', importsPath(SITE, `/${theirs}/publish`)], ['DELETE', importsPath(SITE, `/${theirs}`)],
    ] as const) {
      const response = await send({ method, path, raw: method === 'PUT', body: {} }, as(SITE_ADMIN))
      await expectRefusal(response, 404, `${method} ${path}`)
    }
    const list = await call('GET', importsPath(OTHER), { headers: as(OTHER_ADMIN) })
    expect((await json<{ imports: Job[] }>(list)).imports.find((j) => j.id === theirs)).toMatchObject({ state: 'staging', files: [] })
    expect(await tablesOf(theirs)).toEqual([`import_${theirs}`])
    expect((await call('DELETE', importsPath(OTHER, `/${theirs}`), { headers: as(OTHER_ADMIN) })).status).toBe(200)
  })

  it('the site’s admin may (the same upload is read)', async () => {
    const response = await send(routes(id)[2]!, as(SITE_ADMIN))
    expect(response.status, await response.clone().text()).toBe(200)
    expect((await state()).staged).toBeGreaterThan(0)
    expect((await call('DELETE', importsPath(SITE, `/${id}`), { headers: as(SITE_ADMIN) })).status).toBe(200)
    await expectNothingLeft(SITE, id)
  })
})

// ---------------------------------------------------------------------------------------------------
// 10. One reader at a time

describe('one file is read at a time', () => {
  it('while one upload is being received, another gets 429 with Retry-After; then the first is read', async () => {
    const id = await startImport(SITE, 'ga4')
    const other = await startImport(SITE, 'ga4')
    const bytes = readFileSync(ga4Days[0]!)
    const first = streamingPut(filePath(SITE, id, 'events_1.json'), as(ROOT))
    await first.write(bytes.subarray(0, 1000))
    // The first is being read once its upload file exists.
    await receiving(id)
    const busy = await upload(SITE, other, 'events_2.json', readFileSync(ga4Days[1]!))
    expect(busy.headers.get('retry-after')).toBe('30')
    await expectRefusal(busy, 429)
    // The second was not read, nor failed: it may try again.
    expect(await listed(SITE, other)).toMatchObject({ state: 'staging', files: [], resumable: true })
    await first.write(bytes.subarray(1000))
    first.end()
    const answer = await first.answer
    expect(answer.status, answer.text).toBe(200)
    expect(JSON.parse(answer.text)).toMatchObject({ state: 'staging', files: ['events_1.json'] })
    const again = await upload(SITE, other, 'events_2.json', readFileSync(ga4Days[1]!))
    expect(again.status, await again.clone().text()).toBe(200)
    for (const job of [id, other]) expect((await call('DELETE', importsPath(SITE, `/${job}`), { headers: as(ROOT) })).status).toBe(200)
    await expectNothingLeft(SITE, id)
    await expectNothingLeft(SITE, other)
  })

  it('an upload its sender gives up midway frees the reader and leaves no file', async () => {
    const id = await startImport(SITE, 'ga4')
    const cut = streamingPut(filePath(SITE, id, 'events_1.json'), as(ROOT))
    await cut.write(readFileSync(ga4Days[0]!).subarray(0, 1000))
    await receiving(id)
    cut.abort()
    await expect.poll(() => filesInImports(), { timeout: 10_000 }).toEqual([])
    // The next upload is read (after a 429 or two while the server notices).
    await expect.poll(async () => (await upload(SITE, id, 'events_1.json', readFileSync(ga4Days[0]!))).status, { timeout: 10_000 }).toBe(200)
    expect((await call('DELETE', importsPath(SITE, `/${id}`), { headers: as(ROOT) })).status).toBe(200)
    await expectNothingLeft(SITE, id)
  })
})
