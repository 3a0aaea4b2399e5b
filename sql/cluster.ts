/**
 * The same migrations on a ClickHouse cluster (CLICKHOUSE_CLUSTER): every statement runs ON CLUSTER, the
 * engines become Replicated*, and the event tables are split in a local table per shard plus a
 * Distributed table under the public name, so analysts' `cairn.events` and `cairn.sessions` keep working.
 * Events are sharded by session, so a visit's rows (and its rollup) live on one shard.
 */

/** Tables holding event data: sharded, the rest is replicated to every node. */
export const SHARDED: Record<string, string> = { events: 'sipHash64(session_id)', sessions_data: 'sipHash64(session_id)', event_counts: 'sipHash64(site)' }

const ENGINE = /ENGINE\s*=\s*(\w*MergeTree)(?:\(([^)]*)\))?/

/** One migration statement, rewritten for `cluster`. Returns one or more statements. */
export function toCluster(statement: string, cluster: string): string[] {
  const on = ` ON CLUSTER ${quoteIdentifier(cluster)}`
  const local = (name: string) => storedIn(name, cluster)

  const database = /^CREATE DATABASE IF NOT EXISTS (\w+)/.exec(statement)
  if (database) return [statement.replace(database[0], `${database[0]}${on}`)]

  const table = /^CREATE TABLE IF NOT EXISTS cairn\.(\w+)/.exec(statement)
  if (table) {
    const name = table[1]!
    const engine = ENGINE.exec(statement)
    if (!engine) return [statement.replace(table[0], `${table[0]}${on}`)]
    const [whole, kind, args] = engine
    const path = name in SHARDED ? `/clickhouse/tables/{shard}/cairn/${name}` : `/clickhouse/tables/cairn/${name}`
    const replicated = `ENGINE = Replicated${kind}('${path}', '{replica}'${args ? `, ${args}` : ''})`
    const created = statement.replace(table[0], `CREATE TABLE IF NOT EXISTS cairn.${local(name)}${on}`).replace(whole!, replicated)
    if (!(name in SHARDED)) return [created]
    return [
      created,
      `CREATE TABLE IF NOT EXISTS cairn.${name}${on} AS cairn.${local(name)}\nENGINE = Distributed(${quoteIdentifier(cluster)}, cairn, ${local(name)}, ${SHARDED[name]})`,
    ]
  }

  // A materialized view feeds the local rollup from the local events, on every shard.
  const mv = /^CREATE MATERIALIZED VIEW IF NOT EXISTS cairn\.(\w+) TO cairn\.(\w+)/.exec(statement)
  if (mv) {
    return [
      statement
        .replace(mv[0], `CREATE MATERIALIZED VIEW IF NOT EXISTS cairn.${mv[1]}${on} TO cairn.${local(mv[2]!)}`)
        .replace(/FROM cairn\.(\w+)/, (_, from: string) => `FROM cairn.${local(from)}`),
    ]
  }

  const view = /^(?:CREATE|DROP) VIEW IF (?:NOT )?EXISTS cairn\.(\w+)/.exec(statement)
  if (view) return [statement.replace(view[0], `${view[0]}${on}`)]

  // A table dropped (one a migration makes again) goes on every node, with its local table if it has one.
  const dropped = /^DROP TABLE IF EXISTS cairn\.(\w+)/.exec(statement)
  if (dropped) {
    const name = dropped[1]!
    const drop = statement.replace(dropped[0], `${dropped[0]}${on}`)
    return name in SHARDED ? [drop, statement.replace(dropped[0], `DROP TABLE IF EXISTS cairn.${local(name)}${on}`)] : [drop]
  }

  // A change of columns goes to the tables that store them: the local ones, on every node. A change of
  // structure (a column added, dropped or of another type: a statement without codecs or settings) goes to
  // the Distributed table too, whose columns must match; codecs, settings and mutations mean nothing there.
  const alter = /^ALTER TABLE cairn\.(\w+)/.exec(statement)
  if (alter) {
    const local = statement.replace(alter[0], `ALTER TABLE ${alterTarget(alter[1]!, cluster)}`)
    const structural = alter[1]! in SHARDED && /\b(?:ADD|DROP|MODIFY|RENAME) COLUMN\b/.test(statement) && !/\bCODEC\(|\bSETTING\b/.test(statement)
    return structural ? [local, statement.replace(alter[0], `${alter[0]}${on}`)] : [local]
  }
  return [statement]
}

/** The name of the table that stores a table's rows on this node: its local table when it is sharded on a cluster. */
export function storedIn(table: string, cluster: string | undefined): string {
  return cluster && table in SHARDED ? `${table}_local` : table
}

/** Where ALTERs (TTL, mutations) go: the local table on every node. */
export function alterTarget(table: string, cluster: string | undefined): string {
  if (!cluster) return `cairn.${table}`
  return `cairn.${storedIn(table, cluster)} ON CLUSTER ${quoteIdentifier(cluster)}`
}

function quoteIdentifier(name: string): string {
  if (!/^[\w.-]+$/.test(name)) throw new Error(`CLICKHOUSE_CLUSTER: "${name}" is not a cluster name`)
  return /^[A-Za-z_]\w*$/.test(name) ? name : `\`${name}\``
}
