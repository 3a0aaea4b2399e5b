/**
 * What the SQL door lets through, decided on ClickHouse's own parse of the statement, by allowlist.
 *
 * The engine parses the analyst's text (`formatQuerySingleLine`, with the text as a bound parameter, so it
 * is data to that query): one statement or a syntax error. The door then runs the engine's canonical text
 * of that statement, never the text it was sent, and reads the canonical text's tree from `EXPLAIN AST`.
 * Every node of the tree must be of a kind listed here; every table it names must be on the allowlist (or
 * not exist, as a CTE's name does not); every table function too; no function that reaches outside the
 * data; no SETTINGS, no INTO OUTFILE; the statement itself must be a read.
 */
import type { Storage } from '../../../sql/client.ts'

/**
 * Tables and views analysts may read: the event data (imported days' figures too; not the list of
 * imports, which names who ran them), and what clients read to look around.
 */
export const READABLE_TABLES = new Set([
  'cairn.events', 'cairn.sessions', 'cairn.sessions_data', 'cairn.pageviews', 'cairn.downloads', 'cairn.outbound_clicks', 'cairn.daily_stats',
  'cairn.imported_aggregates',
  'system.one', 'system.numbers', 'system.numbers_mt', 'system.zeros', 'system.zeros_mt', 'system.databases', 'system.tables',
  'system.columns', 'system.functions', 'system.table_functions', 'system.formats', 'system.data_type_families', 'system.time_zones',
  'information_schema.tables', 'information_schema.columns', 'information_schema.schemata', 'INFORMATION_SCHEMA.TABLES',
  'INFORMATION_SCHEMA.COLUMNS', 'INFORMATION_SCHEMA.SCHEMATA',
])

/** Table functions that only generate rows. */
const TABLE_FUNCTIONS = new Set(['numbers', 'numbers_mt', 'generateseries', 'generate_series', 'values'])

/**
 * Functions that reach outside the rows a query reads: files, the host, dictionaries and Join tables
 * (other tables by name), server settings and logs, counters kept in Keeper, LLM providers over the
 * network. Table functions other than the ones above are refused wherever they appear, so `file` as a
 * function is too. Compared in lower case, and by prefix for families. Every function of the engine was
 * reviewed against this list; test/door-functions.test.ts names any the engine adds.
 */
const FORBIDDEN_FUNCTIONS = new Set([
  'file', 'filesystemavailable', 'filesystemcapacity', 'filesystemunreserved', 'getmacro', 'getserversetting', 'getserverport', 'tcpport',
  'getclienthttpheader', 'showcertificate', 'catboostevaluate', 'hascolumnintable', 'joinget', 'joingetornull', 'hostname', 'fqdn',
  'fullhostname', 'displayname', 'serveruuid', 'zookeepersessionuptime', 'getmergetreesetting', 'logtrace', 'dicthas', 'dictisin',
  'generateserialid', 'aiclassify', 'aiembed', 'aiextract', 'aigenerate', 'aitranslate',
])
const FORBIDDEN_PREFIXES = ['dictget', 'naivebayes', 'addressto', 'demangle', 'trace']

/** Whether a function (not a table function) reaches outside the rows. */
export function isForbiddenFunction(name: string): boolean {
  const lower = name.toLowerCase()
  return FORBIDDEN_FUNCTIONS.has(lower) || FORBIDDEN_PREFIXES.some((p) => lower.startsWith(p))
}

/** `x IN t`: the right side may name a table. */
const IN_FUNCTIONS = new Set(
  ['in', 'notin', 'globalin', 'globalnotin', 'nullin', 'notnullin', 'globalnullin', 'globalnotnullin'].flatMap((f) => [f, `${f}ignoreset`]),
)

/** Output formats: text, JSON, columnar and row-binary ones; not those that read a schema or template file. */
export const FORMATS = new Set([
  'TabSeparated', 'TabSeparatedRaw', 'TabSeparatedWithNames', 'TabSeparatedWithNamesAndTypes', 'TabSeparatedRawWithNames',
  'TabSeparatedRawWithNamesAndTypes', 'TSV', 'TSVRaw', 'TSVWithNames', 'TSVWithNamesAndTypes', 'TSVRawWithNames', 'TSVRawWithNamesAndTypes',
  'CSV', 'CSVWithNames', 'CSVWithNamesAndTypes', 'JSON', 'JSONStrings', 'JSONCompact', 'JSONCompactStrings', 'JSONColumns',
  'JSONColumnsWithMetadata', 'JSONCompactColumns', 'JSONEachRow', 'JSONStringsEachRow', 'JSONCompactEachRow', 'JSONCompactEachRowWithNames',
  'JSONCompactEachRowWithNamesAndTypes', 'JSONCompactStringsEachRow', 'JSONCompactStringsEachRowWithNames',
  'JSONCompactStringsEachRowWithNamesAndTypes', 'JSONObjectEachRow', 'JSONLines', 'JSONL', 'NDJSON', 'PrettyJSONEachRow', 'PrettyJSONLines',
  'PrettyNDJSON', 'JSONEachRowWithProgress', 'JSONStringsEachRowWithProgress', 'JSONCompactEachRowWithProgress',
  'JSONCompactStringsEachRowWithProgress', 'Pretty', 'PrettyCompact', 'PrettyCompactMonoBlock', 'PrettyCompactNoEscapes',
  'PrettyCompactNoEscapesMonoBlock', 'PrettyMonoBlock', 'PrettyNoEscapes', 'PrettyNoEscapesMonoBlock', 'PrettySpace', 'PrettySpaceMonoBlock',
  'PrettySpaceNoEscapes', 'PrettySpaceNoEscapesMonoBlock', 'Vertical', 'Markdown', 'MD', 'XML', 'Values', 'SQLInsert', 'TSKV', 'Parquet', 'Arrow',
  'ArrowStream', 'ORC', 'Avro', 'Native', 'RowBinary', 'RowBinaryWithNames', 'RowBinaryWithNamesAndTypes', 'MsgPack', 'BSONEachRow',
  'LineAsString', 'RawBLOB', 'Null',
])
const FORMAT_BY_LOWER_NAME = new Map([...FORMATS].map((f) => [f.toLowerCase(), f]))

/** Kinds of tree node a read statement is made of (EXPLAIN AST's names). Anything else is refused. */
const NODE_KINDS = new Set([
  'SelectWithUnionQuery', 'SelectIntersectExceptQuery', 'SelectQuery', 'ExpressionList', 'TablesInSelectQuery', 'TablesInSelectQueryElement',
  'TableExpression', 'TableIdentifier', 'TableJoin', 'ArrayJoin', 'Subquery', 'WithElement', 'Function', 'Identifier', 'Literal', 'Asterisk',
  'QualifiedAsterisk', 'ColumnsRegexpMatcher', 'ColumnsListMatcher', 'QualifiedColumnsRegexpMatcher', 'QualifiedColumnsListMatcher',
  'ColumnsTransformerList', 'ColumnsApplyTransformer', 'ColumnsExceptTransformer', 'ColumnsReplaceTransformer',
  'ColumnsReplaceTransformer::Replacement', 'OrderByElement', 'InterpolateElement', 'WindowDefinition', 'WindowListElement', 'SampleRatio',
])
/** Statements that read, as the tree's root. SHOW statements of several kinds share a node name; the canonical text tells them apart. */
const STATEMENTS: Record<string, RegExp | undefined> = {
  SelectWithUnionQuery: undefined,
  DescribeQuery: undefined,
  ExistsTableQuery: undefined,
  ShowCreateTableQuery: /^SHOW CREATE (TEMPORARY )?(TABLE |VIEW )?\S/,
  ShowTables: /^SHOW (FULL )?(TABLES|DATABASES)\b/,
  ShowColumns: /^SHOW (EXTENDED )?(FULL )?(COLUMNS|FIELDS)\b/,
}

export interface AstNode {
  kind: string
  /** What follows the kind on its line: a name, a literal, `(alias …)`; without the child count. */
  text: string
  children: AstNode[]
}

/**
 * The tree of `EXPLAIN AST` (`text`), checked against its `graph = 1` form of the same statement. Both print
 * names as they are, so a name with a line break in it would add lines; such a line cannot fit both forms
 * (one starts each line with a capitalised kind, the other with `n<id>`), so the tree is returned only when
 * every line of both is a line the engine wrote: one line per node.
 */
export function parseAst(text: string, graph: string): AstNode | undefined {
  const lines = text.replace(/\n$/, '').split('\n')
  const graphLines = graph.replace(/\n$/, '').split('\n')
  let declared = 0
  for (const line of graphLines) {
    if (/^ {4}n\d+\[label=".*"\];$/.test(line)) declared++
    else if (!/^(digraph \{| {4}rankdir="UD";| {4}n\d+ -> n\d+;|\})$/.test(line)) return undefined
  }
  if (declared !== lines.length) return undefined
  const root: AstNode[] = []
  const stack: AstNode[] = []
  const declaredChildren = new Map<AstNode, number>()
  for (const line of lines) {
    const match = /^( *)([A-Z][A-Za-z]*(?:::[A-Za-z]+)?)((?: .*?)??)(?: \(children (\d+)\))?$/.exec(line)
    if (!match) return undefined
    const depth = match[1]!.length
    if (depth > stack.length || (depth === 0 && root.length > 0)) return undefined
    stack.length = depth
    const node: AstNode = { kind: match[2]!, text: match[3]!.slice(1), children: [] }
    ;(depth === 0 ? root : stack[depth - 1]!.children).push(node)
    stack.push(node)
    declaredChildren.set(node, Number(match[4] ?? 0))
  }
  // The child counts the engine printed must be what the lines gave.
  for (const [node, count] of declaredChildren) if (node.children.length !== count) return undefined
  return root[0]
}

export interface Catalog {
  /** Every existing table, as `database.name`. */
  tables: Set<string>
  /** Every table function's name, lower case. */
  tableFunctions: Set<string>
  /** Every format's name, lower case. */
  formats: Set<string>
}

export interface Refusal {
  code: number
  type: string
  message: string
}

const readonly = (message: string): Refusal => ({ code: 164, type: 'READONLY', message: `Cannot execute query in readonly mode: ${message}` })
const denied = (message: string): Refusal => ({ code: 497, type: 'ACCESS_DENIED', message })

/** Why the statement cannot pass, or its FORMAT clause (if any) when it can. */
export function refusal(tree: AstNode, canonical: string, catalog: Catalog): Refusal | { format: string | undefined } {
  if (!(tree.kind in STATEMENTS)) return readonly(`only SELECT, WITH, DESCRIBE, EXISTS and SHOW TABLES, DATABASES, COLUMNS or CREATE pass this door, not ${tree.kind}`)
  const shape = STATEMENTS[tree.kind]
  if (shape && !shape.test(canonical)) return readonly(`${canonical.split(' ').slice(0, 3).join(' ')} does not pass this door`)

  // The statement's own children come first; INTO OUTFILE (a literal), FORMAT (an identifier) and
  // SETTINGS (a Set) are appended after them.
  let own: number
  if (tree.kind === 'ExistsTableQuery' || tree.kind === 'ShowCreateTableQuery') {
    const names = /^(\w*) (\w+)$/.exec(tree.text)
    if (!names) return readonly('table names other than letters, digits and _ are not supported here')
    own = names[1] ? 2 : 1
  } else if (tree.kind === 'ShowTables') {
    // SHOW TABLES [FROM db]: an identifier that names a format is the FORMAT clause.
    own = tree.children[0]?.kind === 'Identifier' && !catalog.formats.has(tree.children[0].text.toLowerCase()) ? 1 : 0
  } else own = tree.kind === 'ShowColumns' ? 0 : 1
  let format: string | undefined
  for (const clause of tree.children.slice(own)) {
    if (clause.kind === 'Literal') return readonly('INTO OUTFILE is not allowed')
    if (clause.kind === 'Set') return readonly('SETTINGS cannot be changed through this door')
    if (clause.kind !== 'Identifier' || format !== undefined) return readonly(`${clause.kind} after the statement is not allowed`)
    format = FORMAT_BY_LOWER_NAME.get(clause.text.toLowerCase()) ?? clause.text
    if (!FORMATS.has(format)) return denied(`FORMAT ${format} is not available through this door`)
  }
  const statement: AstNode = { ...tree, children: tree.children.slice(0, own) }

  const tableRefusal = (name: string): Refusal | undefined => {
    const qualified = name.includes('.') ? name : `cairn.${name}`
    // A name that is no table is a CTE's or an alias, or the engine will say it does not exist.
    return catalog.tables.has(qualified) && !READABLE_TABLES.has(qualified) ? denied(`${qualified} is not readable through this door`) : undefined
  }
  const nameOf = (node: AstNode) => /^(\S*?)(?: \(alias .*\))?$/.exec(node.text)?.[1] ?? node.text

  if (tree.kind === 'ExistsTableQuery' || tree.kind === 'ShowCreateTableQuery') {
    const refused = tableRefusal(statement.children.map(nameOf).join('.'))
    if (refused) return refused
  }

  const visit = (node: AstNode, parent: AstNode | undefined): Refusal | undefined => {
    if (node !== statement) {
      if (node.kind === 'Set') return readonly('SETTINGS cannot be changed through this door')
      if (!NODE_KINDS.has(node.kind)) return readonly(`${node.kind} is not supported through this door`)
    }
    if (node.kind === 'TableIdentifier') {
      const refused = tableRefusal(nameOf(node))
      if (refused) return refused
    }
    if (node.kind === 'Function') {
      const name = nameOf(node).toLowerCase()
      const asTable = parent?.kind === 'TableExpression'
      if ((asTable || catalog.tableFunctions.has(name)) && !TABLE_FUNCTIONS.has(name)) return denied(`${nameOf(node)}() is not allowed through this door`)
      if (isForbiddenFunction(name)) return denied(`${nameOf(node)}() is not allowed through this door`)
      const table = IN_FUNCTIONS.has(name) ? node.children[0]?.children[1] : undefined
      if (table?.kind === 'Identifier') {
        const refused = tableRefusal(nameOf(table))
        if (refused) return refused
      }
    }
    for (const child of node.children) {
      const refused = visit(child, node)
      if (refused) return refused
    }
    return undefined
  }
  const refused = visit(statement, undefined)
  return refused ?? { format }
}

function isRefusal(result: Refusal | { format: string | undefined }): result is Refusal {
  return 'code' in result
}

export type Inspection = { canonical: string; format: string | undefined } | Refusal

/**
 * Asks the engine for the statement's canonical text, its tree (with the request's parameters, so an
 * Identifier parameter shows the table it stands for) and the catalog, then decides.
 */
export async function inspect(storage: Storage, sql: string, params: Record<string, string>): Promise<Inspection> {
  const settings = Object.fromEntries(Object.entries(params).map(([name, value]) => [`param_${name}`, value]))
  const parsed = await storage
    .query({ query: 'SELECT formatQuerySingleLine({q:String}) AS canonical', query_params: { q: sql }, format: 'JSONEachRow' })
    .then((r) => r.json<{ canonical: string }>())
    .catch((error: Error) => {
      // A syntax error is about the analyst's text, not the query that parsed it.
      error.message = error.message.replace(/[.:\s]*In scope SELECT formatQuerySingleLine[\s\S]*$/, '')
      throw error
    })
  const canonical = parsed[0]!.canonical
  const explain = async (options: string) =>
    readAll((await storage.exec({ query: `EXPLAIN AST ${options}${canonical}`, clickhouse_settings: { ...settings, default_format: 'TabSeparatedRaw' } })).stream)
  // Each in a session of its own, side by side.
  const [text, graph, catalog] = await Promise.all([
    explain(''),
    explain('graph = 1 '),
    storage
      .query({
        query: `SELECT (SELECT groupArray(database || '.' || name) FROM system.tables) AS tables,
                  (SELECT groupArray(lower(name)) FROM system.table_functions) AS functions,
                  (SELECT groupArray(lower(name)) FROM system.formats) AS formats`,
        format: 'JSONEachRow',
      })
      .then((r) => r.json<{ tables: string[]; functions: string[]; formats: string[] }>()),
  ])
  const { tables, functions, formats } = catalog[0]!
  const tree = parseAst(text, graph)
  if (!tree) return readonly('names with line breaks or other control characters are not supported through this door')
  const decided = refusal(tree, canonical, { tables: new Set(tables), tableFunctions: new Set(functions), formats: new Set(formats) })
  return isRefusal(decided) ? decided : { canonical, format: decided.format }
}

async function readAll(stream: AsyncIterable<Buffer | string>): Promise<string> {
  let text = ''
  for await (const chunk of stream) text += chunk.toString()
  return text
}
