/** Sessions: 30 minutes of inactivity ends a visit; Plausible's entry, exit, bounce and duration; restarts. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Clock, MINUTE, TestServer, pageview, uniqueSite } from './helpers/server.ts'

const site = uniqueSite('sessions')
const clock = Clock.morning()
let server: TestServer

beforeAll(async () => {
  server = await TestServer.start({ sites: [site], clock, env: { TRUST_PROXY: 'true' } })
})
afterAll(() => server.stop())

interface SessionRow {
  session_id: string
  visitor_id: string
  pageviews: string
  events: string
  entry_page: string
  exit_page: string
  is_bounce: boolean
  duration: number
  referrer_source: string
  browser: string
  consent: boolean
}

async function sessionsOf(ip: string): Promise<SessionRow[]> {
  await server.flush()
  return server.rows<SessionRow>(
    `SELECT toString(session_id) AS session_id, toString(visitor_id) AS visitor_id, pageviews, events, entry_page, exit_page,
            is_bounce, duration, referrer_source, browser, consent
     FROM cairn.sessions
     WHERE site = {site:String} AND session_id IN (SELECT session_id FROM cairn.events WHERE site = {site:String} AND ip_truncated = toIPv6({ip:String}))
     ORDER BY start`,
    { site, ip },
  )
}

describe('sessions', () => {
  it('splits a scripted visit at 30 minutes of inactivity', async () => {
    const as = { 'x-forwarded-for': '100.64.1.20' }
    await server.post(pageview(site, '/landing', { r: 'https://www.google.com/search?q=cairn' }), as)
    clock.advance(10 * MINUTE)
    await server.post(pageview(site, '/pricing'), as)
    clock.advance(10 * MINUTE)
    await server.post(pageview(site, '/signup'), as)
    clock.advance(40 * MINUTE)
    await server.post(pageview(site, '/blog'), as)

    const sessions = await sessionsOf('::ffff:100.64.1.0')
    expect(sessions).toHaveLength(2)
    const [visit, second] = sessions as [SessionRow, SessionRow]
    expect(visit).toMatchObject({ pageviews: '3', events: '3', entry_page: '/landing', exit_page: '/signup', is_bounce: false, duration: 20 * 60, referrer_source: 'Google', browser: 'Chrome', consent: false })
    expect(second).toMatchObject({ pageviews: '1', entry_page: '/blog', exit_page: '/blog', is_bounce: true, duration: 0 })
    expect(second.session_id).not.toBe(visit.session_id)
    expect(second.visitor_id).toBe(visit.visitor_id)
  })

  it('stamps the source of a visit\'s first event on all its events', async () => {
    const as = { 'x-forwarded-for': '100.64.4.4' }
    await server.post(pageview(site, '/campaign?utm_source=newsletter&utm_campaign=may', { r: 'https://mail.google.com/' }), as)
    clock.advance(MINUTE)
    await server.post(pageview(site, '/next', { r: `https://${site}/campaign` }), as)
    await server.post({ n: 'Signup', u: `https://${site}/next?utm_source=other`, d: site }, as)
    await server.flush()
    const rows = await server.rows<{ referrer_source: string; utm_campaign: string; referrer: string }>(
      "SELECT referrer_source, utm_campaign, referrer FROM cairn.events WHERE site = {site:String} AND ip_truncated = toIPv6('::ffff:100.64.4.0') ORDER BY timestamp",
      { site },
    )
    expect(rows).toEqual(Array(3).fill({ referrer_source: 'Newsletter', utm_campaign: 'may', referrer: 'mail.google.com' }))
  })

  it('counts engagement in the duration but not as an event, and a download is no bounce', async () => {
    const as = { 'x-forwarded-for': '100.64.2.30' }
    await server.post(pageview(site, '/doc'), as)
    clock.advance(45_000)
    await server.post({ n: 'engagement', u: `https://${site}/doc`, d: site, e: 45_000, sd: 80 }, as)
    let [session] = await sessionsOf('::ffff:100.64.2.0')
    expect(session).toMatchObject({ pageviews: '1', events: '1', is_bounce: true, duration: 45 })

    await server.post({ n: 'download', u: `https://${site}/doc`, d: site, p: { url: `https://${site}/files/a.pdf?token=1` } }, as)
    ;[session] = await sessionsOf('::ffff:100.64.2.0')
    expect(session).toMatchObject({ pageviews: '1', events: '2', is_bounce: false })
    const [download] = await server.rows<{ link_url: string }>("SELECT link_url FROM cairn.events WHERE site = {site:String} AND name = 'download'", { site })
    expect(download!.link_url).toBe(`https://${site}/files/a.pdf`)
  })

  it('drops an engagement event that belongs to no open visit', async () => {
    clock.advance(2 * 60 * MINUTE)
    const response = await server.post({ n: 'engagement', u: `https://${site}/x`, d: site, e: 1000 }, { 'x-forwarded-for': '203.0.113.200' })
    expect(response.status).toBe(202)
    expect(response.headers.get('x-cairn-dropped')).toBe('engagement_without_session')
    await server.flush()
    expect(await server.rows("SELECT 1 FROM cairn.events WHERE site = {site:String} AND ip_truncated = toIPv6('::ffff:203.0.113.0')", { site })).toEqual([])
  })

  it('keeps one session across a collector restart', async () => {
    const as = { 'x-forwarded-for': '100.64.3.40' }
    clock.advance(60 * MINUTE)
    await server.post(pageview(site, '/before-restart'), as)
    await server.restart()
    clock.advance(10 * MINUTE)
    await server.post(pageview(site, '/after-restart'), as)
    const sessions = await sessionsOf('::ffff:100.64.3.0')
    expect(sessions).toHaveLength(1)
    expect(sessions[0]).toMatchObject({ pageviews: '2', exit_page: '/after-restart', duration: 600 })
  })
})
