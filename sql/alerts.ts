/**
 * Traffic alerts: what an alert is and its rows in `cairn.alerts`, and the claims in `cairn.alerts_fired`
 * by which one collector of several sends an alert, once an hour (the watcher,
 * dashboard/server/mail/alerts.ts, says how).
 */
import { randomBytes } from 'node:crypto'
import type { Storage } from './client.ts'
import { nextVersion } from './version.ts'

/** visitors_above: current visitors ≥ threshold; change: this hour against the previous weeks, ± threshold %. */
export const ALERT_KINDS = ['visitors_above', 'change'] as const
export type AlertKind = (typeof ALERT_KINDS)[number]
export const ALERT_DIRECTIONS = ['rise', 'fall', 'either'] as const
export type AlertDirection = (typeof ALERT_DIRECTIONS)[number]

export interface Alert {
  site: string
  id: string
  name: string
  kind: AlertKind
  /** Visitors (visitors_above) or percent (change). */
  threshold: number
  /** For a change alert; '' for visitors_above. */
  direction: AlertDirection | ''
  recipients: string[]
  /** '' for none. */
  webhook: string
  /** The language its mails and webhook text are in (a code of dashboard/i18n/languages.ts). */
  language: string
  /** 'YYYY-MM-DD hh:mm:ss' in UTC, written again with each version. */
  createdAt: string
}

export const newAlertId = () => `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`

interface Row {
  site: string
  id: string
  name: string
  kind: AlertKind
  threshold: number
  direction: AlertDirection | ''
  recipients: string[]
  webhook: string
  language: string
  created_at: string
}

/** The alerts of `site`, or of every site, oldest first. */
export async function readAlerts(storage: Storage, site?: string): Promise<Alert[]> {
  const result = await storage.query({
    query: `SELECT site, id, name, kind, threshold, direction, recipients, webhook, language, toString(created_at) AS created_at
            FROM cairn.alerts FINAL WHERE NOT deleted ${site === undefined ? '' : 'AND site = {site:String}'} ORDER BY site, created_at, id`,
    query_params: site === undefined ? {} : { site },
    format: 'JSONEachRow',
  })
  return (await result.json<Row>()).map((r) => ({ ...r, threshold: Number(r.threshold), createdAt: r.created_at }))
}

export async function saveAlert(storage: Storage, alert: Alert): Promise<void> {
  const { createdAt, ...rest } = alert
  await storage.insert({ table: 'cairn.alerts', values: [{ ...rest, created_at: createdAt, version: nextVersion() }], format: 'JSONEachRow' })
}

export async function deleteAlert(storage: Storage, alert: Alert): Promise<void> {
  const { createdAt, ...rest } = alert
  await storage.insert({ table: 'cairn.alerts', values: [{ ...rest, created_at: createdAt, deleted: true, version: nextVersion() }], format: 'JSONEachRow' })
}

/** A collector's claim to send an alert for an hour. */
export interface Claim {
  site: string
  alertId: string
  /** The start of the site's local hour, in ms. */
  hour: number
  firedBy: string
  /** In ms. */
  firedAt: number
}

const dateTime = (ms: number, digits: 0 | 3) => new Date(ms).toISOString().slice(0, digits ? 23 : 19).replace('T', ' ')

export async function writeClaims(storage: Storage, claims: Claim[]): Promise<void> {
  await storage.insert({
    table: 'cairn.alerts_fired',
    values: claims.map((c) => ({ site: c.site, alert_id: c.alertId, hour: dateTime(c.hour, 0), fired_by: c.firedBy, fired_at: dateTime(c.firedAt, 3) })),
    format: 'JSONEachRow',
  })
}

/** Every claim on these alerts for an hour starting at `sinceMs` or later. */
export async function readClaims(storage: Storage, alertIds: string[], sinceMs: number): Promise<Claim[]> {
  const result = await storage.query({
    query: `SELECT site, alert_id, toUnixTimestamp(hour) AS hour, fired_by, toUnixTimestamp64Milli(fired_at) AS fired_at
            FROM cairn.alerts_fired WHERE alert_id IN {ids:Array(String)} AND hour >= fromUnixTimestamp({since:Int64})`,
    query_params: { ids: alertIds, since: Math.floor(sinceMs / 1000) },
    format: 'JSONEachRow',
  })
  const rows = await result.json<{ site: string; alert_id: string; hour: string | number; fired_by: string; fired_at: string | number }>()
  return rows.map((r) => ({ site: r.site, alertId: r.alert_id, hour: Number(r.hour) * 1000, firedBy: r.fired_by, firedAt: Number(r.fired_at) }))
}

/** When each alert of `site` last went off (its latest hour's earliest claim), in ms. */
export async function lastFired(storage: Storage, site: string): Promise<Map<string, number>> {
  const result = await storage.query({
    query: `SELECT alert_id, toUnixTimestamp64Milli(argMax(first, hour)) AS at
            FROM (SELECT alert_id, hour, min(fired_at) AS first FROM cairn.alerts_fired WHERE site = {site:String} GROUP BY alert_id, hour)
            GROUP BY alert_id`,
    query_params: { site },
    format: 'JSONEachRow',
  })
  return new Map((await result.json<{ alert_id: string; at: string | number }>()).map((r) => [r.alert_id, Number(r.at)]))
}
