/** Configuration: read once from the environment, validated, then passed down as one typed object. */
import { resolve } from 'node:path'
import type { ClickHouseOptions } from '../../sql/client.ts'
import { isDomain, normalizeDomain } from '../../sql/sites.ts'
import { isTimeZone } from '../../dashboard/server/range.ts'
import { terminalLanguage, translator } from '../../dashboard/i18n/translate.ts'
import type { MailConfig } from '../../dashboard/server/mail/mailer.ts'

/** Said to the admin who starts Cairn, in the terminal's language. */
const say = translator(terminalLanguage())

export interface Config {
  /** TCP port of the one Cairn server. */
  port: number
  /** Interface to listen on. */
  host: string
  /** Embedded ClickHouse data directory (ignored when `clickhouseUrl` is set). */
  dataDir: string
  /** A ClickHouse server's HTTP URL; unset means the embedded engine. */
  clickhouseUrl: string | undefined
  clickhouseUser: string
  clickhousePassword: string
  /** A ClickHouse cluster's name: DDL runs ON CLUSTER with replicated and distributed tables. */
  clickhouseCluster: string | undefined
  /**
   * CAIRN_SITES: sites created at start when the database has never held them (domain without `www.`,
   * time zone UTC unless given as `example.com=Europe/Paris`). After that, sites live in `cairn.sites`.
   */
  seedSites: { site: string; timeZone: string }[]
  /** CAIRN_SITES was not set: the demo site is seeded on a first start. */
  demo: boolean
  /** Number of reverse-proxy hops whose `X-Forwarded-For` entries are trusted, counted from the right; 0 = use the socket. */
  trustProxy: number
  /** Bits of an IPv4 address kept (24 keeps a.b.c.0, 16 keeps a.b.0.0). */
  ipv4Prefix: 16 | 24
  /** Bits of an IPv6 address kept. */
  ipv6Prefix: 32 | 48
  /** Lifetime of the visitor cookie from its first deposit, in days (never extended). */
  cookieDays: number
  /** Months events are kept before ClickHouse deletes them (TTL). */
  retentionMonths: number
  /** Events per second and burst allowed per (truncated address, site). */
  rateLimit: { perSecond: number; burst: number }
  /** Events accepted but not yet in ClickHouse beyond which new ones get 503 (ClickHouse down for long). */
  spoolMaxEvents: number
  /** The most an import's file may hold, uploaded or once a zip is unpacked (CAIRN_IMPORT_MAX_MB, in MiB). */
  importMaxBytes: number
  /** SMTP and the sender (CAIRN_SMTP_URL or CAIRN_SMTP_HOST…, CAIRN_MAIL_FROM); unset: no mail, links are shown instead. */
  mail: MailConfig | undefined
  /**
   * The dashboard's address as people reach it (CAIRN_PUBLIC_URL), for the links in mails. Never taken
   * from a request's Host header, which whoever asks for a password reset could set.
   */
  publicUrl: string
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>

/** The defaults make `npm start` work with no configuration: embedded engine in ./data, site `localhost`. */
export function loadConfig(env: Env = process.env): Config {
  return {
    port: integer(env, 'PORT', 8080, 0, 65535),
    host: env.HOST || '0.0.0.0',
    dataDir: resolve(env.CAIRN_DATA_DIR || './data'),
    clickhouseUrl: env.CLICKHOUSE_URL || undefined,
    clickhouseUser: env.CLICKHOUSE_USER || 'default',
    clickhousePassword: env.CLICKHOUSE_PASSWORD || '',
    clickhouseCluster: env.CLICKHOUSE_CLUSTER || undefined,
    seedSites: sites(env.CAIRN_SITES),
    demo: !env.CAIRN_SITES,
    trustProxy: trustProxy(env.TRUST_PROXY),
    ipv4Prefix: oneOf(env, 'CAIRN_IPV4_PREFIX', [24, 16] as const),
    ipv6Prefix: oneOf(env, 'CAIRN_IPV6_PREFIX', [48, 32] as const),
    // 180 days is the most: consent to statistics is valid for 6 months from its first deposit.
    cookieDays: integer(env, 'CAIRN_COOKIE_DAYS', 180, 1, 180),
    // 25 months: the CNIL's ceiling for consent-exempt audience measurement.
    retentionMonths: integer(env, 'CAIRN_RETENTION_MONTHS', 25, 1, 120),
    spoolMaxEvents: integer(env, 'CAIRN_SPOOL_MAX_EVENTS', 1_000_000, 1, 100_000_000),
    importMaxBytes: integer(env, 'CAIRN_IMPORT_MAX_MB', 2048, 1, 1_048_576) * 1024 * 1024,
    rateLimit: { perSecond: integer(env, 'CAIRN_RATE_LIMIT', 20, 1, 100_000), burst: integer(env, 'CAIRN_RATE_BURST', 100, 1, 1_000_000) },
    mail: mail(env),
    publicUrl: publicUrl(env.CAIRN_PUBLIC_URL, integer(env, 'PORT', 8080, 0, 65535)),
  }
}

function mail(env: Env): MailConfig | undefined {
  const url = env.CAIRN_SMTP_URL
  const host = env.CAIRN_SMTP_HOST
  if (!url && !host) return undefined
  const from = env.CAIRN_MAIL_FROM?.trim()
  if (!from) throw new ConfigError(say('cli.config.mailFrom'))
  if (url) {
    if (!/^smtps?:\/\/[^\s]+$/.test(url)) throw new ConfigError(say('cli.config.smtpUrl'))
    return { transport: url, from }
  }
  const tls = env.CAIRN_SMTP_TLS || 'starttls'
  if (!['starttls', 'tls', 'none'].includes(tls)) throw new ConfigError(say('cli.config.oneOf', { name: 'CAIRN_SMTP_TLS', raw: tls, choices: 'starttls, tls, none' }))
  const user = env.CAIRN_SMTP_USER
  return {
    transport: {
      host: host!,
      port: integer(env, 'CAIRN_SMTP_PORT', tls === 'tls' ? 465 : 587, 1, 65535),
      secure: tls === 'tls',
      // starttls: refuse to send the password or the mail over a connection the server did not upgrade.
      requireTLS: tls === 'starttls',
      ...(user && { auth: { user, pass: env.CAIRN_SMTP_PASSWORD ?? '' } }),
    },
    from,
  }
}

function publicUrl(value: string | undefined, port: number): string {
  if (!value) return `http://localhost:${port}`
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new ConfigError(say('cli.config.publicUrl', { value }))
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(say('cli.config.publicUrl', { value }))
  return value.replace(/\/+$/, '')
}

/** Where ClickHouse is, as the storage layer takes it. */
export function clickhouseOptions(config: Config): ClickHouseOptions {
  return { url: config.clickhouseUrl, username: config.clickhouseUser, password: config.clickhousePassword, dataDir: config.dataDir }
}

/** `demo.example` for the demo data (first, so the dashboard opens on it) and `localhost` for trying Cairn out, unless CAIRN_SITES says otherwise. */
export const DEFAULT_SITES = 'demo.example,localhost'
export const DEMO_SITE = 'demo.example'

function sites(value: string | undefined): { site: string; timeZone: string }[] {
  const list = new Map<string, string>()
  for (const entry of (value || DEFAULT_SITES).split(',').filter((e) => e.trim())) {
    const [domain = '', timeZone = 'UTC'] = entry.split('=')
    const site = normalizeDomain(domain)
    if (!isDomain(site)) throw new ConfigError(say('cli.config.notDomain', { site }))
    if (!isTimeZone(timeZone.trim())) throw new ConfigError(say('cli.config.notTimeZone', { timeZone }))
    list.set(site, timeZone.trim())
  }
  if (list.size === 0) throw new ConfigError(say('cli.config.noSites'))
  return [...list].map(([site, timeZone]) => ({ site, timeZone }))
}

function trustProxy(value: string | undefined): number {
  if (!value || value === 'false' || value === '0') return 0
  if (value === 'true') return 1
  const hops = Number(value)
  if (!Number.isInteger(hops) || hops < 0 || hops > 10) {
    throw new ConfigError(say('cli.config.trustProxy', { value }))
  }
  return hops
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(say('cli.config.integer', { name, raw, min, max }))
  return n
}

function oneOf<T extends number>(env: Env, name: string, allowed: readonly [T, ...T[]]): T {
  const raw = env[name]
  if (raw === undefined || raw === '') return allowed[0]
  const found = allowed.find((a) => String(a) === raw)
  if (found === undefined) throw new ConfigError(say('cli.config.oneOf', { name, raw, choices: allowed.join(', ') }))
  return found
}
