/**
 * Scheduled reports (docs/admin-api.md, "Reports"): who gets which site's report (cairn.report_subscriptions)
 * and the scheduler that sends each one once per period, weekly on Monday and monthly on the 1st from
 * SEND_HOUR in the site's time zone, even with several collectors and across restarts.
 *
 * Once: a scheduler claims (subscription, period) with a row of cairn.reports_sent, waits `settleMs`,
 * and goes on only if its claim is the earliest of that key (ClickHouse has no transactions; this
 * assumes the collectors' clocks agree within the settle delay). The winner writes a row with `sent_at`
 * once the SMTP server took the mail; a claim left without one (a crash, SMTP down past the mailer's last
 * retry) lets another scheduler try again after CLAIM_MS.
 */
import { randomBytes } from 'node:crypto'
import type { Storage } from '../../../sql/client.ts'
import type { SiteList } from '../../../sql/sites.ts'
import { negotiate, type Language } from '../../i18n/languages.ts'
import { addDays, localDate } from '../range.ts'
import { buildReport, lastPeriod, type Frequency } from './report.ts'
import type { MailLog, Mailer } from './mailer.ts'
import { nextVersion } from '../../../sql/version.ts'

/** How long a claim keeps others away: longer than the mailer's retries take. */
const CLAIM_MS = 60 * 60_000

export interface Subscription {
  site: string
  email: string
  frequency: Frequency
  language: Language
  unsubscribe_token: string
  /** When it was made ('YYYY-MM-DD HH:MM:SS', UTC): a period already due then is not sent late. */
  created_at: string
}

/** A row of cairn.reports_sent: a scheduler's claim, or (sent) the record that the report went. */
interface Claim {
  claimedBy: string
  claimedAt: number
  sent: boolean
}

export interface ReportsOptions {
  storage: Storage
  mailer: Mailer
  sites: SiteList
  publicUrl: string
  log: MailLog
  now: () => number
  /** How long a claim waits for others' before it counts (tests shorten it). */
  settleMs?: number
  /** How often the scheduler looks for due reports. */
  intervalMs?: number
}

const utc = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '')

export class Reports {
  /** This scheduler's name in its claims. */
  readonly id = randomBytes(6).toString('hex')
  private timer: NodeJS.Timeout | undefined
  private running: Promise<number> | undefined

  constructor(private readonly options: ReportsOptions) {}

  async list(site: string): Promise<Subscription[]> {
    return this.rows('site = {site:String}', { site })
  }

  async subscribe(site: string, email: string, frequency: Frequency, language: Language): Promise<Subscription> {
    const [existing] = await this.rows('site = {site:String} AND email = {email:String} AND frequency = {frequency:String}', { site, email, frequency })
    const subscription: Subscription = {
      site,
      email,
      frequency,
      language,
      unsubscribe_token: existing?.unsubscribe_token ?? `cairn_unsub_${randomBytes(18).toString('base64url')}`,
      created_at: existing?.created_at ?? utc(this.options.now()).slice(0, 19),
    }
    await this.write(subscription, false)
    return subscription
  }

  async unsubscribe(subscription: Subscription): Promise<void> {
    await this.write(subscription, true)
  }

  async byToken(token: string): Promise<Subscription | undefined> {
    if (typeof token !== 'string' || !token.startsWith('cairn_unsub_') || token.length > 100) return undefined
    const [found] = await this.rows('unsubscribe_token = {token:String}', { token })
    return found
  }

  /** The mail of a subscription's last complete period (or of `frequency`'s, for a preview). */
  async mail(site: string, email: string, frequency: Frequency, language: Language, token: string, nowMs = this.options.now()) {
    const info = this.options.sites.get(site)
    if (!info) throw new Error(`no site ${site}`)
    const { range } = lastPeriod(frequency, nowMs, info.timeZone)
    const links = {
      dashboard: `${this.options.publicUrl}/?site=${encodeURIComponent(site)}&period=custom&from=${range.from}&to=${range.to}`,
      // A report sent now to someone not subscribed has nothing to unsubscribe from.
      unsubscribe: token ? `${this.options.publicUrl}/reports/unsubscribe?token=${encodeURIComponent(token)}` : undefined,
    }
    return { range, ...(await buildReport(this.options.storage, { site, timeZone: info.timeZone }, frequency, language, range, email, links)) }
  }

  /** Sends what is due and not sent yet; the number of reports this scheduler sent. One run at a time. */
  runDue(): Promise<number> {
    this.running ??= this.sendDue().finally(() => (this.running = undefined))
    return this.running
  }

  start(): void {
    if (!this.options.mailer.configured) return
    this.timer = setInterval(() => void this.runDue().catch((error: Error) => this.options.log.error(`reports: ${error.message}`)), this.options.intervalMs ?? 60_000)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    await this.running?.catch(() => {})
  }

  private async sendDue(): Promise<number> {
    if (!this.options.mailer.configured) return 0
    const now = this.options.now()
    let sent = 0
    for (const s of await this.rows('1', {})) {
      const info = this.options.sites.get(s.site)
      if (!info) continue
      const { range, due } = lastPeriod(s.frequency, now, info.timeZone)
      // Subscribed after the period's day of sending: the first report is the next period's.
      const subscribedOn = localDate(Date.parse(`${s.created_at.replace(' ', 'T')}Z`), info.timeZone)
      if (!due || subscribedOn > addDays(range.to, 1) || !(await this.claim(s, range.from))) continue
      try {
        const mail = await this.mail(s.site, s.email, s.frequency, s.language, s.unsubscribe_token, now)
        await this.options.mailer.send({ kind: 'report', ...mail })
        await this.record(s, range.from, this.options.now())
        sent++
      } catch (error) {
        this.options.log.error(`report (${s.frequency}) of ${s.site} not sent: ${(error as Error).message}`)
      }
    }
    return sent
  }

  /** Whether this scheduler is the one to send `s` for the period starting `periodStart`. */
  private async claim(s: Subscription, periodStart: string): Promise<boolean> {
    const key = { site: s.site, email: s.email, frequency: s.frequency, period: periodStart }
    const now = this.options.now()
    // Sent already, or claimed by someone within the hour: not this scheduler's to send.
    const taken = (claims: Claim[]) => claims.some((c) => c.sent || c.claimedAt > now - CLAIM_MS)
    if (taken(await this.claims(key))) return false
    await this.options.storage.insert({ table: 'cairn.reports_sent', values: [{ site: s.site, email: s.email, frequency: s.frequency, period_start: periodStart, claimed_by: this.id, claimed_at: utc(now), sent_at: null }], format: 'JSONEachRow' })
    await new Promise((resolve) => setTimeout(resolve, this.options.settleMs ?? 2_000))
    const claims = await this.claims(key)
    if (claims.some((c) => c.sent)) return false
    const [first] = claims.filter((c) => c.claimedAt > now - CLAIM_MS).sort((a, b) => a.claimedAt - b.claimedAt || (a.claimedBy < b.claimedBy ? -1 : 1))
    return first?.claimedBy === this.id
  }

  private async record(s: Subscription, periodStart: string, at: number): Promise<void> {
    await this.options.storage.insert({
      table: 'cairn.reports_sent',
      values: [{ site: s.site, email: s.email, frequency: s.frequency, period_start: periodStart, claimed_by: this.id, claimed_at: utc(at), sent_at: utc(at) }],
      format: 'JSONEachRow',
    })
  }

  private async claims(key: Record<string, string>): Promise<Claim[]> {
    const result = await this.options.storage.query({
      query: `SELECT claimed_by, toUnixTimestamp64Milli(claimed_at) AS at, sent_at IS NOT NULL AS sent FROM cairn.reports_sent
              WHERE site = {site:String} AND email = {email:String} AND frequency = {frequency:String} AND period_start = {period:Date}`,
      query_params: key,
      format: 'JSONEachRow',
    })
    return (await result.json<{ claimed_by: string; at: string; sent: boolean | number }>()).map((r) => ({ claimedBy: r.claimed_by, claimedAt: Number(r.at), sent: Boolean(Number(r.sent)) }))
  }

  private async rows(where: string, params: Record<string, unknown>): Promise<Subscription[]> {
    const result = await this.options.storage.query({
      query: `SELECT site, email, frequency, language, unsubscribe_token, toString(created_at) AS created_at FROM cairn.report_subscriptions FINAL WHERE NOT deleted AND ${where} ORDER BY site, email, frequency`,
      query_params: params,
      format: 'JSONEachRow',
    })
    return (await result.json<Subscription>()).map((s) => ({ ...s, language: negotiate(s.language) }))
  }

  private async write(s: Subscription, deleted: boolean): Promise<void> {
    await this.options.storage.insert({ table: 'cairn.report_subscriptions', values: [{ ...s, deleted, version: nextVersion() }], format: 'JSONEachRow' })
  }
}
