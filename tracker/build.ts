/**
 * Builds tracker/dist: cairn.js (the core) and one cairn.consent.<cmp>.js per banner adapter. esbuild
 * bundles each for browsers from 2020 on (ES2020); terser's repeated passes and top-level mangling then
 * shave the last bytes off. Prints each file's gzip -9 size.
 */
import { build } from 'esbuild'
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { minify } from 'terser'
import { TRACKER_DIST } from './dist.ts'

const here = fileURLToPath(new URL('.', import.meta.url))

/** Every file in src/consent/ but the shared helper is a banner adapter with `start()`. */
export const adapters = readdirSync(here + 'src/consent')
  .filter((f) => f.endsWith('.ts') && f != 'report.ts')
  .map((f) => f.replace(/\.ts$/, ''))

export async function buildTracker(): Promise<Record<string, number>> {
  const common = { bundle: true, format: 'iife', target: 'es2020', legalComments: 'none', logLevel: 'warning', write: false } as const
  const outputs: Record<string, string> = {}
  const core = await build({ ...common, entryPoints: [here + 'src/cairn.ts'] })
  outputs['cairn.js'] = core.outputFiles[0]!.text
  // An adapter runs its start() and nothing else; the core loads it with import().
  for (const name of adapters) {
    const adapter = await build({
      ...common,
      stdin: { contents: `import { start } from './${name}.ts'; start()`, resolveDir: here + 'src/consent', loader: 'ts' },
    })
    outputs[`cairn.consent.${name}.js`] = adapter.outputFiles[0]!.text
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
    sizes[file] = gzipSize(Buffer.from(code!))
  }
  return sizes
}

export function gzipSize(content: Buffer): number {
  return gzipSync(content, { level: 9 }).length
}

export function brotliSize(content: Buffer): number {
  return brotliCompressSync(content, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const sizes = await buildTracker()
  for (const [file, size] of Object.entries(sizes)) console.log(`tracker/dist/${file}: ${size} bytes gzip -9`)
}
