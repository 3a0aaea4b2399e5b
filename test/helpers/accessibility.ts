/** axe-core run on a page in Chromium: the WCAG 2.0 and 2.1 A and AA rules, each violation as "rule: targets". */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type { Page } from 'playwright-core'

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']

interface Violation {
  id: string
  impact: string | null
  nodes: { target: unknown }[]
}

async function violations(page: Page): Promise<Violation[]> {
  await page.evaluate(AXE)
  const result = (await page.evaluate(
    (values) => (window as unknown as { axe: { run(c: unknown, o: unknown): Promise<unknown> } }).axe.run(document, { runOnly: { type: 'tag', values } }),
    WCAG_21_AA,
  )) as { violations: Violation[] }
  return result.violations
}

const described = (v: Violation) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`

/** Every violation. */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  return (await violations(page)).map(described)
}

/** The serious and critical violations only. */
export async function seriousViolations(page: Page): Promise<string[]> {
  return (await violations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical').map(described)
}
