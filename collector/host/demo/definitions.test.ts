/** The demo's goals and annotations: every goal converts in the demo's traffic, the funnel goes through, seeding twice adds nothing. */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { openStorage } from '../../../sql/client.ts'
import { readFunnels, readGoals } from '../../../sql/goals.ts'
import { migrate } from '../../../sql/migrate.ts'
import { conversions } from '../../../dashboard/server/conversions.ts'
import { funnel } from '../../../dashboard/server/funnel.ts'
import { localDate } from '../../../dashboard/server/range.ts'
import { DEMO_GOALS, seedDefinitions } from './definitions.ts'
import { generateDemo } from './generate.ts'

const SITE = 'demo.example'
const storage = openStorage({ dataDir: mkdtempSync(join(tmpdir(), 'cairn-demo-')) })
afterAll(() => storage.close())

it('gives the demo site goals that all convert, a funnel that goes through, and annotations, once', async () => {
  await migrate(storage)
  const end = Date.now()
  await generateDemo(storage, { site: SITE, events: 20_000, days: 30, endMs: end, seed: 3 })
  await seedDefinitions(storage, SITE, end)
  await seedDefinitions(storage, SITE, end)
  const goals = await readGoals(storage, SITE)
  expect(goals.map((g) => g.name)).toEqual(DEMO_GOALS.map((g) => g.name))
  const q = { site: SITE, timeZone: 'UTC', range: { period: '30d', from: localDate(end - 29 * 86_400_000, 'UTC'), to: localDate(end, 'UTC'), interval: 'day' }, filters: {} } as never
  const { goals: counted } = await conversions(storage, q, goals)
  for (const c of counted) expect(c.visitors, c.name).toBeGreaterThan(0)
  const [saved] = await readFunnels(storage, SITE)
  const { steps } = await funnel(storage, q, saved!.steps.map((id) => goals.find((g) => g.id === id)!), saved!.within)
  expect(steps.map((s) => s.visitors > 0), JSON.stringify(steps)).toEqual([true, true, true])
  const [row] = await (await storage.query({ query: 'SELECT count() AS n FROM cairn.annotations FINAL WHERE site = {site:String}', query_params: { site: SITE }, format: 'JSONEachRow' })).json<{ n: string }>()
  expect(Number(row!.n)).toBe(3)
})
