/**
 * Builds dashboard/dist: one content-hashed bundle of the Lit app (uPlot and its CSS included, no CDN),
 * chunks for what only some screens use (the settings), loaded when they open,
 * one content-hashed module per language (its messages compiled to functions by messageformat, so no
 * message parser or formatter is in the bundle and a page loads only its own language), the country
 * flags (SVG, from flag-icons: no emoji font needed), and the index.html that loads the app.
 */
import { build } from 'esbuild'
import compileModuleExport from '@messageformat/core/lib/compile-module.js'
import { createHash } from 'node:crypto'
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { basename } from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { DASHBOARD_DIST } from './dist.ts'
import { BROWSER_KEYS, LANGUAGES, type Language } from './i18n/languages.ts'
import { CATALOGUES, MessageFormat } from './i18n/translate.ts'

const here = fileURLToPath(new URL('.', import.meta.url))
/** CommonJS (`module.exports` is the function), typed as an ES module's default export. */
const compileModule = compileModuleExport as unknown as typeof compileModuleExport.default
const require = createRequire(import.meta.url)

/**
 * A language's browser messages as an ES module of functions, bundled with the bits of messageformat's
 * runtime and plural rules they use. They return their parts (`returnType: 'values'`), so a value that
 * is a Lit template stays one.
 */
export async function browserCatalogue(language: Language): Promise<Uint8Array> {
  const messages = Object.fromEntries(Object.entries(CATALOGUES[language]).filter(([key]) => BROWSER_KEYS.test(key)))
  const source = compileModule(new MessageFormat<'values'>(language, { returnType: 'values' }), messages)
  const result = await build({
    stdin: { contents: source, resolveDir: here, loader: 'js', sourcefile: `i18n/${language}.json` },
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  })
  return result.outputFiles[0]!.contents
}

export async function buildDashboard(): Promise<{ bundle: string; bytes: number; chunks: { file: string; bytes: number }[]; catalogues: Record<Language, { file: string; bytes: number }> }> {
  rmSync(DASHBOARD_DIST, { recursive: true, force: true })
  mkdirSync(DASHBOARD_DIST + 'assets', { recursive: true })
  const catalogues = Object.fromEntries(
    await Promise.all(
      LANGUAGES.map(async (language) => {
        const code = await browserCatalogue(language)
        const file = `i18n.${language}.${createHash('sha256').update(code).digest('base64url').slice(0, 10)}.js`
        writeFileSync(DASHBOARD_DIST + 'assets/' + file, code)
        return [language, { file, bytes: code.length }]
      }),
    ),
  ) as Record<Language, { file: string; bytes: number }>
  // Flags of countries (two-letter ISO codes), 4:3.
  const flags = fileURLToPath(new URL('./flags/4x3/', `file://${require.resolve('flag-icons/package.json')}`))
  mkdirSync(DASHBOARD_DIST + 'assets/flags')
  for (const file of readdirSync(flags).filter((f) => /^[a-z]{2}\.svg$/.test(f))) cpSync(flags + file, DASHBOARD_DIST + 'assets/flags/' + file)

  const result = await build({
    entryPoints: [here + 'ui/main.ts'],
    outdir: DASHBOARD_DIST + 'assets',
    entryNames: 'app.[hash]',
    // The settings' screens (and what only they use) become chunks loaded on first use.
    splitting: true,
    chunkNames: 'chunk.[hash]',
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    loader: { '.css': 'text' },
    define: { CATALOGUE_URLS: JSON.stringify(Object.fromEntries(LANGUAGES.map((l) => [l, `/assets/${catalogues[l].file}`]))) },
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
  })
  const outputs = Object.entries(result.metafile.outputs)
  const [output, meta] = outputs.find(([, out]) => out.entryPoint?.endsWith('ui/main.ts'))!
  const chunks = outputs.filter(([file]) => file !== output && file.endsWith('.js')).map(([file, out]) => ({ file: basename(file), bytes: out.bytes }))
  // The chunks the app imports at once are fetched beside it, not after it has been parsed.
  const preload = meta.imports.filter((i) => i.kind === 'import-statement').map((i) => `<link rel="modulepreload" href="/assets/${basename(i.path)}">\n`).join('')
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
${preload}<style>html,body{margin:0;background:#f6f7f9}@media (prefers-color-scheme:dark){html,body{background:#0f1419}}</style>
</head>
<body><cairn-app></cairn-app></body>
</html>
`,
  )
  return { bundle, bytes: meta.bytes, chunks, catalogues }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { bundle, bytes, chunks, catalogues } = await buildDashboard()
  console.log(`dashboard/dist/assets/${bundle}: ${bytes} bytes`)
  for (const { file, bytes } of chunks) console.log(`dashboard/dist/assets/${file}: ${bytes} bytes`)
  for (const { file, bytes } of Object.values(catalogues)) console.log(`dashboard/dist/assets/${file}: ${bytes} bytes`)
}
