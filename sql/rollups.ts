/**
 * The rollups of settled days (migrations/0019_range_rollups.sql; made and read by
 * dashboard/server/rollups.ts). They hold hashes of visitor ids, so what removes visitors removes them too.
 */
import type { Storage } from './client.ts'
import { alterTarget } from './cluster.ts'

/** Every rollup of these sites (of all sites: none given) deleted, and waited for; the sealer makes them again. */
export async function dropRollups(storage: Storage, sites?: string[], cluster?: string): Promise<void> {
  await storage.command({
    query: `ALTER TABLE ${alterTarget('range_rollups', cluster)} DELETE WHERE ${sites ? 'site IN {sites:Array(String)}' : '1'}`,
    query_params: { sites: sites ?? [] },
    clickhouse_settings: { mutations_sync: '2' },
  })
}
