/** Retention by TTL from the configuration, and a cookie declaration that matches what the server really sets. */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser } from '../dashboard/server/auth/users.ts'
import { clickhouseTime } from '../collector/ingest/row.ts'
import { TestServer, pageview, setCookies, tempDataDir, uniqueSite } from './helpers/server.ts'

const site = uniqueSite('retained')
const dataDir = tempDataDir()
const MONTH = 30.5 * 86_400_000
let server: TestServer

beforeAll(async () => {
  server = await TestServer.start({ sites: [site], dataDir, env: { CAIRN_COOKIE_DAYS: '90' } })
})
afterAll(() => server.stop())

async function ttl(table: string): Promise<string> {
  const [row] = await server.rows<{ e: string }>('SELECT engine_full AS e FROM system.tables WHERE database = {db:String} AND name = {t:String}', { db: 'cairn', t: table })
  return /TTL (.*?) SETTINGS/.exec(row!.e)?.[1] ?? ''
}

async function pathsLeft(): Promise<string[]> {
  await server.storage.command({ query: 'OPTIMIZE TABLE cairn.events FINAL' })
  const rows = await server.rows<{ pathname: string }>('SELECT pathname FROM cairn.events WHERE site = {site:String} ORDER BY pathname', { site })
  return rows.map((r) => r.pathname)
}

describe('retention', () => {
  it('deletes events older than the configured months, and follows a change of the setting at the next start', async () => {
    expect(await ttl('events')).toBe('toDateTime(timestamp) + toIntervalMonth(25)')
    const at = (monthsAgo: number, pathname: string) => ({
      site, timestamp: clickhouseTime(Date.now() - monthsAgo * MONTH), name: 'pageview', visitor_id: '1', session_id: String(monthsAgo + 1),
      session_start: clickhouseTime(Date.now() - monthsAgo * MONTH), pathname,
    })
    await server.storage.insert({ table: 'cairn.events', values: [at(26, '/26-months'), at(14, '/14-months'), at(1, '/1-month')], format: 'JSONEachRow' })
    expect(await pathsLeft()).toEqual(['/1-month', '/14-months'])

    await server.stop()
    server = await TestServer.start({ sites: [site], dataDir, env: { CAIRN_RETENTION_MONTHS: '13' } })
    expect(await ttl('events')).toBe('toDateTime(timestamp) + toIntervalMonth(13)')
    expect(await ttl('sessions_data')).toBe('toDateTime(start) + toIntervalMonth(13)')
    // The new TTL is applied to existing parts by a background mutation; merges then drop the rows.
    const until = Date.now() + 20_000
    let left = await pathsLeft()
    while (left.length > 1 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200))
      left = await pathsLeft()
    }
    expect(left).toEqual(['/1-month'])
  })
})

describe('cookie declaration and privacy notice', () => {
  const cairn = (env: Record<string, string>, ...args: string[]) =>
    promisify(execFile)(process.execPath, ['collector/bin/cairn.js', ...args], { cwd: new URL('..', import.meta.url).pathname, env: { ...process.env, LANG: 'C.UTF-8', ...env } })
  const CONFIG = { CAIRN_COOKIE_DAYS: '90', CAIRN_RETENTION_MONTHS: '13' }
  /** The declaration's rows: name, category, purpose, lifetime, recipient. */
  const rows = (markdown: string) =>
    [...markdown.matchAll(/^\| `([\w-]+)` \| ([^|]+) \| [^|]+ \| ([^|]+) \| [^|]+ \|$/gm)].map((m) => ({ name: m[1]!, category: m[2]!.trim(), lifetime: m[3]!.trim() }))
  /** What the server really does: every cookie it sets (a consented visitor, a withdrawal, a login), and the TTL in force. */
  let seen: Map<string, string>
  let ttlMonths: number

  beforeAll(async () => {
    await server.stop()
    server = await TestServer.start({ sites: [site], dataDir, env: CONFIG })
    seen = new Map<string, string>()
    const remember = (response: Response) => {
      for (const header of setCookies(response)) if (!seen.has(header.split('=')[0]!)) seen.set(header.split('=')[0]!, header)
    }
    remember(await server.post(pageview(site, '/', { c: true })))
    remember(await server.post(pageview(site, '/', { c: false }), { cookie: 'cairn_id=x' }))
    await addUser(server.server.collector.access, 'staff@example.com', 'staff password 1', 'viewer', site)
    remember(await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'staff@example.com', password: 'staff password 1' }) }))
    ttlMonths = Number(/toIntervalMonth\((\d+)\)/.exec(await ttl('events'))![1])
  })
  const days = (name: string) => Number(/Max-Age=(\d+)/.exec(seen.get(name)!)![1]) / 86_400

  it('lists exactly the cookies the server sets, with their real lifetimes, in English', async () => {
    const declared = rows((await cairn({ CAIRN_SITES: site, ...CONFIG }, 'cookies')).stdout)
    expect(declared.map((d) => d.name).sort()).toEqual([...seen.keys()].sort())
    expect(days('cairn_id')).toBe(90)
    expect(declared.find((d) => d.name === 'cairn_id')).toEqual({ name: 'cairn_id', category: 'Statistical (needs your consent)', lifetime: `${days('cairn_id')} days from when it is first set; never extended` })
    expect(declared.find((d) => d.name === 'cairn_login')).toMatchObject({ category: 'Necessary', lifetime: `${days('cairn_login')} days, or until logging out` })
  })

  it('says the same in French with --lang fr, from the live configuration', async () => {
    const { stdout } = await cairn({ CAIRN_SITES: site, ...CONFIG }, 'cookies', '--lang', 'fr')
    const declared = rows(stdout)
    expect(stdout).toMatch(/^\| Nom \| Catégorie \| Finalité \| Durée de vie \| Destinataire \|$/m)
    expect(declared.map((d) => d.name).sort()).toEqual([...seen.keys()].sort())
    expect(declared.find((d) => d.name === 'cairn_id')).toEqual({ name: 'cairn_id', category: 'Statistiques (soumis à votre consentement)', lifetime: `${days('cairn_id')} jours à compter de son premier dépôt\u202f; jamais prolongé` })
    expect(declared.find((d) => d.name === 'cairn_login')).toMatchObject({ category: 'Nécessaire', lifetime: `${days('cairn_login')} jours, ou jusqu’à la déconnexion` })
    expect(stdout).toContain('Cairn ne dépose aucun cookie publicitaire ni aucun cookie tiers.')
    // The terminal's language is the default; HTML says which language it is in.
    const html = (await cairn({ CAIRN_SITES: site, ...CONFIG, LANG: 'fr_FR.UTF-8' }, 'cookies', '--format', 'html')).stdout
    expect(html).toContain('<table class="cookie-declaration" lang="fr">')
    expect(html).toContain('<th>Catégorie</th>')
  })

  it('writes the privacy notice in French with the real cookie, lifetime, retention and address truncation', async () => {
    expect(ttlMonths).toBe(13)
    const { stdout, stderr } = await cairn({ CAIRN_SITES: site, ...CONFIG }, 'privacy-notice', '--lang', 'fr')
    expect(stderr).toBe('')
    expect(stdout).toMatch(/^Mesure d’audience\n/)
    expect(stdout).toContain(`un cookie (\`cairn_id\`) reconnaît votre navigateur lors de vos visites suivantes pendant ${days('cairn_id')} jours à compter de son premier dépôt`)
    expect(stdout).toContain(`Les données sont conservées ${ttlMonths} mois, puis supprimées automatiquement.`)
    expect(stdout).toContain('son dernier octet sur quatre en IPv4, tout sauf ses 48 premiers bits en IPv6')
    // The CNIL's conditions and the visitor's rights, and where to complain.
    expect(stdout).toContain('Cette mesure respecte les conditions dans lesquelles la CNIL exempte la mesure d’audience de consentement.')
    for (const right of ['droit d’accès', 'rectification', 'effacement', 'limitation du traitement', 'opposition', 'portabilité', 'retirer votre consentement', 'réclamation à la CNIL']) expect(stdout).toContain(right)

    const english = (await cairn({ CAIRN_SITES: site, ...CONFIG, CAIRN_IPV4_PREFIX: '16' }, 'privacy-notice')).stdout
    expect(english).toContain(`for ${days('cairn_id')} days from when it is first set; it is never extended`)
    expect(english).toContain(`The data is kept for ${ttlMonths} months`)
    expect(english).toContain('its last two of four parts for IPv4')
  })

  it('claims no consent exemption when the retention is beyond the CNIL’s 25 months, and warns the admin', async () => {
    const { stdout, stderr } = await cairn({ CAIRN_SITES: site, CAIRN_RETENTION_MONTHS: '30', LANG: 'fr_FR.UTF-8' }, 'privacy-notice')
    expect(stdout).toContain('Les données sont conservées 30 mois')
    expect(stdout).not.toContain('exempte')
    expect(stderr).toBe('attention\u00a0: CAIRN_RETENTION_MONTHS vaut 30\u202f; la CNIL n’exempte la mesure d’audience de consentement que si les données sont conservées 25 mois au plus\n')
  })
})
