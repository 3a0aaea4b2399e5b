/**
 * Tracker size: builds tracker/dist and prints every file's raw, gzip -9 and brotli sizes, each against
 * its budget (core 1,400 B, banner adapter 350 B, extension 400 B gzip -9; `auto` has none). For scale:
 * Plausible's full-featured script transfers about 1.9 KB, Umami's 2.4 KB.
 */
import { readFileSync } from 'node:fs'
import { BUDGET, brotliSize, buildTracker, gzipSize } from '../tracker/build.ts'
import { TRACKER_DIST as distDir } from '../tracker/dist.ts'

const PLAUSIBLE_FULL_GZIP = 1900
const sizes = await buildTracker()
console.log('file'.padEnd(34), 'raw'.padStart(6), 'gzip-9'.padStart(7), 'brotli'.padStart(7), 'budget'.padStart(7), ' gzip/budget')
for (const file of Object.keys(sizes)) {
  const content = readFileSync(distDir + file)
  const budget =
    file === 'cairn.js' ? BUDGET.core : file.includes('.auto.') ? undefined : file.startsWith('cairn.ext.') ? BUDGET.extension : BUDGET.adapter
  const gzip = gzipSize(content)
  console.log(
    file.padEnd(34),
    String(content.length).padStart(6),
    String(gzip).padStart(7),
    String(brotliSize(content)).padStart(7),
    String(budget ?? '-').padStart(7),
    budget ? ` ${(gzip / budget).toFixed(3)}${gzip > budget ? '  OVER BUDGET' : ''}` : '',
  )
}
const core = gzipSize(readFileSync(distDir + 'cairn.js'))
console.log(`\ncore vs Plausible's full-featured script (~${PLAUSIBLE_FULL_GZIP} B): ${(core / PLAUSIBLE_FULL_GZIP).toFixed(2)}`)
