/**
 * The daily salt across midnight (UTC): a rotation that started the day before and ends after midnight
 * must not leave the new day without its salt — an event arriving then would have no key to hash with.
 * Real engine, in a data directory of its own.
 */
import { afterAll, expect, it } from 'vitest'
import { openStorage } from '../../sql/client.ts'
import { migrate } from '../../sql/migrate.ts'
import { tempDataDir } from '../../test/helpers/server.ts'
import { Salts, utcDay } from './salts.ts'

const storage = openStorage({ dataDir: tempDataDir() })
afterAll(() => storage.close())

it('gives the new day its salt when the day changes during a rotation', async () => {
  await migrate(storage)
  // The last tenth of a second of today, UTC (the engine's own clock agrees: the salts' TTL is by it).
  let now = Date.parse(`${utcDay(Date.now())}T23:59:59.900Z`)
  const salts = new Salts(storage, () => now)
  const rotating = salts.rotate()
  now += 200
  const tomorrow = utcDay(now)
  const { today } = await salts.current()
  await rotating
  const stored = await (await storage.query({ query: 'SELECT salt FROM cairn.salts WHERE day = {day:Date}', query_params: { day: tomorrow }, format: 'JSONEachRow' })).json<{ salt: string }>()
  expect(stored).toHaveLength(1)
  expect(today.toString('hex')).toBe(stored[0]!.salt)
})
