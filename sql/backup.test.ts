import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { generateDemo } from '../collector/host/demo/generate.ts'
import { clickhouseTime } from '../collector/ingest/row.ts'
import { eventKey, eventKeys, readContents, type Contents } from '../test/fixtures/backup/contents.ts'
import { backup, readManifest, restore, type BackupResult } from './backup.ts'
import { openStorage } from './client.ts'
import { migrate } from './migrate.ts'

const ROOT = join(import.meta.dirname, '..')
const SITE = 'shop.test'
/** The concurrent writes go to another site, so the sessions of SITE are all from before the backup. */
const LIVE = 'live.test'
const DAY_MS = 86_400_000
const END_MS = Date.UTC(2026, 4, 20, 12)

const temp = mkdtempSync(join(tmpdir(), 'cairn-backup-'))
const storage = openStorage({ url: undefined, dataDir: join(temp, 'source') })
const salt = randomBytes(32).toString('hex')

beforeAll(async () => {
  await migrate(storage)
  // Two months of traffic, so the events come in several partitions and parts.
  await generateDemo(storage, { site: SITE, events: 20_000, days: 45, endMs: END_MS, seed: 7 })
  const future = clickhouseTime(Date.now() + 30 * DAY_MS).slice(0, 19)
  const inserts: [string, Record<string, unknown>[]][] = [
    ['users', [{ email: 'admin@shop.test', password_hash: 'scrypt$N=16384$c2FsdA$aGFzaA', version: 1 }, { email: 'gone@shop.test', password_hash: 'x', deleted: true, version: 2 }]],
    ['memberships', [{ email: 'admin@shop.test', site: '*', role: 'admin', version: 1 }]],
    ['login_sessions', [{ token_hash: 'a'.repeat(64), email: 'admin@shop.test', expires_at: future, version: 1 }]],
    ['api_keys', [{ key_hash: 'b'.repeat(64), prefix: 'ck_1234', email: 'admin@shop.test', name: 'ci', version: 1 }]],
    ['shared_links', [{ token_hash: 'c'.repeat(64), prefix: 'sl_1234', site: SITE, created_by: 'admin@shop.test', version: 1 }]],
    ['user_settings', [{ email: 'admin@shop.test', language: 'fr', version: 1 }]],
    ['restrictions', [{ site: SITE, visitor_id: '12345', requested_by: 'dpo@shop.test' }]],
    ['privacy_requests', [{ kind: 'restrict', site: SITE, subject: 'd'.repeat(64), requested_by: 'dpo@shop.test' }]],
    ['salts', [{ day: new Date().toISOString().slice(0, 10), salt, created_at: clickhouseTime(Date.now()).slice(0, 19) }]],
  ]
  for (const [table, values] of inserts) await storage.insert({ table: `cairn.${table}`, values, format: 'JSONEachRow' })
})

afterAll(async () => {
  await storage.close()
  rmSync(temp, { recursive: true, force: true })
})

/** Events of LIVE, written one batch after the other: each its own sessions, keys known. */
function liveBatch(n: number): { site: string; session_id: string; timestamp: string; name: string; pathname: string }[] {
  const at = clickhouseTime(Date.now())
  return Array.from({ length: 50 }, (_, i) => {
    const session = String(1_000_000 + n * 100 + i)
    return {
      site: LIVE, timestamp: at, name: i % 3 ? 'pageview' : 'engagement', visitor_id: session,
      session_id: session, session_start: at, consent: false, hostname: LIVE, pathname: `/p${i}`,
    }
  })
}

/** The files under `dir` holding `text` (the engine compresses with LZ4, which leaves random text as it is). */
function grep(text: string, dir: string): string[] {
  return spawnSync('grep', ['-rlF', text, dir], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f))
}

describe('backup and restore', () => {
  let result: BackupResult
  let before: Set<string>
  let duringBackup = 0
  let source: Contents
  const dir = join(temp, 'backups', 'today')

  it('copies every table but the salts while events keep arriving', async () => {
    const completed: string[][] = []
    let stop = false
    let n = 0
    const writer = (async () => {
      while (!stop) {
        const batch = liveBatch(n++)
        await storage.insert({ table: 'cairn.events', values: batch, format: 'JSONEachRow' })
        completed.push(batch.map(eventKey))
      }
    })()
    while (completed.length < 3) await new Promise((r) => setTimeout(r, 5))

    // Every event whose insert had returned when backup() was called. Counted before reading the keys: an
    // insert that returns while they are read is in the table but not necessarily in what was read.
    const settled = completed.length
    before = new Set(await eventKeys(storage))
    for (const ids of completed.slice(0, settled)) for (const id of ids) expect(before.has(id)).toBe(true)
    const progress: [number, number][] = []
    const started = performance.now()
    let ms = 0
    try {
      result = await backup(storage, dir, (done, total) => progress.push([done, total]))
      ms = performance.now() - started
      duringBackup = completed.length - settled
    } finally {
      stop = true
      await writer
    }
    source = await readContents(storage, SITE)

    console.log(`backup: ${before.size} events, ${ms.toFixed(0)} ms, ${result.bytes} bytes, ${duringBackup} batches of 50 events inserted meanwhile`)
    expect(duringBackup).toBeGreaterThan(0)
    expect(result.dir).toBe(dir)
    // Every table of data but the salts, the rollups of settled days and the visits (rebuilt at restore): events, users, access, privacy, migrations, …
    const copied = source.tables.filter((t) => t.engine.endsWith('MergeTree') && !['salts', 'range_rollups', 'sessions_data', 'event_counts'].includes(t.name)).map((t) => t.name)
    expect(copied).toEqual(expect.arrayContaining(['events', 'users', 'memberships', 'login_sessions', 'api_keys', 'shared_links', 'schema_migrations', 'privacy_requests']))
    expect(result.tables.map((t) => t.name).sort()).toEqual(copied.sort())
    expect(result.tables.find((t) => t.name === 'events')!.rows).toBeGreaterThanOrEqual(before.size)
    expect(progress.at(-1)![0]).toBe(progress.at(-1)![1])

    const manifest = await readManifest(dir)
    expect(manifest.migrations.map((m) => m.version)).toEqual(source.migrations.map((m) => Number((m as { version: number }).version)))
    expect(manifest.tables.find((t) => t.name === 'salts')).toMatchObject({ data: 'excluded', rows: 0, parts: [] })
    expect(manifest.tables.find((t) => t.name === 'range_rollups')).toMatchObject({ data: 'excluded', rows: 0, parts: [] })
    expect(manifest.tables.find((t) => t.name === 'sessions_data')).toMatchObject({ data: 'rebuilt', view: 'sessions_mv' })
    // The salt is in no file of the backup, and the engine's snapshot links are gone.
    expect(readdirSync(join(dir, 'data'))).not.toContain('salts')
    expect(grep(salt, join(temp, 'source')).length).toBeGreaterThan(0)
    expect(grep(salt, dir)).toEqual([])
    expect(readdirSync(join(temp, 'source', 'shadow')).filter((f) => f.startsWith('cairn_backup_'))).toEqual([])
  })

  it('makes the backup readable by its owner only', () => {
    expect(statSync(dir).mode & 0o777).toBe(0o700)
    const entries = filesUnder(dir)
    expect(entries.length).toBeGreaterThan(10)
    for (const path of entries) expect([path, statSync(path).mode & 0o777]).toEqual([path, statSync(path).isDirectory() ? 0o700 : 0o600])
  })

  it('refuses a directory that is not empty, and a target that already has a cairn database', async () => {
    const used = join(temp, 'used')
    mkdirSync(used)
    writeFileSync(join(used, 'something'), '')
    await expect(backup(storage, used)).rejects.toThrow(/not empty/)
    await expect(restore(storage, dir)).rejects.toThrow(/already has \d+ tables \(\w+, .*empty data directory/)
  })

  it('restores into a new data directory: events from before the backup, sessions, access, migrations, no salts', async () => {
    const out = join(temp, 'restored.json')
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/backup/restore-child.ts', dir, join(temp, 'restored'), out, SITE], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d))
    const code = await new Promise((resolve) => child.on('exit', resolve))
    expect(stderr).toBe('')
    expect(code).toBe(0)
    const restored = JSON.parse(readFileSync(out, 'utf8')) as { result: BackupResult; ms: number; contents: Contents; ids: string[]; migrated: string[] }
    console.log(`restore: ${restored.ids.length} events, ${restored.ms.toFixed(0)} ms`)

    const ids = new Set(restored.ids)
    const missing = [...before].filter((id) => !ids.has(id))
    expect(missing).toEqual([])
    expect(restored.contents.tables).toEqual(source.tables)
    expect(restored.contents.migrations).toEqual(source.migrations)
    expect(restored.migrated).toEqual([])
    expect(restored.contents.small).toEqual(source.small)
    expect(restored.contents.small.users).toHaveLength(2)
    expect(restored.contents.small.privacy_requests).toHaveLength(1)
    expect(restored.contents.salts).toBe(0)
    // The rollup, rebuilt from the restored events, once: the same sessions, and it agrees with the events.
    expect(restored.contents.sessions.length).toBeGreaterThan(1000)
    expect(restored.contents.sessions).toEqual(source.sessions)
    expect(restored.contents.counted.inSessions).toBe(restored.contents.counted.events)
    expect(restored.result.tables.find((t) => t.name === 'events')!.rows).toBe(restored.ids.length)
  })
})
