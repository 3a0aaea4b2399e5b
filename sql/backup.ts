/**
 * Backup and restore of the `cairn` database of the embedded engine, while the server keeps writing.
 *
 * How: ClickHouse's own `BACKUP DATABASE … TO File(…)` needs the server setting `backups.allowed_path`,
 * which chDB takes only as an argument of the first connection a process opens on its data directory
 * (`--backups.allowed_path=…`); `openStorage()` opens it without, a later connection's arguments are
 * ignored, and a process holds one data directory, so BACKUP is refused ("The 'backups.allowed_path'
 * configuration parameter is not set"). Instead each table is frozen (`ALTER TABLE … FREEZE WITH NAME`:
 * hard links of its immutable parts, taken atomically, so a snapshot of the table as of that instant that
 * later inserts, merges and mutations do not touch), the parts are copied out, and the links are dropped
 * (`UNFREEZE`). A restore creates the tables from the backup's own DDL (their `create_table_query`, as they were) and
 * attaches the copied parts (`ATTACH PART`), which needs no re-encoding and fires no materialized view.
 *
 * What a backup holds:
 * - the data of every MergeTree table of `cairn`, users and their password hashes included (hence the
 *   owner-only directory: 0700, files 0600), and `schema_migrations`, so migrations do not run again;
 * - the DDL of every table and view;
 * - NOT `cairn.salts`: a day's salt must be gone 48 h after it was made, and a backup would keep it for as
 *   long as the backup is kept. Its table comes back empty, and the restored server makes a new salt for
 *   today: today's cookieless visitors get new ids, which is the price of the invariant;
 * - NOT `cairn.range_rollups`: the server makes them again from the restored events within minutes, and
 *   they hold hashes of visitor ids, which must not outlive their 3 days in a backup;
 * - NOT the tables a materialized view fills (`sessions_data`): each table is frozen at its own instant,
 *   so a rollup copied beside `events` could count events that missed the events' snapshot, or miss some
 *   that are in it. The restore rebuilds it from the restored events with the view's own SELECT, so
 *   `cairn.sessions` agrees with `cairn.events` by construction.
 *
 * Embedded engine only: the parts are read from the engine's files, which must be on this machine. On a
 * ClickHouse server (CLICKHOUSE_URL) use the server's BACKUP (see `serverBackupHint`).
 */
import { randomBytes } from 'node:crypto'
import { constants, existsSync } from 'node:fs'
import { access, chmod, copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Storage } from './client.ts'
import { readMigrations } from './migrate.ts'

export interface BackupResult {
  dir: string
  tables: { name: string; rows: number }[]
  bytes: number
}

/** manifest.json: what a backup holds. `version` changes when a restore could no longer read it. */
export interface Manifest {
  format: 'cairn-backup'
  version: 1
  created_at: string
  /** The engine that wrote the parts (`SELECT version()`). */
  engine: string
  /** cairn.schema_migrations at the backup. */
  migrations: { version: number; name: string; checksum: string }[]
  /** In creation order: tables, then views. */
  tables: ManifestTable[]
}

export interface ManifestTable {
  name: string
  engine: string
  /** The table's DDL as the engine printed it. */
  create: string
  /** 'copied': its parts are in data/<name>/; 'excluded': schema only; 'rebuilt': refilled by `view` at restore. */
  data: 'copied' | 'excluded' | 'rebuilt' | 'none'
  /** Rows in the copied parts (a ReplacingMergeTree's rows before FINAL). */
  rows: number
  parts: string[]
  /** Why the data is not in the backup. */
  reason?: string
  /** For 'rebuilt': the materialized view whose SELECT refills it. */
  view?: string
}

const FORMAT_VERSION = 1
const DATABASE = 'cairn'
/** Kept out of every backup: see the module's comment. */
const EXCLUDED: Record<string, string> = {
  salts: 'daily salts must be deleted 48 h after they are made; a restored server makes a new one',
  range_rollups: 'rollups of settled days, made again from the restored events by the server (dashboard/server/rollups.ts); they hold hashes of visitor ids for 3 days at most',
}
/** A copy privacy.ts's anonymisation makes and drops: transient, never part of the schema. */
const TRANSIENT = /_anonymizing_\d+$/
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const PART = /^[A-Za-z0-9_-]+$/

/** What to run on a ClickHouse server instead, where the parts are not on this machine. */
export function serverBackupHint(): string {
  return (
    "on a ClickHouse server use its own BACKUP, where the server's `backups` configuration allows it: " +
    "BACKUP DATABASE cairn EXCEPT TABLES cairn.salts TO Disk('backups', 'cairn-<date>'), " +
    "then RESTORE DATABASE cairn FROM Disk('backups', 'cairn-<date>') and create cairn.salts again (sql/migrations/0003_salts.sql)"
  )
}

/** A consistent copy of every cairn table (salts excepted) into `dir` (must not exist or be empty), while the server keeps writing. */
export async function backup(storage: Storage, dir: string, onProgress?: (done: number, total: number) => void): Promise<BackupResult> {
  dir = resolve(dir)
  await emptyOwnerOnlyDir(dir)
  const tables = await rows<{ name: string; engine: string; data_paths: string[]; create_table_query: string }>(
    storage,
    'SELECT name, engine, data_paths, create_table_query FROM system.tables WHERE database = {db:String} ORDER BY metadata_modification_time, name',
  )
  const kept = tables.filter((t) => !TRANSIENT.test(t.name))
  if (kept.length === 0) throw new Error('backup: there is no cairn database to back up (has Cairn been started on this data directory?)')
  for (const t of kept) {
    if (!NAME.test(t.name)) throw new Error(`backup: cairn.${t.name} has a name this backup cannot hold`)
    if (/^Replicated|^Distributed$|^Shared/.test(t.engine)) throw new Error(`backup: cairn.${t.name} is a ${t.engine} table (a cluster); ${serverBackupHint()}`)
  }
  const rebuiltBy = new Map<string, string>()
  for (const t of kept) {
    const target = t.engine === 'MaterializedView' ? /^CREATE MATERIALIZED VIEW \S+ TO (?:`?cairn`?\.)`?(\w+)`?/.exec(t.create_table_query)?.[1] : undefined
    if (target) rebuiltBy.set(target, t.name)
  }
  const copied = kept.filter((t) => !isView(t.engine) && t.data_paths.length > 0 && !(t.name in EXCLUDED) && !rebuiltBy.has(t.name))
  for (const t of copied) {
    if (!t.engine.endsWith('MergeTree')) throw new Error(`backup: cairn.${t.name} uses the ${t.engine} engine, whose data this backup cannot copy`)
  }
  await assertLocal(storage)

  const [engine] = await rows<{ v: string }>(storage, 'SELECT version() AS v')
  const migrations = (
    await rows<{ version: number; name: string; checksum: string }>(storage, 'SELECT version, name, checksum FROM cairn.schema_migrations FINAL ORDER BY version')
  ).map((m) => ({ version: Number(m.version), name: m.name, checksum: m.checksum }))

  const manifest: Manifest = {
    format: 'cairn-backup',
    version: FORMAT_VERSION,
    created_at: new Date().toISOString(),
    engine: engine?.v ?? '',
    migrations,
    tables: [
      ...kept.filter((t) => !isView(t.engine)),
      ...kept.filter((t) => isView(t.engine)),
    ].map((t) => ({
      name: t.name,
      engine: t.engine,
      create: t.create_table_query,
      data: copied.includes(t) ? 'copied' : t.name in EXCLUDED ? 'excluded' : rebuiltBy.has(t.name) ? 'rebuilt' : 'none',
      rows: 0,
      parts: [],
      ...(t.name in EXCLUDED ? { reason: EXCLUDED[t.name] } : {}),
      ...(rebuiltBy.has(t.name) ? { reason: 'derived: rebuilt from the restored source by its materialized view', view: rebuiltBy.get(t.name) } : {}),
    })),
  }

  // One name for every table's snapshot, taken one table right after the other, before any copying.
  const snapshot = `cairn_backup_${Date.now()}_${randomBytes(4).toString('hex')}`
  const [disk] = await rows<{ path: string }>(storage, "SELECT path FROM system.disks WHERE name = 'default'")
  const frozen: { table: ManifestTable; parts: { part_name: string; part_backup_path: string }[] }[] = []
  let bytes = 0
  try {
    for (const t of manifest.tables.filter((t) => t.data === 'copied')) {
      const parts = await rows<{ part_name: string; part_backup_path: string }>(storage, `ALTER TABLE cairn.${t.name} FREEZE WITH NAME '${snapshot}'`, {}, {
        alter_partition_verbose_result: 1,
      })
      frozen.push({ table: t, parts })
    }
    const total = frozen.reduce((n, f) => n + f.parts.length, 0)
    let done = 0
    onProgress?.(done, total)
    for (const { table, parts } of frozen) {
      for (const { part_name, part_backup_path } of parts) {
        if (!PART.test(part_name)) throw new Error(`backup: cairn.${table.name} has a part named ${JSON.stringify(part_name)}`)
        const target = join(dir, 'data', table.name, part_name)
        bytes += await copyTree(part_backup_path, target)
        table.rows += Number((await readFile(join(target, 'count.txt'), 'utf8')).trim())
        table.parts.push(part_name)
        onProgress?.(++done, total)
      }
    }
    const text = JSON.stringify(manifest, null, 2) + '\n'
    // Written last, under its final name only when complete: a directory without it is no backup.
    await writeFile(join(dir, 'manifest.json.tmp'), text, { mode: 0o600, flag: 'wx' })
    await rename(join(dir, 'manifest.json.tmp'), join(dir, 'manifest.json'))
    bytes += Buffer.byteLength(text)
  } catch (error) {
    await rm(join(dir, 'data'), { recursive: true, force: true })
    await rm(join(dir, 'manifest.json.tmp'), { force: true })
    throw error
  } finally {
    // The hard links would keep every frozen part on disk (erased rows too) until removed.
    for (const { table } of frozen) {
      await storage.command({ query: `ALTER TABLE cairn.${table.name} UNFREEZE WITH NAME '${snapshot}'` }).catch(() => {})
    }
    if (disk) await rm(join(disk.path, 'shadow', snapshot), { recursive: true, force: true })
  }
  return { dir, tables: manifest.tables.filter((t) => t.data === 'copied').map((t) => ({ name: t.name, rows: t.rows })), bytes }
}

/** Brings a backup back into a storage whose cairn database is empty or absent (refuse otherwise with a clear Error saying what to do). */
export async function restore(storage: Storage, dir: string, onProgress?: (done: number, total: number) => void): Promise<BackupResult> {
  dir = resolve(dir)
  const manifest = await readManifest(dir)
  const known = new Set(readMigrations().map((m) => m.version))
  const unknown = manifest.migrations.filter((m) => !known.has(m.version))
  if (unknown.length > 0) {
    throw new Error(`restore: the backup was made by a newer Cairn (migration ${unknown.map((m) => m.name).join(', ')}); restore it with that version of Cairn or later`)
  }
  const existing = await rows<{ name: string }>(storage, 'SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name')
  if (existing.length > 0) {
    throw new Error(
      `restore: the cairn database here already has ${existing.length} table${existing.length === 1 ? '' : 's'} (${existing.map((t) => t.name).slice(0, 5).join(', ')}${existing.length > 5 ? ', …' : ''}); ` +
        'a backup is restored into an empty data directory: stop Cairn and restore into a new CAIRN_DATA_DIR (or drop the cairn database first)',
    )
  }

  await assertLocal(storage)
  try {
    return await restoreInto(storage, dir, manifest, onProgress)
  } catch (error) {
    throw new Error(
      `restore stopped part-way (${error instanceof Error ? error.message : String(error)}); the cairn database it was writing is incomplete: ` +
        'delete that data directory and restore again into a new one',
      { cause: error },
    )
  }
}

async function restoreInto(storage: Storage, dir: string, manifest: Manifest, onProgress?: (done: number, total: number) => void): Promise<BackupResult> {
  const tables = manifest.tables.filter((t) => !isView(t.engine))
  const views = manifest.tables.filter((t) => isView(t.engine))
  const rebuilt = manifest.tables.filter((t) => t.data === 'rebuilt')
  const total = tables.reduce((n, t) => n + t.parts.length, 0) + rebuilt.length
  let done = 0
  onProgress?.(done, total)

  await storage.command({ query: `CREATE DATABASE IF NOT EXISTS ${DATABASE}` })
  for (const t of tables) await storage.command({ query: t.create })

  const paths = new Map(
    (await rows<{ name: string; data_paths: string[] }>(storage, 'SELECT name, data_paths FROM system.tables WHERE database = {db:String}')).map((t) => [t.name, t.data_paths[0]]),
  )
  const copied = tables.filter((t) => t.data === 'copied' && t.parts.length > 0)
  for (const t of copied) {
    const detached = join(paths.get(t.name)!, 'detached')
    for (const part of t.parts) {
      await copyTree(join(dir, 'data', t.name, part), join(detached, part))
      // ATTACH checks the part's checksums, and fires no materialized view (only an INSERT does).
      await storage.command({ query: `ALTER TABLE cairn.${t.name} ATTACH PART '${part}'` })
      onProgress?.(++done, total)
    }
  }

  // Views read other views (daily_stats reads sessions): create them in the order the backup listed them,
  // retrying any whose dependency comes later.
  let pending = views
  while (pending.length > 0) {
    const failed: { table: ManifestTable; error: unknown }[] = []
    for (const t of pending) await storage.command({ query: t.create }).catch((error: unknown) => failed.push({ table: t, error }))
    if (failed.length === pending.length) throw new Error(`restore: cannot create cairn.${failed[0]!.table.name}`, { cause: failed[0]!.error })
    pending = failed.map((f) => f.table)
  }

  const result: BackupResult['tables'] = copied.map((t) => ({ name: t.name, rows: t.rows }))
  for (const t of rebuilt) {
    // The view's own SELECT over the whole restored source, its columns matched by name as the view does.
    const [view] = await rows<{ as_select: string }>(storage, 'SELECT as_select FROM system.tables WHERE database = {db:String} AND name = {t:String}', { t: t.view! })
    const columns = (
      await rows<{ name: string }>(storage, 'SELECT name FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position', { t: t.view! })
    ).map((c) => `\`${c.name.replace(/`/g, '``')}\``)
    if (!view?.as_select || columns.length === 0) throw new Error(`restore: cannot rebuild cairn.${t.name}: its view cairn.${t.view} is missing`)
    await storage.command({ query: `INSERT INTO cairn.${t.name} (${columns.join(', ')}) SELECT ${columns.join(', ')} FROM (${view.as_select})` })
    const [count] = await rows<{ n: string }>(storage, `SELECT count() AS n FROM cairn.${t.name}`)
    result.push({ name: t.name, rows: Number(count?.n ?? 0) })
    onProgress?.(++done, total)
  }
  return { dir, tables: result, bytes: await sizeOf(dir) }
}

/** Reads and checks a backup's manifest.json: every name in it becomes a path or an identifier. */
export async function readManifest(dir: string): Promise<Manifest> {
  const file = join(dir, 'manifest.json')
  if (!existsSync(file)) throw new Error(`restore: ${dir} holds no manifest.json: it is not a Cairn backup, or an incomplete one`)
  const manifest = JSON.parse(await readFile(file, 'utf8')) as Manifest
  if (manifest.format !== 'cairn-backup') throw new Error(`restore: ${file} is not a Cairn backup manifest`)
  if (manifest.version !== FORMAT_VERSION) throw new Error(`restore: backup format ${manifest.version} is not known to this Cairn (it reads format ${FORMAT_VERSION})`)
  for (const t of manifest.tables) {
    if (!NAME.test(t.name) || !t.parts.every((p) => PART.test(p))) throw new Error(`restore: ${file} names a table or part that is not a plain name`)
    const kind = t.engine === 'MaterializedView' ? 'MATERIALIZED VIEW' : t.engine === 'View' ? 'VIEW' : 'TABLE'
    if (!new RegExp(`^CREATE ${kind} \`?cairn\`?\\.\`?${t.name}\`?[\\s(]`).test(t.create)) throw new Error(`restore: the DDL of cairn.${t.name} in ${file} does not create it`)
  }
  return manifest
}

function isView(engine: string): boolean {
  return engine === 'View' || engine === 'MaterializedView'
}

async function rows<T>(storage: Storage, query: string, params: Record<string, string> = {}, settings: Record<string, number> = {}): Promise<T[]> {
  const result = await storage.query({ query, query_params: { db: DATABASE, ...params }, clickhouse_settings: settings, format: 'JSONEachRow' })
  return result.json<T>()
}

/** `dir` created owner-only, or an existing empty directory tightened to owner-only. */
async function emptyOwnerOnlyDir(dir: string): Promise<void> {
  if (existsSync(dir)) {
    if (!(await stat(dir)).isDirectory()) throw new Error(`backup: ${dir} is not a directory`)
    if ((await readdir(dir)).length > 0) throw new Error(`backup: ${dir} is not empty; back up into a new or empty directory`)
  }
  await mkdir(dir, { recursive: true, mode: 0o700 })
  await chmod(dir, 0o700)
}

/** The engine's files must be on this machine, as the embedded engine's are (a ClickHouse server's are not). */
async function assertLocal(storage: Storage): Promise<void> {
  const [disk] = await rows<{ path: string }>(storage, "SELECT path FROM system.disks WHERE name = 'default'")
  try {
    await access(disk?.path ?? '', constants.R_OK | constants.W_OK)
  } catch {
    throw new Error(`backup and restore copy the embedded engine's files, and ${disk?.path ?? 'its data directory'} is not on this machine; ${serverBackupHint()}`)
  }
}

/** Copies a part (a directory of files, projections as subdirectories): directories 0700, files 0600. Returns the bytes. */
async function copyTree(from: string, to: string): Promise<number> {
  await mkdir(to, { recursive: true, mode: 0o700 })
  let bytes = 0
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const [source, target] = [join(from, entry.name), join(to, entry.name)]
    if (entry.isDirectory()) bytes += await copyTree(source, target)
    else {
      await copyFile(source, target, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE)
      await chmod(target, 0o600)
      bytes += (await stat(target)).size
    }
  }
  return bytes
}

async function sizeOf(dir: string): Promise<number> {
  let bytes = 0
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += (await stat(join(entry.parentPath, entry.name))).size
  }
  return bytes
}
