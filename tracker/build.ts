/**
 * Builds tracker/dist: cairn.js (the core), one cairn.consent.<cmp>.js per banner adapter and one
 * cairn.ext.<name>.js per extension. esbuild bundles each for browsers from 2020 on (ES2020); terser's
 * repeated passes and top-level mangling then shave the last bytes off. Prints each file's gzip size
 * (`gzipSize`: the strictest of the common measures).
 */
import { build } from 'esbuild'
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { minify } from 'terser'
import { TRACKER_DIST } from './dist.ts'

const here = fileURLToPath(new URL('.', import.meta.url))

/** The modules of a folder of src/: every file but the shared helper, each with `start()`. */
const modules = (folder: string, helper: string) =>
  readdirSync(here + 'src/' + folder)
    .filter((f) => f.endsWith('.ts') && f != helper)
    .map((f) => f.replace(/\.ts$/, ''))

/** The banner adapters (src/consent/, `report.ts` shared), loaded by the core when data-consent names one. */
export const adapters = modules('consent', 'report.ts')

/** The extensions (src/ext/, `event.ts` shared), loaded by the core when data-extensions names them. */
export const extensions = modules('ext', 'event.ts')

/** Size budgets, gzip bytes by `gzipSize`: asserted by test/tracker-script.test.ts, printed by bench/tracker-size.ts. */
export const BUDGET = { core: 1400, adapter: 350, extension: 400 }

export async function buildTracker(): Promise<Record<string, number>> {
  const common = { bundle: true, format: 'iife', target: 'es2020', legalComments: 'none', logLevel: 'warning', write: false } as const
  const outputs: Record<string, string> = {}
  const core = await build({ ...common, entryPoints: [here + 'src/cairn.ts'] })
  outputs['cairn.js'] = core.outputFiles[0]!.text
  // An adapter or an extension runs its start() and nothing else; the core loads it with import().
  for (const [folder, names] of [['consent', adapters], ['ext', extensions]] as const) {
    for (const name of names) {
      const module = await build({
        ...common,
        stdin: { contents: `import { start } from './${name}.ts'; start()`, resolveDir: here + 'src/' + folder, loader: 'ts' },
      })
      outputs[`cairn.${folder}.${name}.js`] = module.outputFiles[0]!.text
    }
  }
  mkdirSync(TRACKER_DIST, { recursive: true })
  const sizes: Record<string, number> = {}
  for (const [file, bundled] of Object.entries(outputs)) {
    const { code } = await minify(bundled.replace(/^"use strict";/, ''), {
      ecma: 2020,
      toplevel: true,
      compress: { passes: 5, unsafe: true, unsafe_arrows: true, pure_getters: true, hoist_funs: true },
      format: { comments: false },
    })
    writeFileSync(TRACKER_DIST + file, code!)
    sizes[file] = gzipSize(TRACKER_DIST + file)
  }
  return sizes
}

/**
 * A built file's gzip size, the largest of the common ways to measure it, so that no usual tool finds a
 * file over its budget while the test passes:
 * - what the collector sends (collector/host/built-files.ts): zlib at level 9, a bare 10-byte header;
 * - `gzip -9 -c file | wc -c` and `gzip -c file | wc -c` (level 6): GNU gzip also writes the file's name
 *   into the header (`cairn.js` and a NUL: 9 bytes more; `cairn.ext.tagged.js`: 20), and its own deflate
 *   can come out a byte or two longer or shorter than zlib's. Counted twice: zlib's stream at levels 9 and 6
 *   plus the name, and the command's own output wherever a `gzip` command is on the PATH (CI's Linux).
 * The name field is what made a reviewer's `gzip -9` read 1,398 B for the core where zlib said 1,389 B.
 */
export function gzipSize(file: string): number {
  const content = readFileSync(file)
  const nameField = Buffer.byteLength(basename(file)) + 1
  const sizes = [9, 6].map((level) => gzipSync(content, { level }).length + nameField)
  for (const level of ['-9', '-6']) {
    const run = spawnSync('gzip', [level, '-c', file])
    if (run.status === 0) sizes.push(run.stdout.length)
  }
  return Math.max(...sizes)
}

/** The bytes the collector sends gzipped: zlib at level 9, no file name (collector/host/built-files.ts). */
export function servedGzipSize(content: Buffer): number {
  return gzipSync(content, { level: 9 }).length
}

export function brotliSize(content: Buffer): number {
  return brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = await buildTracker()
  for (const [file, size] of Object.entries(sizes)) console.log(`tracker/dist/${file}: ${size} bytes gzip`)
}
