/** Applies sql/migrations/NNNN_name.sql in order, once each, recording them in cairn.schema_migrations. */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Storage } from './client.ts'
import { alterTarget, storedIn, toCluster } from './cluster.ts'

export const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url))

export interface Migration {
  version: number
  name: string
  statements: string[]
  checksum: string
  /** Tables whose existing parts are written again once the statements ran (`-- rewrite: events sessions_data`): new codecs reach old data. */
  rewrite: string[]
}

export function readMigrations(dir = migrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const text = readFileSync(dir + file, 'utf8')
      return {
        version: Number(file.slice(0, 4)),
        name: file.replace(/\.sql$/, ''),
        statements: splitStatements(text),
        checksum: createHash('sha256').update(text).digest('hex').slice(0, 16),
        rewrite: /^-- rewrite:(.*)$/m.exec(text)?.[1]!.trim().split(/\s+/) ?? [],
      }
    })
}

/** Statements end with `;` at the end of a line; `--` comments are dropped (ClickHouse takes one statement per request). */
export function splitStatements(sql: string): string[] {
  const withoutComments = sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
  return withoutComments
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter(Boolean)
}

/**
 * Idempotent: every statement is `IF NOT EXISTS`, and applied versions are skipped, so two collectors
 * starting together are harmless. Returns the names of the migrations applied now.
 */
export async function migrate(
  storage: Storage,
  log: (line: string) => void = () => {},
  migrations = readMigrations(),
  /** CLICKHOUSE_CLUSTER: the same statements, rewritten ON CLUSTER with replicated and distributed tables. */
  cluster?: string,
): Promise<string[]> {
  const run = async (statement: string) => {
    for (const query of cluster ? toCluster(statement, cluster) : [statement]) await storage.command({ query })
  }
  await run('CREATE DATABASE IF NOT EXISTS cairn')
  await run(`CREATE TABLE IF NOT EXISTS cairn.schema_migrations
      (version UInt32, name String, checksum String, applied_at DateTime('UTC') DEFAULT now())
      ENGINE = ReplacingMergeTree ORDER BY version`)
  const done = await storage.query({ query: 'SELECT version FROM cairn.schema_migrations FINAL', format: 'JSONEachRow' })
  const applied = new Set((await done.json<{ version: number }>()).map((r) => Number(r.version)))
  const pending = migrations.filter((m) => !applied.has(m.version))
  for (const [i, m] of pending.entries()) {
    log(`migration ${i + 1}/${pending.length}: ${m.name}`)
    for (const statement of m.statements) {
      await run(statement)
      if (statement.startsWith('ALTER')) await mutationsDone(storage, log)
    }
    for (const table of m.rewrite) await rewrite(storage, table, log, cluster)
    await storage.insert({
      table: 'cairn.schema_migrations',
      values: [{ version: m.version, name: m.name, checksum: m.checksum }],
      format: 'JSONEachRow',
    })
  }
  return pending.map((m) => m.name)
}

/** Waits for the mutations an ALTER started (a column of another type is rewritten in the background), saying how far they are. */
async function mutationsDone(storage: Storage, log: (line: string) => void): Promise<void> {
  let said = ''
  for (;;) {
    const [pending] = await (
      await storage.query({
        query: "SELECT count() AS n, sum(parts_to_do) AS parts, any(latest_fail_reason) AS failure FROM system.mutations WHERE database = 'cairn' AND NOT is_done",
        format: 'JSONEachRow',
      })
    ).json<{ n: string; parts: string; failure: string }>()
    if (!pending || Number(pending.n) === 0) return
    if (pending.failure) throw new Error(`a schema change failed in ClickHouse: ${pending.failure}; fix the cause and start again (the change resumes)`)
    const line = `  rewriting columns: ${pending.parts} parts to go`
    if (line !== said) log((said = line))
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

/**
 * Writes every part of a table again, partition by partition, so that its columns take the codecs a
 * migration set (ClickHouse applies them to new parts only, and to old ones as merges happen to rewrite them).
 */
async function rewrite(storage: Storage, table: string, log: (line: string) => void, cluster?: string): Promise<void> {
  const partitions = await (
    await storage.query({
      query: "SELECT DISTINCT partition_id AS id FROM system.parts WHERE database = 'cairn' AND table = {table:String} AND active ORDER BY id",
      query_params: { table: storedIn(table, cluster) },
      format: 'JSONEachRow',
    })
  ).json<{ id: string }>()
  for (const [i, { id }] of partitions.entries()) {
    log(`  rewriting cairn.${table} with its new codecs: partition ${i + 1}/${partitions.length}`)
    // The partition id comes from system.parts (digits for these tables); DDL takes no parameters here.
    if (!/^\w+$/.test(id)) throw new Error(`unexpected partition id ${id}`)
    // A merge ClickHouse declines (no room on disk, parts busy) fails the migration, which then runs again,
    // instead of leaving a partition as it was: 0021 needs each visit merged into one row.
    await storage.command({ query: `OPTIMIZE TABLE ${alterTarget(table, cluster)} PARTITION ID '${id}' FINAL`, clickhouse_settings: { optimize_throw_if_noop: 1 } })
  }
}
