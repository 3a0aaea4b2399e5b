/** Applies sql/migrations/NNNN_name.sql in order, once each, recording them in cairn.schema_migrations. */
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Storage } from './client.ts'
import { toCluster } from './cluster.ts'

export const migrationsDir = fileURLToPath(new URL('./migrations/', import.meta.url))

export interface Migration {
  version: number
  name: string
  statements: string[]
  checksum: string
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
    for (const statement of m.statements) await run(statement)
    await storage.insert({
      table: 'cairn.schema_migrations',
      values: [{ version: m.version, name: m.name, checksum: m.checksum }],
      format: 'JSONEachRow',
    })
  }
  return pending.map((m) => m.name)
}
