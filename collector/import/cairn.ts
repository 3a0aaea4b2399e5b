/**
 * Another Cairn's export (sql/site-export.ts: the zip, or its `events/YYYY-MM.parquet` files) as events
 * of this one: how a site moves between servers. Its events keep their ids, visitors, visits and times,
 * so the dashboard shows the same figures; they take this site's name and the import's id. The zip's other
 * files (the same events as CSV, the visits, which are made again from the events, Plausible's tables,
 * the README) are not read.
 */
import type { Format, ReadPlan } from './format.ts'

const COLUMNS: [string, string][] = [
  ['timestamp', "DateTime64(3, 'UTC')"], ['name', 'String'], ['visitor_id', 'UInt64'], ['session_id', 'UInt64'],
  ['session_start', "DateTime64(3, 'UTC')"], ['consent', 'Bool'], ['interactive', 'Bool'], ['hostname', 'String'], ['pathname', 'String'],
  ['referrer', 'String'], ['referrer_source', 'String'], ['utm_source', 'String'], ['utm_medium', 'String'], ['utm_campaign', 'String'],
  ['utm_content', 'String'], ['utm_term', 'String'], ['link_url', 'String'], ['browser', 'String'], ['browser_version', 'String'], ['os', 'String'],
  ['os_version', 'String'], ['device', 'String'], ['country_code', 'String'], ['ip_truncated', 'String'], ['props', 'Map(String, String)'],
  ['engagement_ms', 'UInt32'], ['scroll_depth', 'UInt8'],
]

const STRUCTURE = COLUMNS.map(([name, type]) => `${name} ${type}`).join(', ')

const insert = (source: string, staging: string) => `
  INSERT INTO ${staging} (site, import_id, ${COLUMNS.map(([name]) => name).join(', ')})
  SELECT {site:String}, {id:UInt32}, ${COLUMNS.map(([name]) => (name === 'ip_truncated' ? "toIPv6OrDefault(ip_truncated)" : name)).join(', ')}
  FROM ${source}`

export const cairn: Format = {
  kind: 'cairn',
  plan(file, type, _head, inZip): ReadPlan | string | null {
    if (type === 'parquet' && (!inZip || /(?:^|\/)events\/[^/]+\.parquet$/.test(file.name))) return { format: 'Parquet', structure: STRUCTURE, insert }
    return inZip ? null : 'api.import.file.notCairn'
  },
}
