/**
 * Traffic alerts (docs/admin-api.md, "Alerts"): a site's admins list, define, change and remove them; the
 * watcher (mail/alerts.ts) checks and sends them. Only admins, even to read: an alert holds people's
 * addresses and a webhook whose address is a secret.
 */
import { Hono } from 'hono'
import type { Storage } from '../../../sql/client.ts'
import { ALERT_DIRECTIONS, ALERT_KINDS, deleteAlert, lastFired, newAlertId, readAlerts, saveAlert, type Alert, type AlertDirection, type AlertKind } from '../../../sql/alerts.ts'
import type { SiteList } from '../../../sql/sites.ts'
import { authorize, type Principal } from '../auth/access.ts'
import { LANGUAGES } from '../../i18n/languages.ts'
import { anyOf } from '../../i18n/translate.ts'
import { HttpError, invalid, notFound, requestLanguage, type Said } from '../http-error.ts'
import { jsonBody } from '../params.ts'
import { MAX_WEBHOOK_LENGTH, isWebhookUrl } from '../mail/webhook.ts'

export interface AlertsRouteOptions {
  storage: Storage
  sites: SiteList
  now: () => number
  /** Whether SMTP is configured: without it, an alert's mails are not sent (its webhook is). */
  mailConfigured: boolean
}

type Env = { Variables: { principal: Principal | undefined } }

const MAX_ALERTS = 50
const MAX_RECIPIENTS = 20
/** Visitors for visitors_above; percent for change (a fall cannot pass 100 %). */
const THRESHOLDS: Record<AlertKind, { min: number; max: number }> = { visitors_above: { min: 1, max: 1_000_000 }, change: { min: 1, max: 1_000 } }
const FALL_MAX = 100

/** An alert as the API shows it. */
const alertJson = (a: Alert, fired: Map<string, number>) => ({
  id: a.id,
  name: a.name,
  kind: a.kind,
  threshold: a.threshold,
  ...(a.kind === 'change' && { direction: a.direction }),
  recipients: a.recipients,
  webhook: a.webhook,
  language: a.language,
  created_at: `${a.createdAt.replace(' ', 'T')}Z`,
  last_fired_at: fired.has(a.id) ? new Date(fired.get(a.id)!).toISOString() : null,
})

/** An alert from a body, over `base` when changing one; every field at fault named at once. */
function alertFields(input: Record<string, unknown>, base: Alert): Alert {
  const errors: Record<string, Said> = {}
  const given = (name: string, fallback: unknown): unknown => (name in input ? input[name] : fallback)

  const name = given('name', base.name)
  if (typeof name !== 'string' || name.trim() === '' || name.length > 100) errors.name = ['api.field.name', { max: 100 }]
  const kind = given('kind', base.kind) as AlertKind
  if (!ALERT_KINDS.includes(kind)) errors.kind = ['api.field.oneOf', { choices: anyOf(ALERT_KINDS) }]
  // A change alert rises, falls or either (by default); a visitors_above alert has no direction.
  const direction = (kind === 'change' ? given('direction', base.direction || 'either') : '') as AlertDirection | ''
  if (kind === 'change' && !ALERT_DIRECTIONS.includes(direction as AlertDirection)) errors.direction = ['api.field.oneOf', { choices: anyOf(ALERT_DIRECTIONS) }]
  const threshold = given('threshold', base.kind === kind ? base.threshold : undefined)
  const bounds = kind === 'change' && direction === 'fall' ? { min: 1, max: FALL_MAX } : THRESHOLDS[kind]
  if (bounds && (!Number.isInteger(threshold) || (threshold as number) < bounds.min || (threshold as number) > bounds.max)) errors.threshold = ['api.field.integer', bounds]

  const list = given('recipients', base.recipients)
  let recipients: string[] = []
  if (!Array.isArray(list) || list.length > MAX_RECIPIENTS || !list.every((r) => typeof r === 'string')) errors.recipients = ['api.field.recipients', { max: MAX_RECIPIENTS }]
  else {
    recipients = [...new Set(list.map((r: string) => r.trim().toLowerCase()))]
    const wrong = recipients.find((r) => !/^[^\s@]+@[^\s@]+$/.test(r))
    if (wrong !== undefined) errors.recipients = ['api.field.email', { email: wrong }]
  }
  const webhook = given('webhook', base.webhook)
  if (typeof webhook !== 'string' || (webhook.trim() !== '' && !isWebhookUrl(webhook.trim()))) errors.webhook = ['api.field.webhook', { max: MAX_WEBHOOK_LENGTH }]
  else if (!errors.recipients && recipients.length === 0 && webhook.trim() === '') errors.recipients = ['api.field.alertTarget']
  const language = given('language', base.language)
  if (!(LANGUAGES as readonly unknown[]).includes(language)) errors.language = ['api.field.oneOf', { choices: anyOf(LANGUAGES) }]

  if (Object.keys(errors).length > 0) throw invalid(errors)
  return { ...base, name: (name as string).trim(), kind, threshold: threshold as number, direction, recipients, webhook: (webhook as string).trim(), language: language as string }
}

export function alertsRoute({ storage, sites, now, mailConfigured }: AlertsRouteOptions): Hono<Env> {
  const app = new Hono<Env>()
  const guard = (c: { get(key: 'principal'): Principal | undefined }, site: string) => authorize(c.get('principal'), site, 'admin', (s) => sites.has(s))
  const find = async (site: string, id: string) => {
    const alert = (await readAlerts(storage, site)).find((a) => a.id === id)
    if (!alert) throw notFound(['api.notFound.alert', { id, site }])
    return alert
  }

  app.get('/api/sites/:site/alerts', async (c) => {
    const site = c.req.param('site')
    guard(c, site)
    const [alerts, fired] = await Promise.all([readAlerts(storage, site), lastFired(storage, site)])
    return c.json({ alerts: alerts.map((a) => alertJson(a, fired)), mail: mailConfigured })
  })

  /** Mails and the webhook's text are in `language`: by default, the one of whoever defines the alert. */
  app.post('/api/sites/:site/alerts', async (c) => {
    const site = c.req.param('site')
    guard(c, site)
    if ((await readAlerts(storage, site)).length >= MAX_ALERTS) throw new HttpError(409, ['api.conflict.alerts', { max: MAX_ALERTS }])
    const blank: Alert = {
      site,
      id: newAlertId(),
      name: '',
      kind: '' as AlertKind,
      threshold: 0,
      direction: '',
      recipients: [],
      webhook: '',
      language: requestLanguage(c),
      createdAt: new Date(now()).toISOString().slice(0, 19).replace('T', ' '),
    }
    const alert = alertFields(await jsonBody(c), blank)
    await saveAlert(storage, alert)
    return c.json(alertJson(alert, new Map()), 201)
  })

  app.patch('/api/sites/:site/alerts/:id', async (c) => {
    const site = c.req.param('site')
    guard(c, site)
    const alert = alertFields(await jsonBody(c), await find(site, c.req.param('id')))
    await saveAlert(storage, alert)
    return c.json(alertJson(alert, await lastFired(storage, site)))
  })

  app.delete('/api/sites/:site/alerts/:id', async (c) => {
    const site = c.req.param('site')
    guard(c, site)
    await deleteAlert(storage, await find(site, c.req.param('id')))
    return c.body(null, 204)
  })

  return app
}
