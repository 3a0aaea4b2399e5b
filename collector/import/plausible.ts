/**
 * Plausible CE's CSV export (the zip its "Export" makes, or its files one by one; a Cairn export's
 * `plausible/` folder too) into cairn.imported_aggregates: its daily tables, each row becoming a row per
 * dimension it gives (a source row: `source` and each UTM value it has), named as Cairn's dimensions are.
 * A file is known by its name, `imported_<table>_YYYYMMDD_YYYYMMDD.csv`, as Plausible names them. Names
 * Plausible gives differently from the collector are renamed (`Direct / None` is no source, `Mac` is macOS,
 * `Desktop` and `Laptop` are desktop); regions and cities are not kept, as Cairn has none.
 */
import type { Format, ReadPlan } from './format.ts'

const STRUCTURE = [
  'date Date', 'visitors UInt64', 'pageviews UInt64', 'bounces UInt64', 'visits UInt64', 'visit_duration UInt64', 'source String', 'referrer String',
  'utm_source String', 'utm_medium String', 'utm_campaign String', 'utm_content String', 'utm_term String', 'hostname String', 'page String',
  'entry_page String', 'entrances UInt64', 'exit_page String', 'exits UInt64', 'name String', 'link_url String', 'events UInt64', 'country String',
  'device String', 'browser String', 'browser_version String', 'operating_system String', 'operating_system_version String',
].join(', ')

const rename = (column: string, pairs: [string, string][]) =>
  `transform(${column}, [${pairs.map(([p]) => `'${p}'`).join(', ')}], [${pairs.map(([, c]) => `'${c}'`).join(', ')}], ${column})`

/** Each table: the (dimension, value) pairs a row gives, and what its visits and events are. */
const TABLES: Record<string, { dims: string; visits?: string; events?: string; where?: string }> = {
  visitors: { dims: "[('', '')]" },
  sources: {
    dims: `[('source', if(source = 'Direct / None', '', source)), ('utm_source', utm_source), ('utm_medium', utm_medium), ('utm_campaign', utm_campaign),
            ('utm_content', utm_content), ('utm_term', utm_term)]`,
  },
  pages: { dims: "[('page', page), ('hostname', replaceRegexpOne(hostname, '^www\\\\.', ''))]" },
  entry_pages: { dims: "[('entry_page', entry_page)]", visits: 'entrances' },
  exit_pages: { dims: "[('exit_page', exit_page)]", visits: 'exits' },
  // Plausible's exporter writes engagement too, which is no event of Cairn's.
  custom_events: {
    dims: "[multiIf(name = 'File Download', ('download', link_url), name = 'Outbound Link: Click', ('outbound', link_url), ('event', name))]", events: 'events',
    where: "name NOT IN ('engagement', '')",
  },
  locations: { dims: "[('country', upper(country))]" },
  devices: { dims: "[('device', if(lower(device) = 'laptop', 'desktop', lower(device)))]" },
  browsers: { dims: `[('browser', ${rename('browser', [['Microsoft Edge', 'Edge'], ['Samsung Browser', 'Samsung Internet']])}), ('browser_version', browser_version)]` },
  operating_systems: {
    dims: `[('os', ${rename('operating_system', [['Mac', 'macOS'], ['GNU/Linux', 'Linux']])}), ('os_version', operating_system_version)]`,
  },
}

/** A row's dimensions: the day's totals and the first of each table always, the others (UTM values, …) when given. */
const insert = (table: string) => (source: string, staging: string) => {
  const { dims, visits = 'visits', events = '0', where } = TABLES[table]!
  return `
    INSERT INTO ${staging} (site, import_id, date, dimension, value, visitors, visits, pageviews, events, bounces, visit_duration)
    SELECT {site:String}, {id:UInt32}, date, pair.1, pair.2, visitors, ${visits}, pageviews, ${events}, bounces, visit_duration
    FROM ${source}
    ARRAY JOIN arrayFilter((p, i) -> i = 1 OR p.2 != '', ${dims}, arrayEnumerate(${dims})) AS pair${where ? `
    WHERE ${where}` : ''}`
}

const TABLE_NAME = /(?:^|\/)imported_([a-z_]+?)(?:_\d{8}_\d{8})?\.csv$/

export const plausible: Format = {
  kind: 'plausible',
  plan(file, type, _head, inZip): ReadPlan | string | null {
    const table = TABLE_NAME.exec(file.name)?.[1]
    if (!table || !(table in TABLES) || type !== 'text') return inZip ? null : 'api.import.file.notPlausible'
    return { format: 'CSVWithNames', structure: STRUCTURE, insert: insert(table) }
  },
}
