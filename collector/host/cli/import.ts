/**
 * `cairn import`: another tool's history into a site (collector/import/), through the admin API as the
 * settings screen does it: a job, each file sent with a progress bar and read as it arrives, then published.
 * `cairn import list` and `cairn import delete` show and remove a site's imports.
 */
import { stat } from 'node:fs/promises'
import { basename, resolve } from 'node:path'
import { IMPORT_KINDS, type ImportJob } from '../../../sql/imports.ts'
import type { Config } from '../config.ts'
import { ApiError, withApi } from './api.ts'
import { UsageError, choiceFlag, language, parse, say, type Usage } from './args.ts'
import { progress } from './progress.ts'

export const usage: Usage = [
  ['import ga4|umami|plausible|cairn --site SITE [--before YYYY-MM-DD] FILE…', 'cli.usage.import'],
  ['import list --site SITE', 'cli.usage.importList'],
  ['import delete --site SITE --id ID', 'cli.usage.importDelete'],
]

const KINDS = Object.keys(IMPORT_KINDS) as (keyof typeof IMPORT_KINDS)[]

export async function run(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse(usage, args, { site: { type: 'string' }, before: { type: 'string' }, id: { type: 'string' } })
  const [action, ...files] = positionals
  if (!values.site) throw new UsageError(say('cli.import.needsSite'))
  const site = encodeURIComponent(values.site)
  if (action === 'list') return list(config, site)
  if (action === 'delete') {
    if (!values.id) throw new UsageError(say('cli.import.needsId'))
    return withApi(config, async (api) => {
      const job = await api.call<ImportJob>('DELETE', `/api/sites/${site}/imports/${encodeURIComponent(values.id!)}`)
      process.stdout.write(`${say('cli.import.deleted', { id: job.id, site: job.site })}\n`)
    })
  }
  const kind = choiceFlag(action, 'import', KINDS)
  if (files.length === 0) throw new UsageError(say('cli.import.needsFiles'))
  const paths = files.map((f) => resolve(f))
  // Every file is there before anything is sent.
  for (const path of paths) {
    const found = await stat(path).catch(() => undefined)
    if (!found?.isFile()) throw new UsageError(say('cli.import.noFile', { file: path }))
  }
  await withApi(config, async (api) => {
    let job = await api.call<ImportJob>('POST', `/api/sites/${site}/imports`, { kind })
    const jobPath = `/api/sites/${site}/imports/${job.id}`
    for (const [index, path] of paths.entries()) {
      const name = basename(path)
      const bar = progress(say('cli.import.sending', { file: name, n: index + 1, of: paths.length }), language)
      job = await api.upload<ImportJob>(`${jobPath}/files?name=${encodeURIComponent(name)}`, path, bar)
      process.stderr.write(`${say('cli.import.read', { file: name, records: job.records })}\n`)
    }
    try {
      job = await api.call<ImportJob>('POST', `${jobPath}/publish`, values.before ? { before: values.before } : {})
    } catch (error) {
      // A refused import is not left waiting for an answer nobody will give: it goes, and the command says how to run again.
      await api.call('DELETE', jobPath).catch(() => {})
      const overlap = error instanceof ApiError && (error.body as { overlap?: { first: string } }).overlap
      if (overlap) throw new UsageError(`${error.message}\n${say('cli.import.before', { first: overlap.first })}`)
      throw error
    }
    process.stdout.write(`${say('cli.import.done', { site: job.site, written: job.written, skipped: job.skipped, first: job.first_day ?? '', last: job.last_day ?? '', id: job.id })}\n`)
  })
}

async function list(config: Config, site: string): Promise<void> {
  await withApi(config, async (api) => {
    const { imports } = await api.call<{ imports: ImportJob[] }>('GET', `/api/sites/${site}/imports`)
    if (imports.length === 0) process.stdout.write(`${say('cli.import.none')}\n`)
    for (const job of imports) {
      process.stdout.write(`${job.id}\t${job.kind}\t${job.state}\t${job.first_day ?? ''}\t${job.last_day ?? ''}\t${job.written}\t${job.created_at}\t${job.files.join(', ')}${job.error ? `\t${job.error}` : ''}\n`)
    }
  })
}
