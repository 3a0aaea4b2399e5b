/**
 * Scheduled reports (docs/admin-api.md, "Reports"): a site's admins choose who gets its weekly or monthly
 * report, preview it and send it now; anyone holding a report's unsubscribe link stops that report, without
 * logging in (the page asks to confirm; mail clients' one-click unsubscribe, RFC 8058, posts directly).
 * The unsubscribe pages are outside /api/: a mail client posts a form from no page of Cairn's.
 */
import { Hono, type Context } from 'hono'
import type { SiteList } from '../../../sql/sites.ts'
import { authorize, type Principal } from '../auth/access.ts'
import { checkEmail } from '../auth/users.ts'
import { LANGUAGES, negotiate, type Language } from '../../i18n/languages.ts'
import { anyOf, translator } from '../../i18n/translate.ts'
import { HttpError, invalid, notFound, requestLanguage } from '../http-error.ts'
import { jsonBody as body } from '../params.ts'
import type { Mailer } from '../mail/mailer.ts'
import { FREQUENCIES, type Frequency } from '../mail/report.ts'
import type { Reports } from '../mail/reports.ts'
import { escapeHtml } from '../mail/template.ts'

export interface ReportsRouteOptions {
  reports: Reports
  mailer: Mailer
  sites: SiteList
}

type Env = { Variables: { principal: Principal | undefined } }

export function reportsRoute({ reports, mailer, sites }: ReportsRouteOptions): Hono<Env> {
  const app = new Hono<Env>()
  const admin = (c: Context<Env>, site: string) => authorize(c.get('principal'), site, 'admin', (s) => sites.has(s))
  const frequencyOf = (value: unknown): Frequency => {
    if (!FREQUENCIES.includes(value as Frequency)) throw invalid({ frequency: ['api.field.oneOf', { choices: anyOf(FREQUENCIES) }] })
    return value as Frequency
  }
  const languageOf = (value: unknown, c: Context): Language => {
    if (value === undefined || value === null || value === '') return requestLanguage(c)
    if (!LANGUAGES.includes(value as Language)) throw invalid({ language: ['api.field.oneOf', { choices: anyOf(LANGUAGES) }] })
    return value as Language
  }
  const emailOf = (value: unknown) => {
    const email = typeof value === 'string' ? value.trim().toLowerCase() : ''
    checkEmail(email)
    return email
  }

  app.get('/api/sites/:site/reports', async (c) => {
    const site = c.req.param('site')
    admin(c, site)
    return c.json({ reports: (await reports.list(site)).map(({ email, frequency, language }) => ({ email, frequency, language })), mail: mailer.configured })
  })

  app.post('/api/sites/:site/reports', async (c) => {
    const site = c.req.param('site')
    admin(c, site)
    const input = await body(c)
    const email = emailOf(input.email)
    const frequency = frequencyOf(input.frequency)
    const { language } = await reports.subscribe(site, email, frequency, languageOf(input.language, c))
    return c.json({ email, frequency, language, mail: mailer.configured }, 201)
  })

  app.delete('/api/sites/:site/reports/:frequency/:email', async (c) => {
    const site = c.req.param('site')
    admin(c, site)
    const frequency = frequencyOf(c.req.param('frequency'))
    const email = c.req.param('email').toLowerCase()
    const found = (await reports.list(site)).find((s) => s.email === email && s.frequency === frequency)
    if (!found) throw notFound(['api.notFound.report', { email, frequency }])
    await reports.unsubscribe(found)
    return c.body(null, 204)
  })

  /** The last complete period's report as the mail's HTML, its graph inline: the settings show it in a frame. */
  app.get('/api/sites/:site/reports/preview', async (c) => {
    const site = c.req.param('site')
    const principal = admin(c, site)
    const frequency = frequencyOf(c.req.query('frequency') ?? 'weekly')
    const to = principal.kind === 'user' ? principal.email : 'preview@cairn.invalid'
    const mail = await reports.mail(site, to, frequency, languageOf(c.req.query('lang'), c), 'cairn_unsub_preview')
    const chart = mail.attachments![0]!
    const html = mail.html!.replace('cid:visitors-chart', `data:image/png;base64,${chart.content.toString('base64')}`)
    // Only what a frame of Cairn's own page may show: no script, no form, images inline.
    c.header('Content-Security-Policy', "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'self'")
    return c.html(html)
  })

  /** Sends the last complete period's report to one address now (not counted as the scheduled one). */
  app.post('/api/sites/:site/reports/send', async (c) => {
    const site = c.req.param('site')
    admin(c, site)
    const input = await body(c)
    const email = emailOf(input.email)
    const frequency = frequencyOf(input.frequency ?? 'weekly')
    if (!mailer.configured) throw new HttpError(409, ['api.conflict.noMail'])
    const subscribed = (await reports.list(site)).find((s) => s.email === email && s.frequency === frequency)
    const mail = await reports.mail(site, email, frequency, subscribed?.language ?? languageOf(input.language, c), subscribed?.unsubscribe_token ?? '')
    mailer.send({ kind: 'report', ...mail }).catch(() => {})
    return c.json({ email, frequency, from: mail.range.from, to: mail.range.to, mailed: true }, 202)
  })

  /** The unsubscribe link's page: which report it stops, and a button. */
  app.get('/reports/unsubscribe', async (c) => {
    const found = await reports.byToken(c.req.query('token') ?? '')
    const language = negotiate(found?.language ?? requestLanguage(c))
    const say = translator(language)
    if (!found) return page(c, language, say('mail.unsubscribe.title'), say('mail.unsubscribe.unknown'), 404)
    return page(c, language, say('mail.unsubscribe.title'), say('mail.unsubscribe.ask', { frequency: found.frequency, site: found.site, email: found.email }), 200, say('mail.unsubscribe.submit'))
  })

  /** The button, or a mail client's one-click unsubscribe (RFC 8058): the token is the only credential it needs. */
  app.post('/reports/unsubscribe', async (c) => {
    const found = await reports.byToken(c.req.query('token') ?? '')
    const language = negotiate(found?.language ?? requestLanguage(c))
    const say = translator(language)
    if (!found) return page(c, language, say('mail.unsubscribe.title'), say('mail.unsubscribe.unknown'), 404)
    await reports.unsubscribe(found)
    return page(c, language, say('mail.unsubscribe.title'), say('mail.unsubscribe.done', { frequency: found.frequency, site: found.site, email: found.email }), 200)
  })

  return app
}

/** A small page of its own, not the dashboard's: no script, so it works wherever a link from a mail opens. */
function page(c: Context, language: Language, title: string, text: string, status: 200 | 404, button?: string): Response {
  c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
  c.header('Referrer-Policy', 'no-referrer')
  c.header('Content-Language', language)
  return c.html(
    `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${escapeHtml(title)}</title></head>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:10vh auto;padding:0 1rem;color:#17202a">
<h1 style="font-size:1.3rem">${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>
${button ? `<form method="post"><button type="submit" style="font:inherit;padding:.5rem 1rem;border:0;border-radius:8px;background:#4f5bd5;color:#fff">${escapeHtml(button)}</button></form>` : ''}
</body></html>`,
    status,
  )
}
