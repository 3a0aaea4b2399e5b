/**
 * Builds dashboard/dist: one content-hashed bundle of the Lit app (uPlot and its CSS included, no CDN)
 * and the index.html that loads it.
 */
import { build } from 'esbuild'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { DASHBOARD_DIST } from './dist.ts'

const here = fileURLToPath(new URL('.', import.meta.url))

export async function buildDashboard(): Promise<{ bundle: string; bytes: number }> {
  rmSync(DASHBOARD_DIST, { recursive: true, force: true })
  mkdirSync(DASHBOARD_DIST + 'assets', { recursive: true })
  const result = await build({
    entryPoints: [here + 'ui/main.ts'],
    outdir: DASHBOARD_DIST + 'assets',
    entryNames: 'app.[hash]',
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    loader: { '.css': 'text' },
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  })
  const [output, meta] = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('.js'))!
  const bundle = basename(output)
  writeFileSync(
    DASHBOARD_DIST + 'index.html',
    `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="same-origin">
<title>Cairn</title>
<link rel="icon" href="data:,">
<script type="module" src="/assets/${bundle}"></script>
<style>html,body{margin:0;background:#f6f7f9}@media (prefers-color-scheme:dark){html,body{background:#0f1419}}</style>
</head>
<body><cairn-app></cairn-app></body>
</html>
`,
  )
  return { bundle, bytes: meta.bytes }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { bundle, bytes } = await buildDashboard()
  console.log(`dashboard/dist/assets/${bundle}: ${bytes} bytes`)
}
