/** `cairn restore`: a backup brought back into an empty data directory, which no server holds. */
import { resolve } from 'node:path'
import { clickhouseOptions, type Config } from '../config.ts'
import { serverRunning, socketPath } from '../socket.ts'
import { UsageError, language, parse, say, type Usage } from './args.ts'
import { summary } from './backup.ts'
import { progress } from './progress.ts'

export const usage: Usage = [['restore --from DIR', 'cli.usage.restore']]

export async function run(config: Config, args: string[]): Promise<void> {
  const { values } = parse(usage, args, { from: { type: 'string' } })
  if (!values.from) throw new UsageError(say('cli.restore.needsFrom'))
  // Restoring replaces what a server serves: only into a directory no server holds.
  if (await serverRunning(socketPath(config.dataDir))) throw new UsageError(say('cli.restore.serverRunning', { dir: config.dataDir }))
  const [{ openStorage }, { migrate }, { restore }] = await Promise.all([import('../../../sql/client.ts'), import('../../../sql/migrate.ts'), import('../../../sql/backup.ts')])
  const storage = openStorage(clickhouseOptions(config))
  try {
    const result = await restore(storage, resolve(values.from), progress('restore', language))
    // A backup of an older Cairn is brought up to this one's schema.
    await migrate(storage, undefined, undefined, config.clickhouseCluster)
    process.stdout.write(`${say('cli.restore.done', { ...summary(result), dataDir: config.dataDir })}\n`)
  } finally {
    await storage.close()
  }
}
