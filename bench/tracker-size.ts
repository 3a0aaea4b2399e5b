/**
 * Tracker size: builds tracker/dist and prints every file's raw, gzip, served gzip and brotli sizes, each
 * against its budget (core 1,400 B, banner adapter 350 B, extension 400 B gzip; `auto` has none). `gzip` is
 * tracker/build.ts's `gzipSize`, the strictest common measure (the largest of zlib -9 plus the file name
 * field that `gzip -9 file` writes, and the `gzip -9` / `gzip -6` command's own output): the budgets hold
 * under it. `served` is what the collector sends (zlib -9, no name). For scale: Plausible's
 * full-featured script transfers about 1.9 KB, Umami's 2.4 KB.
 */
import { readFileSync } from 'node:fs'
import { BUDGET, brotliSize, buildTracker, servedGzipSize } from '../tracker/build.ts'
import { TRACKER_DIST as distDir } from '../tracker/dist.ts'

const PLAUSIBLE_FULL_GZIP = 1900
const sizes = await buildTracker()
console.log('file'.padEnd(34), 'raw'.padStart(6), 'gzip'.padStart(6), 'served'.padStart(7), 'brotli'.padStart(7), 'budget'.padStart(7), ' gzip/budget')
for (const [file, gzip] of Object.entries(sizes)) {
  const content = readFileSync(distDir + file)
  const budget =
    file === 'cairn.js' ? BUDGET.core : file.includes('.auto.') ? undefined : file.startsWith('cairn.ext.') ? BUDGET.extension : BUDGET.adapter
  console.log(
    file.padEnd(34),
    String(content.length).padStart(6),
    String(gzip).padStart(6),
    String(servedGzipSize(content)).padStart(7),
    String(brotliSize(content)).padStart(7),
    String(budget ?? '-').padStart(7),
    budget ? ` ${(gzip / budget).toFixed(3)}${gzip > budget ? '  OVER BUDGET' : ''}` : '',
  )
}
const core = servedGzipSize(readFileSync(distDir + 'cairn.js'))
console.log(`\ncore as served vs Plausible's full-featured script (~${PLAUSIBLE_FULL_GZIP} B): ${(core / PLAUSIBLE_FULL_GZIP).toFixed(2)}`)
