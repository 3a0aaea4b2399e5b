/** `cairn export`: a site's whole history as a zip of Parquet and CSV files (sql/site-export.ts), saved to a file. */
import { open, rm } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { exportFileName } from '../../../sql/site-export.ts'
import type { Config } from '../config.ts'
import { withApi } from './api.ts'
import { UsageError, language, parse, say, type Usage } from './args.ts'

export const usage: Usage = [['export --site SITE [--to FILE]', 'cli.usage.export']]

export async function run(config: Config, args: string[]): Promise<void> {
  const { values } = parse(usage, args, { site: { type: 'string' }, to: { type: 'string' } })
  if (!values.site) throw new UsageError(say('cli.export.needsSite'))
  const site = values.site
  const to = resolve(values.to ?? exportFileName(site, Date.now()))
  const n = new Intl.NumberFormat(language)
  let bytes = 0
  let said = 0
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length
      // A line now and then, not per chunk.
      if (bytes - said >= 8 << 20) process.stderr.write(`\r${say('cli.export.progress', { site, bytes: n.format((said = bytes)) })}`)
      done(null, chunk)
    },
  })
  // The file first (`wx`: an existing one is never overwritten), then the export; a file this run made
  // and could not finish is removed.
  const file = await open(to, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'EEXIST' ? new UsageError(say('cli.export.exists', { file: to })) : error
  })
  try {
    await withApi(config, async (api) => {
      const body = await api.download(`/api/sites/${encodeURIComponent(site)}/export`)
      await pipeline(Readable.from(body), count, file.createWriteStream())
    })
  } catch (error) {
    await file.close().catch(() => {})
    await rm(to, { force: true })
    throw error
  }
  if (said) process.stderr.write('\n')
  process.stdout.write(`${say('cli.export.done', { site, file: to, bytes })}\n`)
}
