/**
 * A site's report for one period, as a mail (docs/admin-api.md, "Reports"): the top cards with their
 * change against the period before, visitors per day as a small PNG, the top sources and pages, and the
 * goals with their conversion rates. The numbers are the stats API's own (stats.ts, conversions.ts), for
 * the same local days; every sentence is the catalogues', in the recipient's language.
 */
import type { Storage } from '../../../sql/client.ts'
import { readGoals } from '../../../sql/goals.ts'
import type { Language } from '../../i18n/languages.ts'
import { translator } from '../../i18n/translate.ts'
import { conversions } from '../conversions.ts'
import { addDays, localDate, previousRange, resolveRange, type DateRange } from '../range.ts'
import { aggregate, breakdown, timeseries, type Aggregate, type StatsQuery } from '../stats.ts'
import { barChart } from './chart.ts'
import type { Mail } from './mailer.ts'
import { escapeHtml, renderMail } from './template.ts'

export const FREQUENCIES = ['weekly', 'monthly'] as const
export type Frequency = (typeof FREQUENCIES)[number]

/** The local hour from which a period's report is due (Monday or the 1st, in the site's time zone). */
export const SEND_HOUR = 7

/**
 * The last complete period at `nowMs` in `timeZone` (Monday to Sunday; the calendar month), and whether
 * its report is due: from SEND_HOUR on the first day after it.
 */
export function lastPeriod(frequency: Frequency, nowMs: number, timeZone: string): { range: DateRange; due: boolean } {
  const today = localDate(nowMs, timeZone)
  const hour = Number(new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' }).format(nowMs))
  let range: DateRange
  if (frequency === 'weekly') {
    // getUTCDay of the local date at noon UTC: 0 is Sunday.
    const weekday = (new Date(`${today}T12:00:00Z`).getUTCDay() + 6) % 7
    const monday = addDays(today, -weekday)
    range = resolveRange('custom', today, { from: addDays(monday, -7), to: addDays(monday, -1) })
  } else {
    range = resolveRange('last_month', today)
  }
  const firstDayAfter = addDays(range.to, 1)
  return { range, due: today > firstDayAfter || hour >= SEND_HOUR }
}

const CARDS = ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration'] as const satisfies readonly (keyof Aggregate)[]

export interface ReportLinks {
  dashboard: string
  unsubscribe: string | undefined
}

export async function buildReport(
  storage: Storage,
  site: { site: string; timeZone: string },
  frequency: Frequency,
  language: Language,
  range: DateRange,
  to: string,
  links: ReportLinks,
): Promise<Omit<Mail, 'kind'> & { numbers: Aggregate }> {
  const say = translator(language)
  const q: StatsQuery = { site: site.site, timeZone: site.timeZone, range, filters: {} }
  const before: StatsQuery = { ...q, range: previousRange(range) }
  const top = { sort: { metric: 'visitors', direction: 'desc' as const }, limit: 5, offset: 0 }
  const [now, then, points, sources, pages, goals] = await Promise.all([
    aggregate(storage, q),
    aggregate(storage, before),
    timeseries(storage, q),
    breakdown(storage, q, 'source', top),
    breakdown(storage, q, 'page', top),
    readGoals(storage, site.site).then((list) => (list.length ? conversions(storage, q, list) : { visitors: 0, goals: [] })),
  ])

  const count = new Intl.NumberFormat(language)
  const percent = (n: number, digits = 0) => new Intl.NumberFormat(language, { style: 'percent', maximumFractionDigits: digits }).format(n / 100)
  const duration = (s: number) =>
    [Math.floor(s / 60) && new Intl.NumberFormat(language, { style: 'unit', unit: 'minute', unitDisplay: 'short' }).format(Math.floor(s / 60)), new Intl.NumberFormat(language, { style: 'unit', unit: 'second', unitDisplay: 'short' }).format(s % 60)]
      .filter(Boolean)
      .join(' ')
  const day = (d: string, options: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat(language, { ...options, timeZone: 'UTC' }).format(new Date(`${d}T12:00:00Z`))
  const shown = (key: (typeof CARDS)[number], n: number) => (key === 'bounce_rate' ? percent(n) : key === 'visit_duration' ? duration(n) : count.format(n))
  const subject = say('mail.report.subject', {
    frequency,
    site: site.site,
    from: day(range.from, { day: 'numeric', month: 'short' }),
    to: day(range.to, { day: 'numeric', month: 'short', year: 'numeric' }),
    month: day(range.from, { month: 'long', year: 'numeric' }),
  })

  const cards = CARDS.map((key) => {
    const change = then[key] ? Math.round(((now[key] - then[key]) / then[key]) * 100) : undefined
    return {
      label: say(`ui.card.${key}`),
      value: shown(key, now[key]),
      change: change === undefined ? '' : say('ui.card.change', { direction: change > 0 ? 'up' : change < 0 ? 'down' : 'same', change: percent(Math.abs(change)) }),
    }
  })
  const tables = [
    { heading: say('mail.report.sources'), columns: [say('dimension.source.label'), say('metric.visitors')], rows: sources.map((r) => [r.value || say('value.direct'), count.format(r.visitors!)]) },
    { heading: say('mail.report.pages'), columns: [say('dimension.page.label'), say('metric.visitors')], rows: pages.map((r) => [r.value, count.format(r.visitors!)]) },
    ...(goals.goals.length
      ? [{ heading: say('mail.report.goals'), columns: [say('mail.report.goal'), say('ui.card.conversions'), say('metric.conversion_rate')], rows: goals.goals.map((g) => [g.name, count.format(g.visitors), percent(g.conversion_rate, 1)]) }]
      : []),
  ]

  const cell = 'padding:6px 8px;border-bottom:1px solid #e3e7ec;text-align:left'
  const number = 'padding:6px 8px;border-bottom:1px solid #e3e7ec;text-align:right;white-space:nowrap'
  const graphAlt = say('mail.report.graphAlt', { from: day(range.from, { day: 'numeric', month: 'short' }), to: day(range.to, { day: 'numeric', month: 'short' }) })
  const html = `
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" style="margin:0 0 16px">${chunk(cards, 2)
    .map((pair) => `<tr>${pair.map((c) => `<td style="padding:8px;border:1px solid #e3e7ec;border-radius:8px;width:50%;vertical-align:top"><div style="font-size:12px;color:#66727f;text-transform:uppercase">${escapeHtml(c.label)}</div><div style="font-size:22px;font-weight:700">${escapeHtml(c.value)}</div><div style="font-size:12px;color:#66727f">${escapeHtml(c.change)}</div></td>`).join('')}</tr>`)
    .join('')}</table>
<p style="margin:0 0 16px"><img src="cid:visitors-chart" width="560" height="140" alt="${escapeHtml(graphAlt)}" style="max-width:100%;height:auto;display:block"></p>
${tables
  .map(
    (t) => `<h2 style="font-size:16px;margin:20px 0 8px">${escapeHtml(t.heading)}</h2>
${t.rows.length ? `<table width="100%" cellpadding="0" cellspacing="0" style="border-collapse:collapse;font-size:14px"><thead><tr>${t.columns.map((c, i) => `<th style="${i ? number : cell};color:#66727f;font-weight:500">${escapeHtml(c)}</th>`).join('')}</tr></thead><tbody>${t.rows.map((r) => `<tr>${r.map((v, i) => `<td style="${i ? number : cell}">${escapeHtml(v)}</td>`).join('')}</tr>`).join('')}</tbody></table>` : `<p style="margin:0;color:#66727f">${escapeHtml(say('mail.report.none'))}</p>`}`,
  )
  .join('\n')}`
  const text = [
    ...cards.map((c) => `${c.label}: ${c.value}${c.change ? ` (${c.change})` : ''}`),
    ...tables.flatMap((t) => ['', t.heading, ...(t.rows.length ? t.rows.map((r) => `- ${r.join(' · ')}`) : [say('mail.report.none')])]),
  ].join('\n')
  const rendered = renderMail({
    language,
    heading: subject,
    paragraphs: [say('mail.report.intro', { frequency })],
    extra: { html, text },
    action: { label: say('mail.report.open'), url: links.dashboard },
    footer: [say('mail.report.why', { frequency, site: site.site, email: to })],
    ...(links.unsubscribe && { footerLink: { label: say('mail.report.unsubscribe'), url: links.unsubscribe } }),
  })
  return {
    to,
    subject,
    ...rendered,
    attachments: [{ filename: 'visitors.png', content: barChart(points.map((p) => p.visitors)), cid: 'visitors-chart', contentType: 'image/png' }],
    // One-click unsubscribe (RFC 8058): mail clients offer it beside the sender.
    ...(links.unsubscribe && { headers: { 'List-Unsubscribe': `<${links.unsubscribe}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } }),
    numbers: now,
  }
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}
