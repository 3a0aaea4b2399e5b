/**
 * Traffic alerts (docs/admin-api.md, "Alerts"): every minute each alert of each site is checked against
 * `cairn.events`, and one that holds is sent, at most once per alert per hour: a mail to each recipient in
 * the alert's language, and a JSON POST to its webhook.
 *
 * Once an hour with several collectors: ClickHouse has no transactions, so a collector claims (alert,
 * hour) with a row of `cairn.alerts_fired`, waits `settleMs`, reads the claims of that (alert, hour) back,
 * and sends only if its own is the earliest (by fired_at, then fired_by). This assumes the collectors'
 * clocks agree within the settle delay, and that a claim is readable by every collector within it (an
 * insert is, once acknowledged, on one server; on a cluster, replication must keep up). Each claim has a
 * name of its own, so two checks in one process race like two collectors and one wins.
 *
 * Nothing here holds ingest or the dashboard: checks run on a timer of their own (a tick that finds the
 * last check still running skips), the mailer retries in the background, and the webhook gives up after
 * a few short attempts.
 */
import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Storage } from '../../../sql/client.ts'
import { readAlerts, readClaims, writeClaims, type Alert, type Claim } from '../../../sql/alerts.ts'
import { readSites } from '../../../sql/sites.ts'
import { negotiate } from '../../i18n/languages.ts'
import { translator } from '../../i18n/translate.ts'
import { realtime } from '../stats.ts'
import type { MailLog, Mailer } from './mailer.ts'
import { renderMail } from './template.ts'
import { postWebhook, type WebhookOptions } from './webhook.ts'

/** Below this average of the previous weeks, a change alert stays quiet: a rise from 2 to 4 visitors is noise. */
export const MIN_BASELINE = 10
/** Previous weeks a change alert compares with. */
export const BASELINE_WEEKS = 4

export interface AlertWatcherDeps {
  storage: Storage
  mailer: Mailer
  log: MailLog
  now: () => number
  /** The dashboard's address (CAIRN_PUBLIC_URL), for the link in every notification. */
  publicUrl: string
}

export interface AlertWatcherOptions {
  /** How long a claim waits for other collectors' before it counts. */
  settleMs?: number
  /** Between two checks. */
  intervalMs?: number
  webhook?: WebhookOptions
}

/** An alert that holds now: what it measured. */
interface Firing {
  alert: Alert
  timeZone: string
  /** The start of the site's local hour, in ms. */
  hour: number
  /** Current visitors (visitors_above) or this hour's so far (change). */
  value: number
  /** For a change: the previous weeks' average, and the change as a fraction of it (+0.5: 50 % more). */
  baseline?: number
  change?: number
}

/** The start of the hour `nowMs` is in, in `timeZone` (not always a UTC hour: India is UTC+5:30). */
function localHourStart(timeZone: string, nowMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, minute: 'numeric', second: 'numeric' }).formatToParts(new Date(nowMs))
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0)
  return nowMs - (part('minute') * 60 + part('second')) * 1000 - (nowMs % 1000)
}

/**
 * This hour's visitors from its start to now, and the same stretch of the same local hour on each of the
 * previous weeks (like with like: a whole past hour against a started one would look like a fall every
 * hour). Weeks before the site's first day of events are left out of the average, so a new site does not
 * compare itself with weeks of nothing.
 */
async function hourAgainstWeeks(storage: Storage, site: string, timeZone: string, hour: number, nowMs: number): Promise<{ current: number; baseline: number | undefined }> {
  const weeks = Array.from({ length: BASELINE_WEEKS }, (_, i) => i + 1)
  const window = (k: number) => `(timestamp >= subtractWeeks(h, ${k}) AND timestamp <= subtractWeeks(n, ${k}))`
  const result = await storage.query({
    query: `WITH fromUnixTimestamp64Milli({hour:Int64}, {tz:String}) AS h, fromUnixTimestamp64Milli({now:Int64}, {tz:String}) AS n,
              (SELECT toDate(timestamp) FROM cairn.events WHERE site = {site:String} ORDER BY toDate(timestamp) LIMIT 1) AS first_day
            SELECT uniqExactIf(visitor_id, timestamp >= h AND timestamp <= n) AS current,
              [${weeks.map((k) => `uniqExactIf(visitor_id, ${window(k)})`).join(', ')}] AS weeks,
              [${weeks.map((k) => `toDateTime(first_day, 'UTC') <= subtractWeeks(h, ${k})`).join(', ')}] AS counted
            FROM cairn.events
            WHERE site = {site:String} AND name != 'engagement' AND ((timestamp >= h AND timestamp <= n) OR ${weeks.map(window).join(' OR ')})`,
    query_params: { site, tz: timeZone, hour, now: nowMs },
    format: 'JSONEachRow',
  })
  const [row] = await result.json<{ current: string | number; weeks: (string | number)[]; counted: (boolean | number)[] }>()
  const past = (row?.weeks ?? []).map(Number).filter((_, i) => Boolean(Number(row!.counted[i])))
  return { current: Number(row?.current ?? 0), baseline: past.length === 0 ? undefined : past.reduce((a, b) => a + b, 0) / past.length }
}

export class AlertWatcher {
  private readonly settleMs: number
  private readonly intervalMs: number
  private timer: NodeJS.Timeout | undefined
  /** The check the timer started, awaited by stop(): closing the engine under a running query crashes it. */
  private running: Promise<void> | undefined
  private toldUnconfigured = false
  /** This collector, in its claims (each claim adds a name of its own). */
  private readonly id = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`

  constructor(
    private readonly deps: AlertWatcherDeps,
    private readonly options: AlertWatcherOptions = {},
  ) {
    this.settleMs = options.settleMs ?? 2_000
    this.intervalMs = options.intervalMs ?? 60_000
  }

  /** Checks every alert of every site once; resolves with the notifications delivered (mails and webhook posts). */
  async check(): Promise<number> {
    const deliveries = await this.round()
    return (await Promise.all(deliveries)).filter(Boolean).length
  }

  start(): void {
    this.timer = setInterval(() => {
      if (this.running) return
      // The timer does not wait for deliveries: a slow SMTP server must not delay the next check.
      this.running = this.round().then(
        () => {},
        (error: Error) => this.deps.log.error(`checking the alerts failed, will retry: ${describe(error)}`),
      ).finally(() => (this.running = undefined))
    }, this.intervalMs)
    this.timer.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.running
  }

  /** Evaluates, claims, and starts the notifications of the claims won: each resolves to whether it was delivered. */
  private async round(): Promise<Promise<boolean>[]> {
    const nowMs = this.deps.now()
    const [sites, alerts] = await Promise.all([readSites(this.deps.storage), readAlerts(this.deps.storage)])
    const zones = new Map(sites.map((s) => [s.site, s.timeZone]))
    const holding = await this.evaluate(alerts.filter((a) => zones.has(a.site)), zones, nowMs)
    if (holding.length === 0) return []

    // Already claimed this hour (by anyone): nothing to do until the next hour.
    const key = (alertId: string, hour: number) => `${alertId}@${hour}`
    const since = Math.min(...holding.map((f) => f.hour))
    const ids = holding.map((f) => f.alert.id)
    const claimed = new Set((await readClaims(this.deps.storage, ids, since)).map((c) => key(c.alertId, c.hour)))
    const due = holding.filter((f) => !claimed.has(key(f.alert.id, f.hour)))
    if (due.length === 0) return []

    const mine = new Map(due.map((f) => [key(f.alert.id, f.hour), `${this.id}:${randomBytes(4).toString('hex')}`]))
    await writeClaims(this.deps.storage, due.map((f) => ({ site: f.alert.site, alertId: f.alert.id, hour: f.hour, firedBy: mine.get(key(f.alert.id, f.hour))!, firedAt: nowMs })))
    await new Promise((resolve) => setTimeout(resolve, this.settleMs))
    const first = new Map<string, Claim>()
    for (const claim of await readClaims(this.deps.storage, ids, since)) {
      const k = key(claim.alertId, claim.hour)
      const best = first.get(k)
      if (!best || claim.firedAt < best.firedAt || (claim.firedAt === best.firedAt && claim.firedBy < best.firedBy)) first.set(k, claim)
    }
    const won = due.filter((f) => first.get(key(f.alert.id, f.hour))?.firedBy === mine.get(key(f.alert.id, f.hour)))
    return won.flatMap((f) => this.notify(f, nowMs))
  }

  /** The alerts that hold now, each site's numbers read once. */
  private async evaluate(alerts: Alert[], zones: Map<string, string>, nowMs: number): Promise<Firing[]> {
    const bySite = new Map<string, Alert[]>()
    for (const alert of alerts) bySite.set(alert.site, [...(bySite.get(alert.site) ?? []), alert])
    const found = await Promise.allSettled(
      [...bySite].map(async ([site, siteAlerts]): Promise<Firing[]> => {
        const timeZone = zones.get(site)!
        const hour = localHourStart(timeZone, nowMs)
        const current = siteAlerts.some((a) => a.kind === 'visitors_above') ? await realtime(this.deps.storage, site, nowMs) : 0
        const thisHour = siteAlerts.some((a) => a.kind === 'change') ? await hourAgainstWeeks(this.deps.storage, site, timeZone, hour, nowMs) : undefined
        return siteAlerts.flatMap((alert): Firing[] => {
          if (alert.kind === 'visitors_above') return current >= alert.threshold ? [{ alert, timeZone, hour, value: current }] : []
          const { current: value, baseline } = thisHour!
          if (baseline === undefined || baseline < MIN_BASELINE) return []
          const change = (value - baseline) / baseline
          const enough = alert.threshold / 100
          const holds = (alert.direction !== 'fall' && change >= enough) || (alert.direction !== 'rise' && -change >= enough)
          return holds ? [{ alert, timeZone, hour, value, baseline, change }] : []
        })
      }),
    )
    for (const r of found) if (r.status === 'rejected') this.deps.log.error(`checking a site’s alerts failed, will retry: ${describe(r.reason as Error)}`)
    return found.flatMap((r) => (r.status === 'fulfilled' ? r.value : []))
  }

  /** A mail to each recipient and the webhook's POST, started now; each resolves to whether it was delivered. */
  private notify(f: Firing, nowMs: number): Promise<boolean>[] {
    const { alert } = f
    const language = negotiate(alert.language)
    const say = translator(language)
    const url = `${this.deps.publicUrl}/?site=${encodeURIComponent(alert.site)}`
    const direction = (f.change ?? 0) < 0 ? 'fall' : 'rise'
    const values = {
      site: alert.site,
      name: alert.name,
      kind: alert.kind,
      value: f.value,
      // Visitors for visitors_above; for a change, a fraction, which the messages write as a percentage.
      threshold: alert.kind === 'change' ? alert.threshold / 100 : alert.threshold,
      direction,
      change: Math.abs(f.change ?? 0),
      baseline: Math.round((f.baseline ?? 0) * 10) / 10,
      since: new Intl.DateTimeFormat(language, { timeZone: f.timeZone, hour: '2-digit', minute: '2-digit', timeZoneName: 'short' }).format(f.hour),
      url,
    }
    const sent: Promise<boolean>[] = []
    if (alert.recipients.length > 0 && !this.deps.mailer.configured) {
      if (!this.toldUnconfigured) this.deps.log.error('mail is not configured (CAIRN_SMTP_URL): alerts go to their webhooks only, not to their recipients')
      this.toldUnconfigured = true
    } else if (alert.recipients.length > 0) {
      const mail = renderMail({
        language,
        heading: say('mail.alert.heading', values),
        paragraphs: [say(alert.kind === 'change' ? 'mail.alert.change' : 'mail.alert.visitorsAbove', values)],
        action: { label: say('mail.alert.action'), url },
        footer: [say('mail.alert.footer', values)],
      })
      const subject = say('mail.alert.subject', values)
      for (const to of alert.recipients) {
        // The mailer logs its own failures (without the address).
        sent.push(this.deps.mailer.send({ kind: 'alert', to, subject, ...mail, headers: { 'Auto-Submitted': 'auto-generated' } }).then(() => true, () => false))
      }
    }
    if (alert.webhook) {
      const payload = {
        text: say('mail.alert.webhook', values),
        site: alert.site,
        alert: { id: alert.id, name: alert.name, kind: alert.kind, ...(alert.kind === 'change' && { direction: alert.direction }) },
        value: f.value,
        threshold: alert.threshold,
        ...(f.baseline !== undefined && { baseline: f.baseline, change_percent: Math.round(f.change! * 1000) / 10 }),
        hour: new Date(f.hour).toISOString(),
        at: new Date(nowMs).toISOString(),
        url,
      }
      sent.push(postWebhook(alert.webhook, payload, this.deps.log, 'alert', this.options.webhook))
    }
    return sent
  }
}

/** An error for the log: ClickHouse quotes the query in its messages, so its code and type only. */
function describe(error: Error): string {
  const { code, type } = error as { code?: unknown; type?: unknown }
  return typeof code === 'string' && /^\d+$/.test(code) ? `ClickHouse error ${code}${typeof type === 'string' ? ` (${type})` : ''}` : error.message
}
