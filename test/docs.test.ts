/**
 * The list of dimensions in docs/stats-api.md is the declaration's (sql/dimensions.ts): when they differ,
 * this test fails and prints the table to paste between the markers.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { DIMENSIONS } from '../sql/dimensions.ts'

const START = '<!-- dimensions: from sql/dimensions.ts, checked by test/docs.test.ts -->'
const END = '<!-- /dimensions -->'

function table(): string {
  const lines = ['| name | filter | `breakdown/{name}`: rows | metrics |', '|---|---|---|---|']
  for (const d of DIMENSIONS) {
    const b = 'breakdown' in d ? d.breakdown : undefined
    const filter = d.filter ? (d.kind === 'event' ? 'the events, and their visits' : d.kind === 'visit' ? 'whole visits' : 'visits, and their events') : '—'
    lines.push(`| \`${d.name}\` | ${filter} | ${b ? b.rows : '—'} | ${b ? b.metrics.map((m) => `\`${m}\``).join(', ') : '—'} |`)
  }
  return lines.join('\n')
}

describe('docs/stats-api.md', () => {
  it('lists the declared dimensions', () => {
    const doc = readFileSync(new URL('../docs/stats-api.md', import.meta.url), 'utf8')
    const section = doc.slice(doc.indexOf(START) + START.length, doc.indexOf(END)).trim()
    expect(doc.indexOf(START), 'the markers are in the document').toBeGreaterThan(0)
    expect(section, `paste between the markers:\n${table()}`).toBe(table())
  })
})
