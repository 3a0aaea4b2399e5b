/**
 * A three-step funnel (pricing page → Signup event → thank-you page) over visitors who follow it, skip a
 * step, reorder, repeat, split it over two visits, and cross midnight in the site's time zone: the stats
 * API's counts, rates, drop-offs, median times and breakdown equal a recomputation in JavaScript from the
 * raw rows, within one visit (the default) and within the range.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Clock, MINUTE, TestServer, uniqueSite } from './helpers/server.ts'

const SITE = uniqueSite('funnel')
// A zone without summer time, so its midnight is the same instant every day: 18:30 UTC.
const ZONE = 'Asia/Kolkata'
// Yesterday (the cookieless salts are real: the clock stays within their 48 hours), from 10:00 there.
const DAY = 86_400_000
const DAY0 = new Date(Date.now() - DAY).toISOString().slice(0, 10)
const DAY1 = new Date(Date.now()).toISOString().slice(0, 10)
const DAY2 = new Date(Date.now() + DAY).toISOString().slice(0, 10)
const START = Date.parse(`${DAY0}T04:30:00Z`)
const clock = new Clock(START)
let server: TestServer
let key: Record<string, string>
let steps: string[] = []

type Step = 'A' | 'B' | 'C' | 'other'
/** Each visitor: its actions with the minutes waited before each (≥ 30 minutes starts another visit). */
const VISITORS: { source?: string; actions: [number, Step][] }[] = [
  { source: 'newsletter', actions: [[0, 'A'], [2, 'B'], [3, 'C']] }, // the whole funnel
  { actions: [[0, 'A'], [5, 'C']] }, // skips the signup
  { source: 'newsletter', actions: [[0, 'B'], [1, 'A'], [1, 'C']] }, // signs up before seeing the price
  { actions: [[0, 'A'], [1, 'A'], [4, 'B'], [1, 'B'], [2, 'C']] }, // repeats steps
  { source: 'ads', actions: [[0, 'A'], [45, 'B'], [1, 'C']] }, // the rest in a second visit
  { actions: [[0, 'B'], [1, 'C']] }, // never saw the price
  { source: 'ads', actions: [[0, 'A'], [3, 'B'], [50, 'C']] }, // thanked in a second visit
  { actions: [[0, 'other'], [1, 'A'], [10, 'B']] },
]
// Crosses midnight there: 23:50 → 00:04 → 00:10.
const MIDNIGHT = { at: Date.parse(`${DAY0}T18:20:00Z`), actions: [[0, 'A'], [14, 'B'], [6, 'C']] as [number, Step][] }

interface Raw {
  visitor_id: string
  session_id: string
  name: string
  pathname: string
  ms: string
  referrer_source: string
}

const isStep: Record<Exclude<Step, 'other'>, (r: Raw) => boolean> = {
  A: (r) => r.name === 'pageview' && r.pathname === '/pricing',
  B: (r) => r.name === 'Signup',
  C: (r) => r.name === 'pageview' && r.pathname === '/thank-you',
}

/** The funnel recomputed: per unit the earliest chain, per visitor its furthest unit. */
function recompute(raw: Raw[], within: 'visit' | 'range') {
  const units = new Map<string, Raw[]>()
  for (const r of raw) {
    const id = within === 'visit' ? `${r.visitor_id}/${r.session_id}` : r.visitor_id
    units.set(id, [...(units.get(id) ?? []), r])
  }
  const best = new Map<string, { level: number; times: number[]; source: string }>()
  for (const events of units.values()) {
    const times: number[] = []
    for (const step of ['A', 'B', 'C'] as const) {
      const after = times.length ? times[times.length - 1]! : -Infinity
      const t = events.filter((r) => isStep[step](r) && Number(r.ms) > after).map((r) => Number(r.ms))
      if (times.length < ['A', 'B', 'C'].indexOf(step) || t.length === 0) break
      times.push(Math.min(...t))
    }
    const visitor = events[0]!.visitor_id
    const previous = best.get(visitor)
    if (times.length > 0 && (!previous || times.length > previous.level || (times.length === previous.level && times[0]! < previous.times[0]!))) {
      best.set(visitor, { level: times.length, times, source: events[0]!.referrer_source })
    }
  }
  const stepsOf = (visitors: { level: number; times: number[] }[]) =>
    [0, 1, 2].map((i) => {
      const reached = visitors.filter((v) => v.level > i)
      const previous = i === 0 ? reached.length : visitors.filter((v) => v.level > i - 1).length
      const gaps = reached.map((v) => (v.times[i]! - v.times[i - 1]!) / 1000).sort((a, b) => a - b)
      const median = i === 0 || gaps.length === 0 ? null : Math.round(gaps.length % 2 ? gaps[(gaps.length - 1) / 2]! : (gaps[gaps.length / 2 - 1]! + gaps[gaps.length / 2]!) / 2)
      const first = visitors.filter((v) => v.level > 0).length
      const pct = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 1000) / 10)
      return { visitors: reached.length, conversion_rate_step: i === 0 ? 100 : pct(reached.length, previous), conversion_rate: pct(reached.length, first), dropoff: previous - reached.length, median_seconds: median }
    })
  const all = [...best.values()]
  const sources = [...new Set(all.map((v) => v.source))]
  return { steps: stepsOf(all), bySource: Object.fromEntries(sources.map((s) => [s, stepsOf(all.filter((v) => v.source === s))])) }
}

async function act(visitor: number, step: Step, source?: string) {
  const headers = { 'x-forwarded-for': `10.2.${visitor}.9` }
  const url = (path: string) => `https://${SITE}${path}${source ? `?utm_source=${source}` : ''}`
  const body = step === 'B' ? { n: 'Signup', u: url('/signup') } : { n: 'pageview', u: url(step === 'A' ? '/pricing' : step === 'C' ? '/thank-you' : '/blog') }
  expect((await server.post({ d: SITE, ...body }, headers)).status).toBe(202)
}

beforeAll(async () => {
  server = await TestServer.start({ sites: [`${SITE}=${ZONE}`], clock, env: { TRUST_PROXY: 'true' } })
  const access = server.server.collector.access
  const { addUser } = await import('../dashboard/server/auth/users.ts')
  await addUser(access, 'owner@funnel.test', 'a long password', 'admin', SITE)
  key = { authorization: `Bearer ${await access.createApiKey('owner@funnel.test', 'test')}` }
  for (const goal of [{ kind: 'page', pattern: '/pricing' }, { kind: 'event', event_name: 'Signup' }, { kind: 'page', pattern: '/thank-you' }]) {
    const response = await fetch(`${server.url}/api/sites/${SITE}/goals`, { method: 'POST', headers: { ...key, 'content-type': 'application/json' }, body: JSON.stringify(goal) })
    steps.push(((await response.json()) as { id: string }).id)
  }
  for (const [v, visitor] of VISITORS.entries()) {
    clock.ms = START + v * 90 * MINUTE
    for (const [wait, step] of visitor.actions) {
      clock.advance(wait * MINUTE)
      // A visit's source comes from its first page: only the first action of each visit carries it.
      await act(v, step, visitor.source && (wait === 0 || wait >= 30) ? visitor.source : undefined)
    }
  }
  clock.ms = MIDNIGHT.at
  for (const [wait, step] of MIDNIGHT.actions) {
    clock.advance(wait * MINUTE)
    await act(99, step)
  }
  await server.flush()
})
afterAll(() => server?.stop())

const raw = (to: string) =>
  server.rows<Raw>(
    `SELECT toString(visitor_id) AS visitor_id, toString(session_id) AS session_id, name, pathname, toString(toUnixTimestamp64Milli(timestamp)) AS ms, referrer_source
     FROM cairn.events WHERE site = {site:String} AND timestamp < toDateTime64({to:String}, 3, {tz:String})`,
    { site: SITE, to: `${to} 00:00:00`, tz: ZONE },
  )

const get = async (query: string) => {
  const response = await fetch(`${server.url}/api/stats/${SITE}/funnel?steps=${steps.join(',')}&${query}`, { headers: key })
  expect(response.status, query).toBe(200)
  return (await response.json()) as { steps: Record<string, unknown>[]; breakdown?: { value: string; steps: Record<string, unknown>[] }[] }
}
const numbers = (s: Record<string, unknown>[]) => s.map(({ visitors, conversion_rate_step, conversion_rate, dropoff, median_seconds }) => ({ visitors, conversion_rate_step, conversion_rate, dropoff, median_seconds }))

describe('a funnel', () => {
  it('counts within one visit by default, as a recomputation from the raw events does', async () => {
    const got = await get(`period=custom&from=${DAY0}&to=${DAY1}`)
    const expected = recompute(await raw(DAY2), 'visit')
    expect(numbers(got.steps)).toEqual(expected.steps)
    // The scripted visitors: 1, 4 and the one across midnight go through; 2, 3 and 5 stop at the price, 7 and 8 at the signup.
    expect(expected.steps.map((s) => s.visitors)).toEqual([8, 5, 3])
  })

  it('counts within the range when asked: a funnel spread over two visits goes through', async () => {
    const got = await get(`period=custom&from=${DAY0}&to=${DAY1}&within=range`)
    const expected = recompute(await raw(DAY2), 'range')
    expect(numbers(got.steps)).toEqual(expected.steps)
    // Across visits, 5 reaches the signup and the thank-you page, 7 the thank-you page.
    expect(expected.steps.map((s) => s.visitors)).toEqual([8, 6, 5])
  })

  it('stops at the site’s midnight: on the first day alone, the late visitor only saw the price', async () => {
    const got = await get(`period=custom&from=${DAY0}&to=${DAY0}`)
    const expected = recompute(await raw(DAY1), 'visit')
    expect(numbers(got.steps)).toEqual(expected.steps)
    expect(expected.steps.map((s) => s.visitors)).toEqual([8, 4, 2])
  })

  it('breaks down by source, each row as the recomputation for that source', async () => {
    const got = await get(`period=custom&from=${DAY0}&to=${DAY1}&by=source`)
    const expected = recompute(await raw(DAY2), 'visit')
    expect(got.breakdown!.length).toBe(Object.keys(expected.bySource).length)
    for (const row of got.breakdown!) expect(numbers(row.steps), row.value).toEqual(expected.bySource[row.value])
  })

  it('is saved by a site’s admin and counted by its id as by its steps', async () => {
    const json = { ...key, 'content-type': 'application/json' }
    const saved = await fetch(`${server.url}/api/sites/${SITE}/funnels`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'Price to thanks', steps, within: 'range' }) })
    expect(saved.status).toBe(201)
    const { id } = (await saved.json()) as { id: string }
    const bad = await fetch(`${server.url}/api/sites/${SITE}/funnels`, { method: 'POST', headers: json, body: JSON.stringify({ name: '', steps: [steps[0]] }) })
    expect(Object.keys(((await bad.json()) as { errors: object }).errors).sort()).toEqual(['name', 'steps'])
    const byId = await fetch(`${server.url}/api/stats/${SITE}/funnel?funnel=${id}&period=custom&from=${DAY0}&to=${DAY1}`, { headers: key })
    const bySteps = await get(`period=custom&from=${DAY0}&to=${DAY1}&within=range`)
    expect(((await byId.json()) as { steps: unknown }).steps).toEqual(bySteps.steps)
    expect(((await (await fetch(`${server.url}/api/sites/${SITE}/funnels`, { headers: key })).json()) as { funnels: { name: string }[] }).funnels.map((f) => f.name)).toEqual(['Price to thanks'])
    expect((await fetch(`${server.url}/api/sites/${SITE}/funnels/${id}`, { method: 'DELETE', headers: key })).status).toBe(204)
  })

  it('refuses steps that are not 2 to 8 of the site’s goals, naming the parameter', async () => {
    const response = await fetch(`${server.url}/api/stats/${SITE}/funnel?steps=${steps[0]}&period=7d&within=forever`, { headers: key })
    expect(response.status).toBe(400)
    expect(Object.keys(((await response.json()) as { errors: object }).errors).sort()).toEqual(['steps', 'within'])
  })
})
