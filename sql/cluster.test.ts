/** The DDL Cairn runs on a ClickHouse cluster, generated from the same migrations (no cluster runs here). */
import { describe, expect, it } from 'vitest'
import { alterTarget, toCluster } from './cluster.ts'
import { readMigrations } from './migrate.ts'

const all = readMigrations().flatMap((m) => m.statements.flatMap((s) => toCluster(s, 'analytics')))
const find = (start: string) => all.find((s) => s.startsWith(start))!

describe('cluster DDL', () => {
  it('runs every statement ON CLUSTER', () => {
    // A check that reads (0021's) reads the public, Distributed tables, from any node.
    for (const statement of all.filter((s) => !s.startsWith('SELECT'))) expect(statement.split('\n')[0]).toMatch(/ON CLUSTER analytics/)
  })

  it('shards events: a replicated local table and a Distributed table under the public name', () => {
    expect(find('CREATE TABLE IF NOT EXISTS cairn.events_local')).toMatch(
      /ENGINE = ReplicatedMergeTree\('\/clickhouse\/tables\/\{shard\}\/cairn\/events', '\{replica\}'\)/,
    )
    expect(find('CREATE TABLE IF NOT EXISTS cairn.events ON CLUSTER')).toBe(
      'CREATE TABLE IF NOT EXISTS cairn.events ON CLUSTER analytics AS cairn.events_local\nENGINE = Distributed(analytics, cairn, events_local, sipHash64(session_id))',
    )
    expect(find('CREATE TABLE IF NOT EXISTS cairn.sessions_data_local')).toMatch(/ENGINE = ReplicatedAggregatingMergeTree\('\/clickhouse\/tables\/\{shard\}\/cairn\/sessions_data', '\{replica\}'\)/)
  })

  it('feeds the rollup on each shard and keeps the views on the public tables', () => {
    const mv = find('CREATE MATERIALIZED VIEW IF NOT EXISTS cairn.sessions_mv')
    expect(mv).toMatch(/TO cairn\.sessions_data_local/)
    expect(mv).toMatch(/FROM cairn\.events_local/)
    expect(find('CREATE VIEW IF NOT EXISTS cairn.sessions ON CLUSTER')).toMatch(/FROM cairn\.sessions_data\b/)
  })

  it('replicates small tables to every node, keeping their engine arguments', () => {
    expect(find('CREATE TABLE IF NOT EXISTS cairn.salts')).toMatch(/ENGINE = ReplicatedMergeTree\('\/clickhouse\/tables\/cairn\/salts', '\{replica\}'\)/)
    expect(find('CREATE TABLE IF NOT EXISTS cairn.users')).toMatch(/ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/cairn\/users', '\{replica\}', version\)/)
  })

  it('changes the columns of the local event tables, where the data is, in migrations too', () => {
    expect(find('ALTER TABLE cairn.events_local ON CLUSTER analytics')).toMatch(/MODIFY COLUMN ip_truncated IPv6 CODEC\(ZSTD\(1\)\)/)
    // Codecs mean nothing on the Distributed table; a column of another type must match there too.
    const distributed = all.filter((s) => s.startsWith('ALTER TABLE cairn.events ON CLUSTER analytics'))
    expect(distributed.some((s) => /MODIFY COLUMN referrer LowCardinality\(String\)/.test(s))).toBe(true)
    expect(distributed.some((s) => /CODEC|SETTING/.test(s))).toBe(false)
    expect(all.some((s) => s.startsWith('ALTER TABLE cairn.events_local ON CLUSTER analytics') && /MODIFY COLUMN referrer LowCardinality\(String\),/.test(s))).toBe(true)
  })

  it('changes the visits’ pages (0020–0022): columns on both tables, the conversion where the rows are, the views on every node', () => {
    const steps = readMigrations().filter((m) => m.version >= 20 && m.version <= 22).flatMap((m) => m.statements.flatMap((s) => toCluster(s, 'analytics')))
    expect(steps[0]).toBe('DROP VIEW IF EXISTS cairn.sessions_mv ON CLUSTER analytics')
    const added = steps.filter((s) => /ADD COLUMN IF NOT EXISTS entry_page_state/.test(s))
    expect(added.map((s) => s.split('\n')[0])).toEqual(['ALTER TABLE cairn.sessions_data_local ON CLUSTER analytics', 'ALTER TABLE cairn.sessions_data ON CLUSTER analytics'])
    // A mutation runs on the stored rows only: the Distributed table has none, and refuses it.
    expect(steps.filter((s) => /\bUPDATE\b/.test(s)).map((s) => s.split('\n')[0])).toEqual(['ALTER TABLE cairn.sessions_data_local ON CLUSTER analytics UPDATE'])
    expect(steps.filter((s) => /DROP COLUMN IF EXISTS entry_state/.test(s))).toHaveLength(2)
    const mv = steps.find((s) => s.startsWith('CREATE MATERIALIZED VIEW'))!
    expect(mv.split('\n')[0]).toBe('CREATE MATERIALIZED VIEW IF NOT EXISTS cairn.sessions_mv ON CLUSTER analytics TO cairn.sessions_data_local AS')
    expect(mv).toMatch(/FROM cairn\.events_local/)
    expect(steps).toContain('DROP VIEW IF EXISTS cairn.sessions ON CLUSTER analytics')
  })

  it('makes the seals again on every node (0023), replicated as before', () => {
    const steps = readMigrations().filter((m) => m.version === 23).flatMap((m) => m.statements.flatMap((s) => toCluster(s, 'analytics')))
    expect(steps[0]).toBe('DROP TABLE IF EXISTS cairn.range_rollups ON CLUSTER analytics SYNC')
    expect(steps[1]).toMatch(/^CREATE TABLE IF NOT EXISTS cairn\.range_rollups ON CLUSTER analytics\n/)
    expect(steps[1]).toMatch(/ENGINE = ReplicatedMergeTree\('\/clickhouse\/tables\/cairn\/range_rollups', '\{replica\}'\)/)
    expect(steps).toHaveLength(2)
    expect(toCluster('DROP TABLE IF EXISTS cairn.events SYNC', 'analytics')).toEqual(['DROP TABLE IF EXISTS cairn.events ON CLUSTER analytics SYNC', 'DROP TABLE IF EXISTS cairn.events_local ON CLUSTER analytics SYNC'])
  })

  it('adds imports (0024): the jobs and the imported aggregates on every node, the events’ new column on both tables', () => {
    const steps = readMigrations().filter((m) => m.version === 24).flatMap((m) => m.statements.flatMap((s) => toCluster(s, 'analytics')))
    expect(steps.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS cairn.imports '))).toMatch(/ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/tables\/cairn\/imports', '\{replica\}', version\)/)
    expect(steps.find((s) => s.startsWith('CREATE TABLE IF NOT EXISTS cairn.imported_aggregates '))).toMatch(/ENGINE = ReplicatedMergeTree\('\/clickhouse\/tables\/cairn\/imported_aggregates', '\{replica\}'\)/)
    const added = steps.filter((s) => /ADD COLUMN IF NOT EXISTS import_id/.test(s))
    expect(added.map((s) => s.split(' ').slice(0, 6).join(' '))).toEqual(['ALTER TABLE cairn.events_local ON CLUSTER analytics', 'ALTER TABLE cairn.events ON CLUSTER analytics'])
    // Its codec where the rows are only.
    expect(steps.filter((s) => /MODIFY COLUMN import_id/.test(s)).map((s) => s.split(' ').slice(0, 6).join(' '))).toEqual(['ALTER TABLE cairn.events_local ON CLUSTER analytics'])
  })

  it('sends ALTERs to the local tables on every node', () => {
    expect(alterTarget('events', 'analytics')).toBe('cairn.events_local ON CLUSTER analytics')
    expect(alterTarget('salts', 'analytics')).toBe('cairn.salts ON CLUSTER analytics')
    expect(alterTarget('events', undefined)).toBe('cairn.events')
    expect(() => alterTarget('events', "x'; DROP")).toThrow(/not a cluster name/)
  })
})
