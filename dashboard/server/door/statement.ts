/**
 * A look at an analyst's SQL before ClickHouse runs it, for what readonly = 1 does not forbid on an
 * embedded engine: several statements in one request, INTO OUTFILE (which chDB would write in this
 * process), and identifiers passed as query parameters (which would hide a table name from the checks).
 */

/** The text with string literals, quoted identifiers and comments blanked out, so keywords can be found. */
export function code(sql: string): string {
  let out = ''
  let i = 0
  while (i < sql.length) {
    const c = sql[i]!
    const next = sql[i + 1]
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1
      while (j < sql.length && sql[j] !== c) j += sql[j] === '\\' ? 2 : 1
      if (sql[j + 1] === c && c === "'") {
        // '' inside a string literal: keep scanning the same literal
        out += ' '.repeat(j + 1 - i)
        i = j + 1
        continue
      }
      out += ' '.repeat(Math.min(sql.length, j + 1) - i)
      i = j + 1
    } else if ((c === '-' && next === '-') || c === '#') {
      const end = sql.indexOf('\n', i)
      const stop = end === -1 ? sql.length : end
      out += ' '.repeat(stop - i)
      i = stop
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2)
      const stop = end === -1 ? sql.length : end + 2
      out += ' '.repeat(stop - i)
      i = stop
    } else {
      out += c
      i++
    }
  }
  return out
}

/** Why the statement cannot run through the door, or undefined. */
export function refusal(sql: string): string | undefined {
  const bare = code(sql)
  if (/;\s*\S/.test(bare)) return 'one statement per request'
  if (/\bINTO\s+OUTFILE\b/i.test(bare)) return 'INTO OUTFILE is not allowed'
  if (/\{\s*\w+\s*:\s*Identifier\s*\}/i.test(bare)) return 'query parameters of type Identifier are not allowed'
  return undefined
}

/** Tables analysts may read: the event data and its views, and the system tables clients use to look around. */
const FORBIDDEN_TABLES = new Set(['salts', 'users', 'memberships', 'login_sessions', 'api_keys', 'shared_links', 'restrictions', 'privacy_requests'])
const SYSTEM_TABLES = new Set(['one', 'numbers', 'numbers_mt', 'zeros', 'zeros_mt', 'tables', 'columns', 'databases', 'functions', 'formats', 'settings', 'time_zones', 'data_type_families', 'table_functions'])
/** Functions that reach outside the data (files, network, processes) or around the table checks. */
const FORBIDDEN_FUNCTIONS = new Set([
  'file', 'url', 'urlcluster', 's3', 's3cluster', 'remote', 'remotesecure', 'cluster', 'clusterallreplicas', 'executable',
  'input', 'mysql', 'postgresql', 'hdfs', 'hdfscluster', 'jdbc', 'odbc', 'sqlite', 'azureblobstorage', 'gcs', 'iceberg',
  'deltalake', 'hudi', 'mongodb', 'redis', 'dictionary', 'merge', 'loop', 'filesystemavailable', 'getmacro',
])

/** Checks what `EXPLAIN AST` says the statement reads and calls. */
export function astRefusal(ast: string): string | undefined {
  for (const line of ast.split('\n')) {
    const table = /TableIdentifier\s+([\w.`"]+)/.exec(line)?.[1]?.replace(/[`"]/g, '')
    if (table) {
      const [db, name] = table.includes('.') ? (table.split('.') as [string, string]) : ['cairn', table]
      if (db === 'system' ? !SYSTEM_TABLES.has(name) : db !== 'cairn' || FORBIDDEN_TABLES.has(name)) return `${table} is not readable through this door`
    }
    const fn = /\bFunction\s+(\w+)/.exec(line)?.[1]
    if (fn && FORBIDDEN_FUNCTIONS.has(fn.toLowerCase())) return `${fn}() is not allowed through this door`
  }
  return undefined
}
