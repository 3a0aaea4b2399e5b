/** One-off commands' access to ClickHouse, and a progress bar for their long jobs. */
import { describeStorage, openStorage, type Storage } from '../../../sql/client.ts'
import { migrate } from '../../../sql/migrate.ts'
import { clickhouseOptions, type Config } from '../config.ts'
import { say } from './args.ts'

/** Opens ClickHouse for a one-off command, with the advice to stop the server if it holds the directory. */
export async function withStorage<T>(config: Config, run: (storage: Storage) => Promise<T>): Promise<T> {
  let storage: Storage
  try {
    storage = openStorage(clickhouseOptions(config))
    await migrate(storage, undefined, undefined, config.clickhouseCluster)
  } catch (error) {
    throw new Error(say('cli.storage.cannotOpen', { storage: describeStorage(clickhouseOptions(config)), error: (error as Error).message }))
  }
  try {
    return await run(storage)
  } finally {
    await storage.close()
  }
}

/** A progress bar on stderr for long jobs, its numbers written the language's way. */
export function progress(label: string, language: string): (done: number, total: number) => void {
  const n = new Intl.NumberFormat(language)
  const started = Date.now()
  return (done, total) => {
    const width = 30
    const filled = Math.round((done / total) * width)
    const rate = Math.round(done / Math.max(0.001, (Date.now() - started) / 1000))
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${n.format(done)}/${n.format(total)} (${n.format(rate)}/s)`)
    if (done >= total) process.stderr.write('\n')
  }
}
