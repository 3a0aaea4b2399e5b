/**
 * The dependency rule of ARCHITECTURE.md, read from the imports themselves (TypeScript's parser), so the
 * layout cannot rot: the pipeline's stages do not reach backwards, and route modules are leaves that only
 * the composition root mounts.
 */
import { readFileSync } from 'node:fs'
import { dirname, join, normalize, relative } from 'node:path'
import { execFileSync } from 'node:child_process'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')

interface Import {
  from: string
  to: string
  typeOnly: boolean
}

/** What each part of the tree may import (besides itself), by path prefix; the first that matches applies. */
const RULES: { part: string; may: string[]; types?: string[] }[] = [
  { part: 'sql/', may: ['sql/'] },
  { part: 'tracker/src/', may: ['tracker/src/'] },
  { part: 'collector/ingest/', may: ['collector/ingest/', 'sql/'] },
  // Histories from other tools into rows: named as the collector names what it collects.
  { part: 'collector/import/', may: ['collector/import/', 'collector/ingest/', 'sql/'] },
  // The catalogues and their formatting, for the server, the CLI and (languages.ts) the browser.
  { part: 'dashboard/i18n/', may: ['dashboard/i18n/', 'sql/dimensions.ts'] },
  { part: 'dashboard/server/', may: ['dashboard/server/', 'dashboard/i18n/', 'sql/'] },
  // Browser code: its own modules, the one declaration of dimensions, the list of languages; the server's
  // types, which vanish.
  { part: 'dashboard/ui/', may: ['dashboard/ui/', 'sql/dimensions.ts', 'dashboard/i18n/languages.ts'], types: ['dashboard/server/'] },
  // The process host (composition root, CLI, static files, health, privacy routes, demo) uses everything.
  { part: 'collector/host/', may: ['collector/', 'dashboard/', 'sql/', 'tracker/'] },
  { part: 'collector/bin/', may: ['collector/host/'] },
  // The builds and where they put their files.
  { part: 'dashboard/', may: ['dashboard/'] },
  { part: 'tracker/', may: ['tracker/'] },
]

/** Route modules: mounted by the composition root, imported by nothing else. */
const isRoute = (path: string) => /(^|\/)(route|routes)\.ts$|\/routes\/[^/]+\.ts$/.test(path)
const COMPOSITION_ROOT = 'collector/host/app.ts'

/** Every rule broken by these imports, in words. */
export function violations(imports: Import[]): string[] {
  const broken: string[] = []
  for (const { from, to, typeOnly } of imports) {
    if (from.startsWith('test/') || from.startsWith('bench/') || from.endsWith('.test.ts')) continue
    if (to.startsWith('test/')) broken.push(`${from} imports test code ${to}`)
    const rule = RULES.find((r) => from.startsWith(r.part))
    if (!rule) broken.push(`${from} is in no part of the layout`)
    else if (!rule.may.some((p) => to.startsWith(p)) && !(typeOnly && rule.types?.some((p) => to.startsWith(p)))) broken.push(`${from} imports ${to}`)
    if (isRoute(to) && from !== COMPOSITION_ROOT) broken.push(`${from} imports the route module ${to}`)
  }
  return broken
}

/** The relative imports of a file, resolved to paths from the repository's root. */
function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, false)
  const found: Import[] = []
  const add = (specifier: string, typeOnly: boolean) => {
    if (specifier.startsWith('.')) found.push({ from: file, to: normalize(join(dirname(file), specifier)), typeOnly })
  }
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause
      const onlyTypes = !!clause && (clause.isTypeOnly || (!clause.name && !!clause.namedBindings && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.every((e) => e.isTypeOnly)))
      add(node.moduleSpecifier.text, onlyTypes)
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) add(node.moduleSpecifier.text, node.isTypeOnly)
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) add(node.arguments[0].text, false)
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

const sources = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '*.ts', '*.js'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && !f.startsWith('node_modules/') && !f.includes('/dist/') && f !== 'vitest.config.ts')

describe('the layout', () => {
  it('keeps the dependency rule in every import', () => {
    expect(violations(sources.flatMap(importsOf))).toEqual([])
  })

  it('catches a wrong import (the rule is not vacuous)', () => {
    expect(violations([{ from: 'sql/migrate.ts', to: 'collector/ingest/row.ts', typeOnly: false }])).toEqual(['sql/migrate.ts imports collector/ingest/row.ts'])
    expect(violations([{ from: 'collector/ingest/writer.ts', to: 'collector/host/config.ts', typeOnly: true }])).toHaveLength(1)
    expect(violations([{ from: 'dashboard/server/stats.ts', to: 'collector/ingest/row.ts', typeOnly: false }])).toHaveLength(1)
    expect(violations([{ from: 'collector/host/demo/generate.ts', to: 'collector/ingest/route.ts', typeOnly: false }])).toEqual([
      'collector/host/demo/generate.ts imports the route module collector/ingest/route.ts',
    ])
    expect(violations([{ from: 'dashboard/ui/cairn-app.ts', to: 'dashboard/server/stats.ts', typeOnly: false }])).toHaveLength(1)
    expect(violations([{ from: 'dashboard/ui/cairn-app.ts', to: 'dashboard/server/stats.ts', typeOnly: true }])).toEqual([])
  })

  it('finds the imports it checks', () => {
    const all = sources.flatMap(importsOf)
    expect(all.length).toBeGreaterThan(150)
    expect(all).toContainEqual({ from: 'collector/host/app.ts', to: 'collector/ingest/route.ts', typeOnly: false })
    expect(relative(ROOT, join(ROOT, 'collector/host/app.ts'))).toBe(COMPOSITION_ROOT)
  })
})
