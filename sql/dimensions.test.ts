/**
 * The declaration of dimensions against the schema, on the real engine: a migration that forgets a
 * dimension's column (in cairn.events, or for a visit attribute in the rollup, its materialized view or
 * the sessions view) fails here; and every declared filter and breakdown runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDataDir, tempDataDir } from '../test/helpers/server.ts'
import { aggregate, breakdown, type BreakdownName } from '../dashboard/server/stats.ts'
import { resolveRange } from '../dashboard/server/range.ts'
import type { Storage } from './client.ts'
import { DIMENSIONS, FILTERS } from './dimensions.ts'
import { migrate } from './migrate.ts'

let storage: Storage
let columns: Map<string, Set<string>>

beforeAll(async () => {
  storage = openDataDir(tempDataDir())
  await migrate(storage)
  const rows = await (await storage.query({ query: "SELECT table, name FROM system.columns WHERE database = 'cairn'", format: 'JSONEachRow' })).json<{ table: string; name: string }>()
  columns = new Map()
  for (const { table, name } of rows) columns.set(table, (columns.get(table) ?? new Set()).add(name))
})
afterAll(() => storage?.close())

const missing = (table: string, needed: string[]) => needed.filter((c) => !columns.get(table)?.has(c)).map((c) => `${table}.${c}`)

describe('dimensions and the schema', () => {
  it('finds every column a dimension reads where its kind says it is', () => {
    const event = DIMENSIONS.filter((d) => d.kind !== 'visit page').map((d) => d.column)
    const visit = DIMENSIONS.filter((d) => d.kind === 'visit').map((d) => d.column)
    const pages = DIMENSIONS.filter((d) => d.kind === 'visit page')
    expect([
      ...missing('events', event),
      ...missing('sessions_data', visit),
      ...missing('sessions_mv', visit),
      ...missing('sessions', visit),
      ...missing('sessions', pages.map((d) => d.column)),
      // The rollup keeps a visit's first and last page as aggregate states.
      ...missing('sessions_data', pages.map((d) => `${d.column}_state`)),
    ]).toEqual([])
  })

  it('is not vacuous: a forgotten column is found', () => {
    expect(missing('sessions_data', ['browser_version', 'referrer_source'])).toEqual(['sessions_data.browser_version'])
  })

  it('runs every filter and every breakdown on the engine', async () => {
    const query = { site: 'dims.example', timeZone: 'UTC', range: resolveRange('30d', '2026-11-20'), filters: {} }
    for (const name of FILTERS) {
      const value = DIMENSIONS.find((d) => d.name === name)!.type === 'Bool' ? 'true' : 'x'
      await expect(aggregate(storage, { ...query, filters: { [name]: value } }), name).resolves.toMatchObject({ visitors: 0 })
    }
    for (const d of DIMENSIONS.filter((d) => 'breakdown' in d)) {
      await expect(breakdown(storage, query, d.name as BreakdownName, { sort: { metric: 'value', direction: 'asc' }, limit: 10, offset: 0 }), d.name).resolves.toEqual([])
    }
  })
})
