/** POST /api/event over HTTP: what is accepted, what is refused with which error, and what ends up in the rows. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IPHONE_SAFARI, TestServer, pageview, uniqueSite } from './helpers/server.ts'

const site = uniqueSite('ingest')
const second = uniqueSite('second')
let server: TestServer

beforeAll(async () => {
  server = await TestServer.start({ sites: [site, second], env: { TRUST_PROXY: 'true' } })
})
afterAll(() => server.stop())

async function count(where = '1'): Promise<number> {
  await server.flush()
  const [row] = await server.rows<{ n: string }>(`SELECT count() AS n FROM cairn.events WHERE site IN ({a:String}, {b:String}) AND ${where}`, { a: site, b: second })
  return Number(row!.n)
}

/** Real crawler and headless-browser user agents, as they appear in access logs. */
const BOTS = [
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36',
  'Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)',
  'Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)',
  'Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)',
  'DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)',
  'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
  'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36',
  'curl/8.5.0',
  'python-requests/2.32.3',
  'Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)',
  '',
]

describe('POST /api/event', () => {
  it('accepts a Plausible body as text/plain and as application/json with 202 and no body', async () => {
    const asText = await server.post(pageview(site, '/text'))
    expect(asText.status).toBe(202)
    expect(await asText.text()).toBe('')
    const asJson = await server.post(pageview(site, '/json'), { 'content-type': 'application/json; charset=utf-8' })
    expect(asJson.status).toBe(202)
    const longNames = await server.post({ name: 'pageview', url: `https://www.${site}/long`, domain: `www.${site}`, referrer: null })
    expect(longNames.status).toBe(202)
    expect(await count("pathname IN ('/text', '/json', '/long')")).toBe(3)
  })

  it('stores what the page, referrer, headers and address say', async () => {
    await server.post(
      pageview(site, '/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=spring&utm_content=hero&utm_term=stats', {
        r: 'https://news.ycombinator.com/item?id=42',
        p: { plan: 'pro', seats: 5, annual: true, gone: null },
      }),
      { 'user-agent': IPHONE_SAFARI, 'x-forwarded-for': '81.2.69.142' },
    )
    await server.post(pageview(site, '/from-hn', { r: 'https://news.ycombinator.com/item?id=42' }), { 'x-forwarded-for': '192.0.2.1' })
    await server.post(pageview(site, '/internal', { r: `https://${site}/pricing` }), { 'x-forwarded-for': '198.51.100.2' })
    await server.flush()
    const rows = await server.rows<Record<string, unknown>>(
      "SELECT * EXCEPT (timestamp, session_start, visitor_id, session_id) FROM cairn.events WHERE site = {site:String} AND pathname IN ('/pricing', '/from-hn', '/internal') ORDER BY pathname",
      { site },
    )
    const [fromHn, internal, pricing] = rows
    expect(pricing).toMatchObject({
      name: 'pageview', hostname: site, pathname: '/pricing', referrer: 'news.ycombinator.com/item', referrer_source: 'Newsletter',
      utm_source: 'newsletter', utm_medium: 'email', utm_campaign: 'spring', utm_content: 'hero', utm_term: 'stats',
      browser: 'Safari', browser_version: '17', os: 'iOS', os_version: '17.5', device: 'mobile', country_code: 'GB',
      ip_truncated: '::ffff:81.2.69.0', props: { plan: 'pro', seats: '5', annual: 'true' }, consent: false,
    })
    expect(fromHn).toMatchObject({ referrer_source: 'Hacker News', referrer: 'news.ycombinator.com/item', browser: 'Chrome', os: 'Windows', device: 'desktop' })
    expect(internal).toMatchObject({ referrer_source: '', referrer: '' })
  })

  it("maps Plausible's File Download and Outbound Link events, and fans out to several domains", async () => {
    await server.post({ n: 'File Download', u: `https://${site}/docs`, d: site, p: { url: `https://cdn.${site}/report.pdf?sig=abc#p2` } })
    await server.post({ n: 'Outbound Link: Click', u: `https://${site}/docs`, d: site, p: { url: 'https://github.com/cairn?tab=repos' } })
    await server.post({ n: 'Signup', u: `https://${site}/docs`, d: `${site},${second}` })
    await server.flush()
    const links = await server.rows<{ name: string; link_url: string; props: object }>(
      "SELECT name, link_url, props FROM cairn.events WHERE site = {site:String} AND name IN ('download', 'outbound') ORDER BY name",
      { site },
    )
    expect(links).toEqual([
      { name: 'download', link_url: `https://cdn.${site}/report.pdf`, props: {} },
      { name: 'outbound', link_url: 'https://github.com/cairn?tab=repos', props: {} },
    ])
    expect(await count("name = 'Signup'")).toBe(2)
  })

  it('drops bots and headless browsers without storing them', async () => {
    const before = await count()
    for (const ua of BOTS) {
      const response = await server.post(pageview(site, '/bot'), { 'user-agent': ua })
      expect(response.status, ua).toBe(202)
      expect(response.headers.get('x-cairn-dropped'), ua).toBe('bot')
    }
    expect(await count("pathname = '/bot'")).toBe(0)
    expect(await count()).toBe(before)
    expect(server.server.collector.counters.dropped.get('bot')).toBe(BOTS.length)
  })

  const invalid: [string, unknown, number, string][] = [
    ['not JSON', '{"n": "pageview",', 400, 'body'],
    ['a JSON array', '[1,2]', 400, 'body'],
    ['JSON null', 'null', 400, 'body'],
    ['no name', { u: `https://${site}/`, d: site }, 400, 'name'],
    ['a number as name', { n: 5, u: `https://${site}/`, d: site }, 400, 'name'],
    ['a name of 121 characters', { n: 'x'.repeat(121), u: `https://${site}/`, d: site }, 400, 'name'],
    ['no url', { n: 'pageview', d: site }, 400, 'url'],
    ['a javascript: url', { n: 'pageview', u: 'javascript:alert(1)', d: site }, 400, 'url'],
    ['a relative url', { n: 'pageview', u: '/about', d: site }, 400, 'url'],
    ['a url over 2000 bytes', { n: 'pageview', u: `https://${site}/${'a'.repeat(2000)}`, d: site }, 400, 'url'],
    ['no domain', { n: 'pageview', u: `https://${site}/` }, 400, 'domain'],
    ['a referrer object', { ...pageview(site), r: { a: 1 } }, 400, 'referrer'],
    ['props as an array', { ...pageview(site), p: [1] }, 400, 'props'],
    ['31 props', { ...pageview(site), p: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, i])) }, 400, 'props'],
    ['a nested prop', { ...pageview(site), p: { nested: { a: 1 } } }, 400, 'props.nested'],
    ['consent as a string', { ...pageview(site), c: 'yes' }, 400, 'consent'],
    ['negative engagement', { ...pageview(site), e: -5 }, 400, 'engagement_time'],
    ['scroll depth as text', { ...pageview(site), sd: 'half' }, 400, 'scroll_depth'],
    ['a download without its url', { n: 'download', u: `https://${site}/`, d: site }, 400, 'props.url'],
    ['an unknown site', pageview('unknown.example'), 403, 'domain'],
    ['one unknown site in a fan-out', { ...pageview(site), d: `${site},unknown.example` }, 403, 'domain'],
  ]
  for (const [what, body, status, field] of invalid) {
    it(`refuses ${what} with ${status} naming "${field}"`, async () => {
      const response = await server.post(body)
      expect(response.status).toBe(status)
      const json = (await response.json()) as { errors: Record<string, string> }
      expect(Object.keys(json.errors)).toContain(field)
      expect(json.errors[field]).toMatch(/\w/)
    })
  }

  it('refuses a body over 16 KiB with 413, and another content type with 415', async () => {
    const big = await server.post({ ...pageview(site, '/big'), p: { blob: 'x'.repeat(17 * 1024) } })
    expect(big.status).toBe(413)
    expect(await big.json()).toEqual({ errors: { body: expect.stringContaining('16384') } })
    const form = await server.post('n=pageview', { 'content-type': 'application/x-www-form-urlencoded' })
    expect(form.status).toBe(415)
    expect(Object.keys(((await form.json()) as { errors: object }).errors)).toEqual(['content-type'])
  })

  it('stored no row from any refused request', async () => {
    expect(await count("pathname IN ('/', '/big', '/about')")).toBe(0)
  })

  it('answers CORS with credentials for the configured sites only', async () => {
    const preflight = await fetch(`${server.url}/api/event`, {
      method: 'OPTIONS',
      headers: { origin: `https://www.${site}`, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    })
    expect(preflight.status).toBe(204)
    expect(preflight.headers.get('access-control-allow-origin')).toBe(`https://www.${site}`)
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true')
    const allowed = await server.post(pageview(site, '/cors'), { origin: `https://blog.${site}` })
    expect(allowed.headers.get('access-control-allow-origin')).toBe(`https://blog.${site}`)
    const foreign = await server.post(pageview(site, '/cors'), { origin: 'https://evil.example' })
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull()
  })
})
