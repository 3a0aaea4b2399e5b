/**
 * The imports screen in Chromium, against the real server and its storage. A site's admin imports a small
 * Plausible CE export (files written here, in its format) through the settings: the list then shows it done
 * with its days and rows, and cairn.imported_aggregates holds exactly those rows. A text file given as a
 * GA4 export is refused in the server's words, naming the file, and leaves no row anywhere; an import whose
 * days meet the site's data is offered only the days before, or deletion; one import is stopped while it
 * is sent (its progress drawn first), another deleted after a confirmation, and their rows are gone. An
 * import is started with the keyboard alone. The screen is photographed light, dark, on a phone and in
 * French into test/artifacts/ (imports-*.png) and checked by axe-core (WCAG 2.1 A and AA). A viewer does
 * not get the screen.
 *
 * On the dashboard, the "includes imported data" switch: shown where the range holds imported data, the
 * visitors card then equal to independent SQL over cairn.imported_aggregates, and 0 once it is turned off
 * (from the keyboard: imported=false in the URL and on every stats request, kept on reload); a note instead
 * with a filter; nothing where the range holds none (imported-switch-*.png).
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BrowserContext, Page } from 'playwright-core'
import { addUser } from '../dashboard/server/auth/users.ts'
import { seriousViolations } from './helpers/accessibility.ts'
import { ARTIFACTS, DESKTOP, DashboardBrowser, LOOKS, PHONE, focusedElement } from './helpers/dashboard-browser.ts'
import { DAY, TestServer, uniqueSite } from './helpers/server.ts'

const SITE = uniqueSite('imports-ui')
const ZONE = 'Europe/Paris'
const ADMIN = { email: 'owner@imports-ui.test', password: 'owner password 123' }
const VIEWER = { email: 'reader@imports-ui.test', password: 'reader password 12' }

let server: TestServer
let browser: DashboardBrowser
const dir = mkdtempSync(join(tmpdir(), 'cairn-imports-ui-'))

beforeAll(async () => {
  server = await TestServer.start({ sites: [`${SITE}=${ZONE}`] })
  await addUser(server.server.collector.access, ADMIN.email, ADMIN.password, 'admin', SITE)
  await addUser(server.server.collector.access, VIEWER.email, VIEWER.password, 'viewer', SITE)
  browser = await DashboardBrowser.launch(server)
}, 60_000)
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

/** The day `n` days before today (UTC), as YYYY-MM-DD. */
const daysAgo = (n: number) => new Date(Date.now() - n * DAY).toISOString().slice(0, 10)
const compact = (day: string) => day.replaceAll('-', '')

interface Written {
  /** The files, in the order they are chosen. */
  paths: string[]
  first: string
  last: string
  /** The day's totals: Σ visitors and pageviews over imported_visitors. */
  visitors: number
  pageviews: number
  /** Rows cairn.imported_aggregates gets: one a day of imported_visitors, and a `page` and a `hostname` row a row of imported_pages. */
  rows: number
}

/**
 * A Plausible CE export of the days from `from` to `to` days ago, as its "Export to CSV" names and shapes
 * its files: imported_visitors (the day's totals) and imported_pages (two pages a day, on the site's host).
 */
function plausibleExport(name: string, from: number, to: number): Written {
  const days = Array.from({ length: from - to + 1 }, (_, i) => daysAgo(from - i))
  const [first, last] = [days[0]!, days.at(-1)!]
  const range = `${compact(first)}_${compact(last)}`
  const visitors = ['date,visitors,pageviews,bounces,visits,visit_duration']
  const pages = ['date,hostname,page,visits,visitors,pageviews,total_scroll_depth,total_scroll_depth_visits,total_time_on_page,total_time_on_page_visits']
  let totalVisitors = 0
  let totalPageviews = 0
  days.forEach((day, i) => {
    const v = 11 + 3 * i
    const pv = 2 * v + 1
    visitors.push(`${day},${v},${pv},${Math.floor(v / 2)},${v + 2},${(v + 2) * 61}`)
    pages.push(`${day},${SITE},/,${v},${v},${Math.floor(pv / 2)},0,0,${v * 30},${v}`)
    pages.push(`${day},${SITE},/docs/start,${Math.ceil(v / 2)},${Math.ceil(v / 2)},${pv - Math.floor(pv / 2)},0,0,${v * 20},${v}`)
    totalVisitors += v
    totalPageviews += pv
  })
  const folder = mkdtempSync(join(dir, `${name}-`))
  const paths = [join(folder, `imported_visitors_${range}.csv`), join(folder, `imported_pages_${range}.csv`)]
  writeFileSync(paths[0]!, visitors.join('\n') + '\n')
  writeFileSync(paths[1]!, pages.join('\n') + '\n')
  return { paths, first, last, visitors: totalVisitors, pageviews: totalPageviews, rows: days.length * 5 }
}

/** cairn.imported_aggregates of an import, by dimension: rows, Σ visitors, Σ pageviews, first and last day. */
async function storedAggregates(importId: string) {
  return server.rows<{ dimension: string; rows: string; visitors: string; pageviews: string; first: string; last: string }>(
    `SELECT dimension, count() AS rows, sum(visitors) AS visitors, sum(pageviews) AS pageviews, toString(min(date)) AS first, toString(max(date)) AS last
       FROM cairn.imported_aggregates WHERE site = {site:String} AND import_id = {id:UInt32} GROUP BY dimension ORDER BY dimension`,
    { site: SITE, id: importId },
  )
}

/** Rows an import left anywhere: events, aggregates, its staging table. */
async function leftBehind(importId: string): Promise<number> {
  const [row] = await server.rows<{ n: string }>(
    `SELECT (SELECT count() FROM cairn.events WHERE site = {site:String} AND import_id = {id:UInt32})
          + (SELECT count() FROM cairn.imported_aggregates WHERE site = {site:String} AND import_id = {id:UInt32})
          + (SELECT count() FROM system.tables WHERE database = 'cairn' AND name = {table:String}) AS n`,
    { site: SITE, id: importId, table: `import_${importId}` },
  )
  return Number(row!.n)
}

const screen = (page: Page) => page.locator('cairn-settings-imports')
const rows = (page: Page) => screen(page).locator('li.import')
/** The phase line: what the import being sent is doing, or how it ended. */
const phase = (page: Page) => page.locator('#import-phase')

async function openScreen(page: Page, query = ''): Promise<void> {
  await page.goto(`${server.url}/?view=settings&tab=imports&manage=${SITE}${query}`)
  await screen(page).locator('ul.imports, p.none').first().waitFor({ timeout: 15_000 })
}

/** Every text the phase line shows from now on, in order (recorded in the page, so that no step is missed between polls). */
async function recordPhases(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const root = document.querySelector('cairn-app')!.shadowRoot!.querySelector('cairn-settings')!.shadowRoot!.querySelector('cairn-settings-imports')!.shadowRoot!
    const seen: string[] = []
    ;(window as unknown as { phases: string[] }).phases = seen
    const note = () => {
      const text = root.querySelector('#import-phase')?.textContent?.trim() ?? ''
      if (text && seen.at(-1) !== text) seen.push(text)
    }
    new MutationObserver(note).observe(root, { subtree: true, childList: true, characterData: true })
  })
  return () => page.evaluate(() => (window as unknown as { phases: string[] }).phases)
}

/** Chooses `kind`, the files, and starts the import with the mouse. */
async function startImport(page: Page, kind: string, paths: string[]): Promise<void> {
  await screen(page).locator(`input[name=kind][value=${kind}]`).check()
  await page.locator('#import-files').setInputFiles(paths)
  await screen(page).locator('form.start button[type=submit]').click()
}

describe('the imports screen, for a site’s admin', { timeout: 120_000 }, () => {
  let context: BrowserContext
  let page: Page
  const first = plausibleExport('first', 40, 36)

  beforeAll(async () => {
    context = await browser.newContext({ viewport: DESKTOP })
    page = await context.newPage()
  })
  afterAll(() => context?.close())

  it('imports a Plausible export: its files sent one after another, then the list shows it done with its days and rows, as stored', async () => {
    await browser.logIn(page, ADMIN, `/?view=settings&tab=imports&manage=${SITE}`)
    await screen(page).locator('p.none').waitFor({ timeout: 15_000 })
    expect(await page.title()).toBe('Imports – Cairn settings')
    expect(await screen(page).locator('header h2').textContent()).toBe(`Imports into ${SITE}`)
    // Each kind says which files it takes.
    expect(await screen(page).locator('#kind-plausible-hint').textContent()).toContain('imported_….csv')
    expect(await screen(page).locator('input[value=plausible]').getAttribute('aria-describedby')).toBe('kind-plausible-hint')

    // Start without a file: refused next to the field, nothing asked of the server.
    await screen(page).locator('form.start button[type=submit]').click()
    await expect.poll(() => page.locator('#import-files').getAttribute('aria-invalid')).toBe('true')
    expect(await page.locator('#import-files-error').textContent()).toContain('Choose at least one file.')
    expect(await focusedElement(page)).toBe('input#import-files')

    const phases = await recordPhases(page)
    await startImport(page, 'plausible', first.paths)
    await expect.poll(() => phase(page).textContent(), { timeout: 60_000 }).toMatch(/^The import is done: /)
    expect(await page.locator('#import-files').getAttribute('aria-invalid')).toBe('false')
    const [visitorsFile, pagesFile] = first.paths.map((p) => p.split('/').at(-1)!)
    expect(await phases()).toEqual([
      'Starting the import…',
      `Sending ${visitorsFile} (file 1 of 2)…`,
      `Cairn is reading ${visitorsFile} (file 1 of 2); a large file can take a minute…`,
      `Sending ${pagesFile} (file 2 of 2)…`,
      `Cairn is reading ${pagesFile} (file 2 of 2); a large file can take a minute…`,
      'Adding the import’s rows to the site’s data…',
      expect.stringMatching(new RegExp(`^The import is done: ${first.rows} rows added, from .+ to .+\\.$`)),
    ])
    expect(await phase(page).locator('time').evaluateAll((times) => times.map((t) => t.getAttribute('datetime')))).toEqual([first.first, first.last])

    // The list: Plausible, its two files, its days, its rows, done, by whom.
    const row = rows(page).first()
    await expect.poll(() => row.getAttribute('data-state')).toBe('done')
    const id = (await row.getAttribute('data-import'))!
    expect(await row.locator('.kind').textContent()).toBe('Plausible')
    expect(await row.locator('.files code').allTextContents()).toEqual([visitorsFile, pagesFile])
    expect(await row.locator('.days time').evaluateAll((times) => times.map((t) => t.getAttribute('datetime')))).toEqual([first.first, first.last])
    expect(await row.locator('.written data').getAttribute('value')).toBe(String(first.rows))
    expect(await row.locator('.skipped data').getAttribute('value')).toBe('0')
    expect(await row.locator('.state').textContent()).toBe('Done')
    expect(await row.textContent()).toContain(ADMIN.email)

    // What ClickHouse holds: exactly the export's figures.
    const stored = await storedAggregates(id)
    expect(stored).toEqual([
      { dimension: '', rows: '5', visitors: String(first.visitors), pageviews: String(first.pageviews), first: first.first, last: first.last },
      { dimension: 'hostname', rows: '10', visitors: expect.any(String), pageviews: String(first.pageviews), first: first.first, last: first.last },
      { dimension: 'page', rows: '10', visitors: expect.any(String), pageviews: String(first.pageviews), first: first.first, last: first.last },
    ])
    expect(stored.reduce((n, s) => n + Number(s.rows), 0)).toBe(first.rows)
    await page.screenshot({ path: `${ARTIFACTS}imports-done.png`, fullPage: true })
  })

  it('refuses a text file given as a GA4 export in the server’s words, naming the file, and keeps no row of it', async () => {
    const notes = join(dir, 'notes.txt')
    writeFileSync(notes, 'These are not the events you are looking for.\n')
    await startImport(page, 'ga4', [notes])
    const alert = screen(page).locator('form.start p[role=alert]')
    await expect.poll(() => alert.textContent(), { timeout: 30_000 }).toBe('Not done: notes.txt was refused, and nothing of this import was kept')
    // The file's problem next to the file field, which says it is invalid and points at it.
    expect(await page.locator('#import-files-error').textContent()).toBe('notes.txt is not a GA4 BigQuery export (the events_ tables as newline-delimited JSON or Parquet)')
    expect(await page.locator('#import-files').getAttribute('aria-invalid')).toBe('true')
    expect(await page.locator('#import-files').getAttribute('aria-describedby')).toBe('import-files-chosen import-files-hint import-files-error')
    // Nothing to delete is offered: it was rolled back.
    expect(await screen(page).locator('button.delete-this').count()).toBe(0)

    // Listed as failed, with why; no row anywhere.
    const failed = screen(page).locator('li.import[data-state=failed]')
    await failed.waitFor({ timeout: 15_000 })
    expect(await failed.locator('.kind').textContent()).toBe('Google Analytics 4')
    expect(await failed.locator('p.failed').textContent()).toContain('notes.txt is not a GA4 BigQuery export')
    expect(await failed.locator('.days').textContent()).toBe('none')
    expect(await leftBehind((await failed.getAttribute('data-import'))!)).toBe(0)
    const [events] = await server.rows<{ n: string }>('SELECT count() AS n FROM cairn.events WHERE site = {site:String}', { site: SITE })
    expect(Number(events!.n)).toBe(0)
    expect(await seriousViolations(page)).toEqual([])
    await page.screenshot({ path: `${ARTIFACTS}imports-refused.png`, fullPage: true })
  })

  it('offers only the days before the site’s data when an import meets them, or deleting it', async () => {
    // Days 45 to 38 ago: 40 to 38 already hold the first import's.
    const earlier = plausibleExport('earlier', 45, 38)
    await startImport(page, 'plausible', earlier.paths)
    const alert = screen(page).locator('form.start p[role=alert]')
    await expect.poll(() => alert.textContent(), { timeout: 60_000 }).toMatch(/^Not done: The days from .+ already hold data of this site/)
    const before = screen(page).locator('button.before')
    const firstDay = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(`${first.first}T00:00:00Z`))
    expect(await before.textContent()).toContain(`Import only the days before ${firstDay}`)
    expect(await screen(page).locator('button.delete-this').textContent()).toBe('Delete this import')
    // Listed as read, not added yet, and it can be added from the list too.
    const waiting = screen(page).locator('li.import[data-state=staging]')
    await waiting.waitFor({ timeout: 15_000 })
    expect(await waiting.locator('button.publish').count()).toBe(1)
    const id = (await waiting.getAttribute('data-import'))!
    expect(await seriousViolations(page)).toEqual([])
    await page.screenshot({ path: `${ARTIFACTS}imports-overlap.png`, fullPage: true })

    await before.click()
    await expect.poll(() => phase(page).textContent(), { timeout: 60_000 }).toMatch(/^The import is done: /)
    expect(await screen(page).locator('button.before').count()).toBe(0)
    // Only the days 45 to 41 ago: 5 days.
    const stored = await storedAggregates(id)
    expect(stored.find((s) => s.dimension === '')).toMatchObject({ rows: '5', first: earlier.first, last: daysAgo(41) })
    const row = screen(page).locator(`li.import[data-import="${id}"]`)
    await expect.poll(() => row.getAttribute('data-state')).toBe('done')
    expect(await row.locator('.days time').evaluateAll((times) => times.map((t) => t.getAttribute('datetime')))).toEqual([earlier.first, daysAgo(41)])
  })

  it('draws the progress of a file being sent, and stops it: nothing of it is kept', async () => {
    // A file big enough to watch, sent through a slow line (Chromium's throttling, 256 KiB/s up).
    const big = join(dir, 'imported_visitors_20200101_20200101.csv')
    const lines = ['date,visitors,pageviews,bounces,visits,visit_duration']
    for (let i = 0; i < 60_000; i++) lines.push(`${daysAgo(50)},1,1,0,1,1`)
    writeFileSync(big, lines.join('\n') + '\n')
    const cdp = await context.newCDPSession(page)
    await cdp.send('Network.enable')
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 256 * 1024 })
    const before = await rows(page).count()
    try {
      await startImport(page, 'plausible', [big])
      const progress = screen(page).locator('progress')
      await expect.poll(() => progress.evaluate((p) => (p as HTMLProgressElement).value), { timeout: 15_000 }).toBeGreaterThan(0)
      expect(await progress.evaluate((p) => (p as HTMLProgressElement).max)).toBeGreaterThan(await progress.evaluate((p) => (p as HTMLProgressElement).value))
      // Named by the phase line, for a screen reader.
      expect(await progress.getAttribute('aria-labelledby')).toBe('import-phase')
      expect(await phase(page).textContent()).toBe('Sending imported_visitors_20200101_20200101.csv (file 1 of 1)…')
      expect(await screen(page).locator('form.start button[type=submit]').getAttribute('aria-disabled')).toBe('true')
      expect(await seriousViolations(page)).toEqual([])
      await page.screenshot({ path: `${ARTIFACTS}imports-progress.png`, fullPage: true })
      await screen(page).locator('button.stop').click()
      await expect.poll(() => phase(page).textContent(), { timeout: 30_000 }).toBe('The import was stopped, and nothing of it was kept.')
    } finally {
      await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 })
    }
    // Deleted: the list is as it was.
    await expect.poll(() => rows(page).count(), { timeout: 15_000 }).toBe(before)
    const [left] = await server.rows<{ n: string }>(`SELECT count() AS n FROM cairn.imports FINAL WHERE site = {site:String} AND state NOT IN ('done', 'failed', 'deleted')`, { site: SITE })
    expect(Number(left!.n)).toBe(0)
  })

  it('deletes an import after a confirmation: its rows are gone', async () => {
    const row = rows(page).first()
    const id = (await row.getAttribute('data-import'))!
    expect((await storedAggregates(id)).length).toBeGreaterThan(0)
    const remove = row.locator('button.delete')
    expect(await remove.getAttribute('aria-label')).toMatch(/^Delete the Plausible import started /)
    // Escape first: nothing happens, the focus comes back.
    await remove.click()
    await expect.poll(() => focusedElement(page)).toMatch(/in dialog$/)
    expect(await page.locator('#delete-import h2').textContent()).toBe('Delete this import?')
    expect(await page.locator('#delete-import p').first().textContent()).toBe('Its 25 rows leave the site’s data and reports, for good.')
    expect(await seriousViolations(page)).toEqual([])
    await page.keyboard.press('Escape')
    await expect.poll(() => focusedElement(page)).toBe('button')
    expect((await storedAggregates(id)).length).toBeGreaterThan(0)

    await remove.click()
    await page.locator('#delete-import button[type=submit]').click()
    await expect.poll(() => screen(page).locator('p.status.ok[role=status]').last().textContent(), { timeout: 30_000 }).toBe('The Plausible import is deleted.')
    await expect.poll(() => screen(page).locator(`li.import[data-import="${id}"]`).count()).toBe(0)
    expect(await storedAggregates(id)).toEqual([])
    expect(await leftBehind(id)).toBe(0)
    // The focus, its row gone, is on the screen's heading.
    await expect.poll(() => focusedElement(page)).toBe('h2')
    await browser.keepLogin(context)
  })
})

describe('starting an import with the keyboard alone', { timeout: 120_000 }, () => {
  it('reaches the kind, the files and Start by Tab, chooses with the arrows, and starts with Enter', async () => {
    const context = await browser.loggedInContext({ viewport: DESKTOP })
    const page = await context.newPage()
    await openScreen(page)
    const later = plausibleExport('keyboard', 60, 58)
    // From the top of the page, Tab until a kind of import has the focus.
    await page.locator('body').focus()
    for (let i = 0; i < 40 && (await focusedElement(page)) !== 'input'; i++) await page.keyboard.press('Tab')
    expect(await page.evaluate(() => {
      let a = document.activeElement
      while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement
      return `${(a as HTMLInputElement).type}:${(a as HTMLInputElement).value}`
    })).toBe('radio:ga4')
    // The arrows choose within the group: Plausible is next.
    await page.keyboard.press('ArrowDown')
    expect(await screen(page).locator('input[value=plausible]').isChecked()).toBe(true)
    await page.keyboard.press('Tab')
    expect(await focusedElement(page)).toBe('input#import-files')
    // Space opens the file chooser, as a click does.
    const chooser = page.waitForEvent('filechooser')
    await page.keyboard.press('Space')
    const files = await chooser
    expect(files.isMultiple()).toBe(true)
    await files.setFiles(later.paths)
    // What was chosen, in the page's words (the browser's own file button speaks the browser's language).
    const names = later.paths.map((p) => p.split('/').at(-1)).join(', ')
    expect(await page.locator('#import-files-chosen').textContent()).toBe(`2 files: ${names}`)
    await page.keyboard.press('Tab')
    expect(await focusedElement(page)).toBe('button')
    await page.keyboard.press('Enter')
    await expect.poll(() => phase(page).textContent(), { timeout: 60_000 }).toMatch(/^The import is done: 15 rows added/)
    expect(await page.locator('#import-files-chosen').textContent()).toBe('No file chosen')
    // The focus stayed on Start the whole time.
    expect(await focusedElement(page)).toBe('button')
    expect(await page.evaluate(() => {
      let a = document.activeElement
      while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement
      return a?.textContent?.trim()
    })).toBe('Start the import')
    await context.close()
  })
})

describe('the imports screen’s looks', { timeout: 120_000 }, () => {
  it.each(LOOKS)('is drawn %s, photographed, and has no serious or critical WCAG 2.1 AA violation', async (name, options) => {
    const context = await browser.loggedInContext(options)
    const page = await context.newPage()
    await openScreen(page)
    await expect.poll(() => rows(page).count()).toBeGreaterThan(1)
    if (name === 'dark') expect(await page.locator('cairn-app').getAttribute('theme')).toBe('dark')
    await page.screenshot({ path: `${ARTIFACTS}imports-${name}.png`, fullPage: true })
    expect(await seriousViolations(page)).toEqual([])
    if (name === 'phone') expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width)
    await context.close()
  })

  it('is in French with lang=fr, French typography included, without violations', async () => {
    const context = await browser.loggedInContext({ locale: 'fr-FR', viewport: DESKTOP })
    const page = await context.newPage()
    await openScreen(page, '&lang=fr')
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('fr')
    expect(await screen(page).locator('header h2').textContent()).toBe(`Imports dans ${SITE}`)
    expect(await page.title()).toBe('Imports – réglages de Cairn')
    expect(await screen(page).locator('li.import dt').first().textContent()).toBe('Jours')
    // The server's words in French too: a refusal.
    const notes = join(dir, 'notes-fr.txt')
    writeFileSync(notes, 'pas un export\n')
    await startImport(page, 'ga4', [notes])
    await expect.poll(() => screen(page).locator('form.start p[role=alert]').textContent(), { timeout: 30_000 }).toBe('Non effectué\u00a0: notes-fr.txt a été refusé, et rien de cet import n’a été conservé')
    expect(await page.locator('#import-files-error').textContent()).toContain('n’est pas un export BigQuery de GA4')
    expect(await screen(page).locator('li.import[data-state=failed] .state').first().textContent()).toContain('Échoué')
    await page.screenshot({ path: `${ARTIFACTS}imports-fr.png`, fullPage: true })
    expect(await seriousViolations(page)).toEqual([])
    await context.close()
  })
})

describe('the “includes imported data” switch', { timeout: 120_000 }, () => {
  // The days of the imports above (60 to 36 days ago), and more.
  const range = { from: daysAgo(90), to: daysAgo(1) }
  const dashboard = `/?site=${SITE}&period=custom&from=${range.from}&to=${range.to}`
  const visitorsCard = (page: Page) => page.locator('cairn-top-stats .value[data-metric="visitors"] data')
  const shownVisitors = (page: Page) => visitorsCard(page).getAttribute('value').then(Number)

  /** The range's imported visitors by independent SQL: the sum of each imported day's totals. */
  async function importedVisitors(): Promise<number> {
    const [row] = await server.rows<{ n: string }>(
      "SELECT sum(visitors) AS n FROM cairn.imported_aggregates WHERE site = {site:String} AND dimension = '' AND date BETWEEN toDate({from:String}) AND toDate({to:String})",
      { site: SITE, ...range },
    )
    return Number(row!.n)
  }

  /** Every stats request the page makes from now on. */
  function statsRequests(page: Page): URL[] {
    const seen: URL[] = []
    page.on('request', (r) => r.url().includes('/api/stats/') && seen.push(new URL(r.url())))
    return seen
  }

  it('is shown where the range holds imported data, counts it in (as SQL sums it), and leaves it out from the keyboard, on every request and after a reload', async () => {
    const expected = await importedVisitors()
    expect(expected).toBeGreaterThan(0)
    const context = await browser.loggedInContext({ viewport: DESKTOP })
    const page = await context.newPage()
    const requests = statsRequests(page)
    await page.goto(server.url + dashboard)
    await expect.poll(() => shownVisitors(page), { timeout: 15_000 }).toBe(expected)
    const toggle = page.locator('#imported')
    expect(await toggle.isChecked()).toBe(true)
    expect(await page.locator('cairn-top-stats label:has(#imported)').textContent()).toContain('Includes imported data')
    expect(await toggle.getAttribute('aria-describedby')).toBe('imported-hint')
    expect(await page.locator('#imported-hint').textContent()).toBe('Days imported from another tool, before this site’s own data.')
    for (const url of requests) expect(url.searchParams.has('imported'), url.href).toBe(false)
    await page.screenshot({ path: `${ARTIFACTS}imported-switch-on.png` })

    // Off, with the keyboard: the URL says so, every panel asks again without imported data, and none is counted (the site has no data of its own).
    await toggle.focus()
    requests.length = 0
    await page.keyboard.press('Space')
    await expect.poll(() => new URL(page.url()).searchParams.get('imported')).toBe('false')
    await expect.poll(() => shownVisitors(page), { timeout: 15_000 }).toBe(0)
    expect(await toggle.isChecked()).toBe(false)
    expect(await focusedElement(page)).toBe('input#imported')
    await expect.poll(() => requests.map((u) => u.pathname.split('/').slice(4).join('/')), { timeout: 15_000 }).toEqual(expect.arrayContaining(['aggregate', 'timeseries', 'breakdown/source', 'breakdown/page']))
    for (const url of requests) expect(url.searchParams.get('imported'), url.href).toBe('false')
    expect(await seriousViolations(page)).toEqual([])
    await page.screenshot({ path: `${ARTIFACTS}imported-switch-off.png` })

    // The view survives a reload, still off; on again, the imported visitors are back.
    await page.reload()
    await expect.poll(() => shownVisitors(page), { timeout: 15_000 }).toBe(0)
    expect(await page.locator('#imported').isChecked()).toBe(false)
    await page.locator('#imported').check()
    await expect.poll(() => new URL(page.url()).searchParams.has('imported')).toBe(false)
    await expect.poll(() => shownVisitors(page), { timeout: 15_000 }).toBe(expected)
    await context.close()
  })

  it('says in a panel whose tab cannot count imported days (hostnames) that it leaves them out, and nowhere else', async () => {
    const context = await browser.loggedInContext({ viewport: DESKTOP })
    const page = await context.newPage()
    await page.goto(server.url + dashboard)
    await expect.poll(() => shownVisitors(page), { timeout: 15_000 }).toBe(await importedVisitors())
    const pages = page.locator('cairn-breakdown', { has: page.locator('h2', { hasText: 'Pages' }) })
    await expect.poll(() => pages.locator('table').count(), { timeout: 15_000 }).toBe(1)
    expect(await pages.locator('.imported-left-out').count()).toBe(0)
    await pages.locator('nav button', { hasText: 'Hostnames' }).click()
    await expect.poll(() => pages.locator('.imported-left-out').textContent(), { timeout: 15_000 })
      .toBe('Imported days are not counted here: the other tool’s export does not have this breakdown.')
    expect(await seriousViolations(page)).toEqual([])
    await context.close()
  })

  it('says that imported data is left out with a filter, and is not there where the range holds none', async () => {
    const context = await browser.loggedInContext({ viewport: DESKTOP })
    const page = await context.newPage()
    await page.goto(`${server.url}${dashboard}&page=/docs/start`)
    const note = page.locator('cairn-top-stats p.imported-note')
    await expect.poll(() => note.textContent(), { timeout: 15_000 }).toBe('Imported data is left out with these filters: imported days hold daily totals, not the visits a filter or a goal picks out.')
    expect(await note.getAttribute('role')).toBe('status')
    expect(await page.locator('#imported').count()).toBe(0)
    expect(await shownVisitors(page)).toBe(0)
    await page.screenshot({ path: `${ARTIFACTS}imported-switch-filtered.png` })

    await page.goto(`${server.url}/?site=${SITE}&period=7d`)
    await expect.poll(() => visitorsCard(page).count(), { timeout: 15_000 }).toBe(1)
    expect(await page.locator('#imported').count()).toBe(0)
    expect(await note.textContent()).toBe('')
    await context.close()
  })

  it.each([...LOOKS, ['French', { locale: 'fr-FR', viewport: DESKTOP, colorScheme: 'light' }] as const])('is drawn %s without a serious or critical WCAG 2.1 AA violation', async (name, options) => {
    const context = await browser.loggedInContext(options)
    const page = await context.newPage()
    await page.goto(server.url + dashboard + (name === 'French' ? '&lang=fr' : ''))
    await expect.poll(() => shownVisitors(page), { timeout: 15_000 }).toBe(await importedVisitors())
    if (name === 'French') expect(await page.locator('cairn-top-stats label:has(#imported)').textContent()).toContain('Inclut les données importées')
    await page.screenshot({ path: `${ARTIFACTS}imported-switch-${name === 'French' ? 'fr' : name}.png` })
    expect(await seriousViolations(page)).toEqual([])
    if (name === 'phone') expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width)
    await context.close()
  })
})

describe('a viewer', { timeout: 60_000 }, () => {
  it('does not get the screen, nor the list behind it', async () => {
    const context = await browser.newContext({ viewport: DESKTOP })
    const page = await context.newPage()
    await browser.logIn(page, VIEWER, `/?view=settings&tab=imports&manage=${SITE}`)
    // Their own account instead; no settings menu entry for imports.
    await page.locator('cairn-settings-account').waitFor({ timeout: 15_000 })
    expect(await page.locator('cairn-settings-imports').count()).toBe(0)
    expect(await page.locator('cairn-settings nav a[data-tab="imports"]').count()).toBe(0)
    const status = await page.evaluate((site) => fetch(`/api/sites/${site}/imports`).then((r) => r.status), SITE)
    expect(status).toBe(403)
    await context.close()
  })
})
