/** `cairn serve`: the collector, the tracker script, the dashboard and its APIs, until SIGTERM or SIGINT. */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Storage } from '../../../sql/client.ts'
import type { Log } from '../../ingest/log.ts'
import { clickhouseOptions, DEMO_SITE, type Config } from '../config.ts'
import { say, type Usage } from './args.ts'

export const usage: Usage = [['serve', 'cli.usage.serve']]

export async function run(config: Config): Promise<void> {
  // The server is loaded when it runs, so that every other command's usage answers at once.
  const [{ describeStorage }, { ensureFirstAdmin }, { consoleLog }, { startServer }] = await Promise.all([
    import('../../../sql/client.ts'),
    import('../../../dashboard/server/auth/users.ts'),
    import('../../ingest/log.ts'),
    import('../server.ts'),
  ])
  const log = consoleLog()
  log.info(`starting Cairn on ${describeStorage(clickhouseOptions(config))}`)
  const server = await startServer(config, { log })
  const seeding = new AbortController()
  let background: Promise<unknown> = Promise.resolve()
  const stop = (signal: string) => {
    log.info(`${signal}: stopping, flushing ${server.collector.writer.queued} queued events`)
    // Work of the first start (admin, demo) finishes its current query before the engine closes.
    seeding.abort()
    background.then(() => server.close()).then(
      () => {
        log.info('stopped')
        process.exit(0)
      },
      (error: Error) => {
        log.error(`stopping failed: ${error.message}`)
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
  log.info(`listening on ${server.url} for sites: ${server.collector.sites.all().map((s) => s.site).join(", ")}`)
  background = (async () => {
    const admin = await ensureFirstAdmin(server.collector.access)
    if (admin) await announceFirstAdmin(admin, config, log, server.url)
    // Unless the demo site was removed in the settings.
    if (config.demo && server.collector.sites.has(DEMO_SITE)) await seedDemo(server.collector.storage, log, seeding.signal)
  })().catch((error: Error) => log.error(`first-start work stopped: ${error.message}`))
}

/**
 * The first admin's password is said once, to a person: on the terminal when there is one, otherwise in
 * a file only Cairn's user can read. Never in the log, which journald or a container keeps and ships.
 */
async function announceFirstAdmin(admin: { email: string; password: string }, config: Config, log: Log, url: string): Promise<void> {
  const change = `change it with: cairn users add ${admin.email} --password '…'`
  if (process.stderr.isTTY) {
    process.stderr.write(`\n${say('cli.serve.firstAdmin', { url: `${url}/`, email: admin.email, password: admin.password })}\n\n`)
    return
  }
  const { ownerOnly } = await import('../../../sql/client.ts')
  ownerOnly(config.dataDir)
  const file = join(config.dataDir, 'first-admin-password')
  writeFileSync(file, `${admin.password}\n`, { mode: 0o600 })
  log.info(`first start: created the admin ${admin.email}; the password is in ${file}, readable by this user only (log in at ${url}/, ${change}, then delete the file)`)
}

/** Without CAIRN_SITES, a first start fills demo.example with 30 days of traffic, goals and annotations, so the dashboard has something to show. */
async function seedDemo(storage: Storage, log: Log, signal: AbortSignal): Promise<void> {
  const result = await storage.query({ query: 'SELECT count() AS n FROM cairn.events WHERE site = {site:String}', query_params: { site: DEMO_SITE }, format: 'JSONEachRow' })
  const [row] = await result.json<{ n: string }>()
  if (Number(row?.n) > 0) return
  const [{ generateDemo }, { seedDefinitions }] = await Promise.all([import('../demo/generate.ts'), import('../demo/definitions.ts')])
  log.info(`seeding ${DEMO_SITE} with demo traffic (30 days, 50,000 events)`)
  const written = await generateDemo(storage, { site: DEMO_SITE, events: 50_000, days: 30, signal })
  if (!signal.aborted) await seedDefinitions(storage, DEMO_SITE)
  log.info(signal.aborted ? `demo seeding interrupted after ${written} events` : `demo data ready: ${DEMO_SITE} is on the dashboard`)
}
