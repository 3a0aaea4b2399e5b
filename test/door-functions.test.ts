/**
 * The SQL door refuses functions by a list (an allowlist of the engine's 1,800 would be the same review,
 * upside down), so the list must keep up with the engine: every function it has must have been reviewed
 * (test/fixtures/engine-functions.txt), and every alias of a refused function is refused too.
 */
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { isForbiddenFunction } from '../dashboard/server/door/statement.ts'
import type { Storage } from '../sql/client.ts'
import { openDataDir, tempDataDir } from './helpers/server.ts'

let storage: Storage
let functions: { name: string; alias_to: string }[]

beforeAll(async () => {
  storage = openDataDir(tempDataDir())
  functions = await (await storage.query({ query: 'SELECT name, alias_to FROM system.functions', format: 'JSONEachRow' })).json()
})
afterAll(() => storage?.close())

describe('the functions the door refuses', () => {
  it('were reviewed against every function the engine has', () => {
    const reviewed = new Set(readFileSync(new URL('./fixtures/engine-functions.txt', import.meta.url), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')))
    const unreviewed = functions.map((f) => f.name).filter((name) => !reviewed.has(name)).sort()
    expect(unreviewed, 'new in this engine: refuse in statement.ts what reaches outside the rows, then list them in the fixture').toEqual([])
  })

  it('include every alias of a refused function', () => {
    const aliases = functions.filter((f) => f.alias_to && isForbiddenFunction(f.alias_to) !== isForbiddenFunction(f.name))
    expect(aliases).toEqual([])
  })

  it('cover the ones that read files, the host, other tables, the network or server settings', () => {
    for (const name of ['file', 'dictGet', 'dictGetString', 'joinGet', 'hasColumnInTable', 'getServerSetting', 'getMacro', 'logTrace', 'hostName', 'FQDN', 'aiGenerate', 'AIGenerate', 'generateSerialID', 'showCertificate']) {
      expect(isForbiddenFunction(name), name).toBe(true)
    }
    for (const name of ['count', 'uniqExact', 'toStartOfDay', 'domain', 'cutQueryString', 'getSetting', 'currentDatabase', 'formatQuery']) {
      expect(isForbiddenFunction(name), name).toBe(false)
    }
  })
})
