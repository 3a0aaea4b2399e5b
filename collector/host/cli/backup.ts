/** `cairn backup`: a consistent copy of everything, taken by the running server (or this process) without stopping ingest. */
import { resolve } from 'node:path'
import type { Config } from '../config.ts'
import { withApi } from './api.ts'
import { UsageError, language, parse, say, type Usage } from './args.ts'
import { progress } from './progress.ts'

export const usage: Usage = [['backup --to DIR', 'cli.usage.backup']]

export type BackupSummary = { dir: string; tables: { name: string; rows: number }[]; bytes: number }

export const summary = (result: BackupSummary) => ({ dir: result.dir, tables: result.tables.length, rows: result.tables.reduce((n, t) => n + t.rows, 0), bytes: result.bytes })

export async function run(config: Config, args: string[]): Promise<void> {
  const { values } = parse(usage, args, { to: { type: 'string' } })
  if (!values.to) throw new UsageError(say('cli.backup.needsTo'))
  const to = resolve(values.to)
  const result = await withApi(config, (api) => api.steps<BackupSummary>('/api/backup', { to }, progress('backup', language)))
  process.stdout.write(`${say('cli.backup.done', summary(result))}\n`)
}
