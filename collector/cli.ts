/** `cairn <command>`: the entry point of the bin and of `npm start`. */
import { parseArgs } from 'node:util'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describeStorage, openStorage, ownerOnly, type Storage } from '../sql/client.ts'
import { migrate } from '../sql/migrate.ts'
import { Access } from '../dashboard/server/auth/access.ts'
import { addUser, ensureFirstAdmin } from '../dashboard/server/auth/users.ts'
import { FIRST_DAY, LAST_DAY, isDay } from '../dashboard/server/range.ts'
import { clickhouseOptions, ConfigError, DEMO_SITE, loadConfig, type Config } from './config.ts'
import { generateDemo } from './demo/generate.ts'
import { cookieDeclaration, privacyNotice } from './declaration.ts'
import { consoleLog, type Log } from './log.ts'
import { anonymizeBefore, eraseVisitor, exportVisitor, record, restrictVisitor, type VisitorKey } from '../sql/privacy.ts'
import { cookieVisitorId } from './visitor.ts'
import { startServer } from './server.ts'

/** Each command's lines of the help, also what `cairn <command> --help` prints. */
const USAGE: Record<string, string> = {
  serve: `  serve                                 Run Cairn: collector, tracker script, dashboard and APIs (default)`,
  demo: `  demo --site SITE [--events N] [--days D] [--seed S]
                                        Fill a site with realistic demo traffic: N events (100,000) over the
                                        last D days (365), the same for the same seed (42)`,
  users: `  users add EMAIL [--role admin|viewer] [--site SITE|*] [--password P]
                                        Create a dashboard user (a password is generated if omitted), or give
                                        an existing one a role, or a new password (which ends their logins and
                                        revokes their API keys)
  users list                            List users and their roles
  users remove EMAIL [--site SITE|*]    Remove a user (their logins and API keys end), or only their role on SITE`,
  keys: `  keys add --user EMAIL [--name NAME]   Create a stats API key acting for a user
  keys list [--user EMAIL]              List API keys (their first characters, owner, name, date)
  keys revoke PREFIX                    Revoke the API key that starts with PREFIX`,
  shares: `  shares add --site SITE                Create a read-only shared link to a site's dashboard`,
  privacy: `  privacy export|erase|restrict (--visitor ID [--site SITE] | --cookie VALUE) [--by NAME]
                                        Answer a data subject's request (access/portability, erasure,
                                        restriction); the visitor ID is in their export, or give the value
                                        of their cairn_id cookie
  privacy anonymize --before YYYY-MM-DD Anonymise everything older than a date`,
  sql: `  sql "SELECT …" [--format FORMAT]      Run a read-only query through the server's /clickhouse door (or on
                                        CLICKHOUSE_URL) and print an aligned table or any ClickHouse format;
                                        credentials from CAIRN_USER / CAIRN_PASSWORD, server from CAIRN_URL`,
  cookies: `  cookies [--format markdown|html]      Print the cookie declaration for the site's privacy policy`,
  'privacy-notice': `  privacy-notice [--format text|html]   Print a plain-language paragraph of what Cairn collects`,
  help: `  help                                  Show this help; "cairn COMMAND --help" shows one command's`,
}

const HELP = `Usage: cairn <command> [options]

Commands:
${Object.values(USAGE).join('\n')}

Configuration is read from the environment; see README.md ("Configuration"). With the embedded engine,
commands other than serve need the server stopped (one process holds the data directory).
`

class UsageError extends Error {}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options']

/** parseArgs, with its complaints (an unknown option, a missing value) as usage errors that show the command's usage. */
function parse<O extends Options>(command: string, args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\nUsage:\n${USAGE[command]}`)
  }
}

/** A whole-number flag within bounds, or a usage error naming it. */
function integerFlag(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!/^-?\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min.toLocaleString('en')} to ${max.toLocaleString('en')}, not "${value}"`)
  return n
}

async function serveCommand(config: Config): Promise<void> {
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
  log.info(`listening on ${server.url} for sites: ${config.sites.join(', ')}`)
  background = (async () => {
    const admin = await ensureFirstAdmin(server.collector.access)
    if (admin) announceFirstAdmin(admin, config, log, server.url)
    if (config.demo) await seedDemo(server.collector.storage, log, seeding.signal)
  })().catch((error: Error) => log.error(`first-start work stopped: ${error.message}`))
}

/**
 * The first admin's password is said once, to a person: on the terminal when there is one, otherwise in
 * a file only Cairn's user can read. Never in the log, which journald or a container keeps and ships.
 */
function announceFirstAdmin(admin: { email: string; password: string }, config: Config, log: Log, url: string): void {
  const change = `change it with: cairn users add ${admin.email} --password '…'`
  if (process.stderr.isTTY) {
    process.stderr.write(`\nFirst start: log in at ${url}/ as ${admin.email} with the password ${admin.password}\n(shown once, not logged; ${change})\n\n`)
    return
  }
  ownerOnly(config.dataDir)
  const file = join(config.dataDir, 'first-admin-password')
  writeFileSync(file, `${admin.password}\n`, { mode: 0o600 })
  log.info(`first start: created the admin ${admin.email}; the password is in ${file}, readable by this user only (log in at ${url}/, ${change}, then delete the file)`)
}

/** Without CAIRN_SITES, a first start fills demo.example with 30 days of traffic so the dashboard has something to show. */
async function seedDemo(storage: Storage, log: ReturnType<typeof consoleLog>, signal: AbortSignal): Promise<void> {
  const result = await storage.query({ query: 'SELECT count() AS n FROM cairn.events WHERE site = {site:String}', query_params: { site: DEMO_SITE }, format: 'JSONEachRow' })
  const [row] = await result.json<{ n: string }>()
  if (Number(row?.n) > 0) return
  log.info(`seeding ${DEMO_SITE} with demo traffic (30 days, 50,000 events)`)
  const written = await generateDemo(storage, { site: DEMO_SITE, events: 50_000, days: 30, signal })
  log.info(signal.aborted ? `demo seeding interrupted after ${written} events` : `demo data ready: ${DEMO_SITE} is on the dashboard`)
}

/** Opens ClickHouse for a one-off command, with the advice to stop the server if it holds the directory. */
async function withStorage<T>(config: Config, run: (storage: Storage) => Promise<T>): Promise<T> {
  let storage: Storage
  try {
    storage = openStorage(clickhouseOptions(config))
    await migrate(storage, undefined, undefined, config.clickhouseCluster)
  } catch (error) {
    throw new Error(`cannot open ${describeStorage(clickhouseOptions(config))} (${(error as Error).message}); if "cairn serve" is running on it, stop it first`)
  }
  try {
    return await run(storage)
  } finally {
    await storage.close()
  }
}

/** A progress bar on stderr for long jobs. */
function progress(label: string): (done: number, total: number) => void {
  const started = Date.now()
  return (done, total) => {
    const width = 30
    const filled = Math.round((done / total) * width)
    const rate = Math.round(done / Math.max(0.001, (Date.now() - started) / 1000))
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done.toLocaleString('en')}/${total.toLocaleString('en')} (${rate.toLocaleString('en')}/s)`)
    if (done >= total) process.stderr.write('\n')
  }
}

async function main(argv: string[]): Promise<void> {
  const [command = 'serve', ...rest] = argv
  if (command === 'help' || command === '--help' || command === '-h') return void process.stdout.write(HELP)
  if (!(command in USAGE)) throw new UsageError(`unknown command "${command}"\n\n${HELP}`)
  if (rest.includes('--help') || rest.includes('-h')) return void process.stdout.write(`Usage:\n${USAGE[command]}\n`)
  const config = loadConfig()
  switch (command) {
    case 'serve':
      return serveCommand(config)
    case 'demo': {
      const { values } = parse('demo', rest, { site: { type: 'string' }, events: { type: 'string' }, days: { type: 'string' }, seed: { type: 'string' } })
      if (!values.site) throw new UsageError('demo needs --site SITE (one of CAIRN_SITES)')
      if (!config.sites.includes(values.site)) throw new UsageError(`${values.site} is not in CAIRN_SITES (${config.sites.join(', ')}); add it there first`)
      const events = integerFlag(values.events, 'events', 100_000, 1, 1_000_000_000)
      const days = integerFlag(values.days, 'days', 365, 1, 3660)
      const seed = integerFlag(values.seed, 'seed', 42, 0, 2 ** 31 - 1)
      const written = await withStorage(config, (storage) =>
        generateDemo(storage, { site: values.site!, events, days, seed, onProgress: progress(`demo ${values.site}`) }),
      )
      process.stdout.write(`wrote ${written.toLocaleString('en')} demo events for ${values.site}\n`)
      return
    }
    case 'users':
      return usersCommand(config, rest)
    case 'keys':
      return keysCommand(config, rest)
    case 'shares': {
      const { values, positionals } = parse('shares', rest, { site: { type: 'string' } })
      if (positionals[0] !== 'add' || !values.site) throw new UsageError(`Usage:\n${USAGE.shares}`)
      if (!config.sites.includes(values.site)) throw new UsageError(`${values.site} is not in CAIRN_SITES`)
      const { secret } = await withStorage(config, (storage) => new Access(storage).createShare(values.site!, 'cli'))
      process.stdout.write(`read-only link to ${values.site}: http://localhost:${config.port}/share/${secret}\n`)
      return
    }
    case 'privacy':
      return privacyCommand(config, rest)
    case 'sql': {
      const { values, positionals } = parse('sql', rest, { format: { type: 'string', default: 'PrettyCompactMonoBlock' } })
      const query = positionals.join(' ').trim()
      if (!query) throw new UsageError(`Usage:\n${USAGE.sql}`)
      return sqlCommand(config, query, values.format!)
    }
    case 'cookies': {
      const { values } = parse('cookies', rest, { format: { type: 'string', default: 'markdown' } })
      if (values.format !== 'markdown' && values.format !== 'html') throw new UsageError('--format must be markdown or html')
      return void process.stdout.write(cookieDeclaration(config, values.format))
    }
    case 'privacy-notice': {
      const { values } = parse('privacy-notice', rest, { format: { type: 'string', default: 'text' } })
      if (values.format !== 'text' && values.format !== 'html') throw new UsageError('--format must be text or html')
      return void process.stdout.write(privacyNotice(config, values.format))
    }
    default:
      return void process.stdout.write(HELP)
  }
}

/** Through the running server's door (the embedded engine is held by it), or straight to a ClickHouse server. */
async function sqlCommand(config: Config, query: string, format: string): Promise<void> {
  const direct = config.clickhouseUrl
  const base = direct ? new URL(direct) : new URL('/clickhouse', process.env.CAIRN_URL ?? `http://localhost:${config.port}`)
  const user = direct ? config.clickhouseUser : process.env.CAIRN_USER
  const password = direct ? config.clickhousePassword : process.env.CAIRN_PASSWORD
  if (!user) throw new UsageError('set CAIRN_USER and CAIRN_PASSWORD (a Cairn user with a role on every site, or their API key as the password)')
  base.searchParams.set('default_format', format)
  if (direct) base.searchParams.set('readonly', '1')
  let response: Response
  try {
    response = await fetch(base, { method: 'POST', body: query, headers: { authorization: `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}` } })
  } catch (error) {
    throw new Error(`cannot reach ${base.origin} (${(error as Error).message}); is "cairn serve" running? Set CAIRN_URL if it is elsewhere`)
  }
  const text = await response.text()
  if (!response.ok) throw new Error(text.trim())
  process.stdout.write(text)
}

async function usersCommand(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse('users', args, { role: { type: 'string' }, site: { type: 'string' }, password: { type: 'string' } })
  const [sub, email] = positionals
  const checkSite = (site: string) => {
    if (site !== '*' && !config.sites.includes(site)) throw new UsageError(`${site} is not in CAIRN_SITES (${config.sites.join(', ')})`)
  }
  if (sub === 'list') {
    const users = await withStorage(config, (storage) => new Access(storage).users())
    for (const u of users) process.stdout.write(`${u.email}\t${Object.entries(u.roles).map(([site, role]) => `${role} of ${site === '*' ? 'every site' : site}`).join(', ') || 'no role'}\n`)
    return
  }
  if (sub === 'remove' && email) {
    if (values.site) checkSite(values.site)
    const done = await withStorage(config, (storage) => (values.site ? new Access(storage).removeRole(email, values.site) : new Access(storage).removeUser(email)))
    if (!done) throw new UsageError(values.site ? `${email} has no role on ${values.site}` : `no user ${email}`)
    process.stdout.write(values.site ? `${email} has no role on ${values.site} any more; their logins ended\n` : `${email} is removed; their logins and API keys ended\n`)
    return
  }
  if (sub !== 'add' || !email) throw new UsageError(`Usage:\n${USAGE.users}`)
  const role = values.role ?? 'viewer'
  if (role !== 'admin' && role !== 'viewer') throw new UsageError('--role must be admin or viewer')
  const site = values.site ?? '*'
  checkSite(site)
  const { generated, existed } = await withStorage(config, (storage) => addUser(new Access(storage), email, values.password, role, site))
  const changed = existed && values.password !== undefined ? '; new password set, their logins ended and their API keys were revoked' : ''
  process.stdout.write(`${email} is ${role} of ${site === '*' ? 'every site' : site}${generated ? `; password: ${generated}` : ''}${changed}\n`)
}

async function keysCommand(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse('keys', args, { user: { type: 'string' }, name: { type: 'string' } })
  const [sub, prefix] = positionals
  if (sub === 'list') {
    const keys = await withStorage(config, (storage) => new Access(storage).apiKeys(values.user))
    for (const k of keys) process.stdout.write(`${k.prefix}…\t${k.email}\t${k.name}\t${k.created_at}\n`)
    return
  }
  if (sub === 'revoke' && prefix) {
    const revoked = await withStorage(config, (storage) => new Access(storage).revokeKey(prefix.replace(/…$/, '')))
    if (revoked === 0) throw new UsageError(`no API key starts with ${prefix}; "cairn keys list" shows them`)
    process.stdout.write(`revoked ${revoked} API key${revoked === 1 ? '' : 's'} starting with ${prefix}\n`)
    return
  }
  if (sub !== 'add' || !values.user) throw new UsageError(`Usage:\n${USAGE.keys}`)
  const key = await withStorage(config, async (storage) => {
    const access = new Access(storage)
    if (!(await access.passwordHash(values.user!))) throw new UsageError(`no user ${values.user}; create it with "cairn users add"`)
    return access.createApiKey(values.user!, values.name ?? 'api')
  })
  process.stdout.write(`API key for ${values.user} (shown once): ${key}\nUse it as: curl -H "Authorization: Bearer ${key}" http://localhost:${config.port}/api/stats/SITE/aggregate\n`)
}

async function privacyCommand(config: Config, args: string[]): Promise<void> {
  const { values, positionals } = parse('privacy', args, { visitor: { type: 'string' }, site: { type: 'string' }, cookie: { type: 'string' }, before: { type: 'string' }, by: { type: 'string' } })
  const [action] = positionals
  const by = values.by ?? 'dpo'
  if (action === 'anonymize') {
    if (!values.before || !isDay(values.before)) throw new UsageError(`usage: cairn privacy anonymize --before YYYY-MM-DD (a real day from ${FIRST_DAY} to ${LAST_DAY})`)
    const months = await withStorage(config, (storage) => anonymizeBefore(storage, `${values.before} 00:00:00`, by, config.clickhouseCluster))
    process.stdout.write(`data before ${values.before} is anonymised (${months} month partitions rewritten)\n`)
    return
  }
  if (action !== 'export' && action !== 'erase' && action !== 'restrict') throw new UsageError(`Usage:\n${USAGE.privacy}`)
  const sites = values.site ? [values.site] : config.sites
  let keys: VisitorKey[]
  if (values.cookie) {
    // The cookie's id, even from an expired cookie: the visitor asks about data already stored.
    const id = /^([0-9a-f]{32})\./.exec(values.cookie.replace(/^cairn_id=/, ''))?.[1]
    if (!id) throw new UsageError('--cookie must be the value of the cairn_id cookie, like 3f2a…e1.1767225600')
    keys = sites.map((site) => ({ site, visitorId: cookieVisitorId(site, { id, depositedAt: 0 }) }))
  } else if (values.visitor && /^\d{1,20}$/.test(values.visitor)) {
    keys = sites.map((site) => ({ site, visitorId: values.visitor! }))
  } else throw new UsageError('give --visitor ID (a number, from the visitor\'s export) or --cookie VALUE')
  await withStorage(config, async (storage) => {
    if (action === 'export') {
      process.stdout.write(JSON.stringify(await exportVisitor(storage, keys), null, 2) + '\n')
      await record(storage, 'export', keys, by)
    }
    else if (action === 'erase') await eraseVisitor(storage, keys, by, config.clickhouseCluster)
    else await restrictVisitor(storage, keys, by)
  })
  if (action !== 'export') process.stderr.write(`${action === 'erase' ? 'erased' : 'restricted'}: ${keys.map((k) => `${k.site} ${k.visitorId}`).join(', ')}\n`)
}

main(process.argv.slice(2)).catch((error: Error) => {
  const kind = error instanceof ConfigError ? 'configuration error: ' : ''
  process.stderr.write(`cairn: ${kind}${error.message}\n`)
  process.exit(error instanceof ConfigError || error instanceof UsageError ? 2 : 1)
})
