/**
 * Access can be taken back: a password or role change ends the user's logins (a password change revokes
 * their API keys too), keys can be listed and revoked, users and roles removed, and no cache keeps a
 * revoked credential working on the server that revoked it. From the outside: HTTP, and the CLI.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addUser } from '../dashboard/server/auth/users.ts'
import type { Access } from '../dashboard/server/auth/access.ts'
import { TestServer, tempDataDir } from './helpers/server.ts'
import { loginCookie } from './helpers/admin-api.ts'

const SITE = 'revoke.example'
const OTHER = 'other.example'

const stats = (server: TestServer, headers: Record<string, string>, site = SITE) => fetch(`${server.url}/api/stats/${site}/aggregate`, { headers }).then((r) => r.status)
const door = (server: TestServer, user: string, password: string) =>
  fetch(`${server.url}/clickhouse?query=SELECT%201`, { headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } }).then((r) => r.status)

describe('on the running server that revokes', () => {
  let server: TestServer
  let access: Access
  beforeAll(async () => {
    server = await TestServer.start({ sites: [SITE, OTHER] })
    access = server.server.collector.access
  })
  afterAll(() => server.stop())

  it('a new password ends the old logins and keys at once, and the old password stops working at the door', async () => {
    await addUser(access, 'ana@example.com', 'first password', 'viewer', '*')
    const cookie = await loginCookie(server, 'ana@example.com', 'first password')
    const key = await access.createApiKey('ana@example.com', 'report')
    // Used once each, so they sit in the server's caches.
    expect([await stats(server, { cookie }), await stats(server, { authorization: `Bearer ${key}` }), await door(server, 'ana@example.com', 'first password')]).toEqual([200, 200, 200])

    await addUser(access, 'ana@example.com', 'second password', 'viewer', '*')
    expect(await stats(server, { cookie })).toBe(401)
    expect(await stats(server, { authorization: `Bearer ${key}` })).toBe(401)
    expect(await door(server, 'ana@example.com', 'first password')).toBe(401)
    expect(await door(server, 'ana@example.com', key)).toBe(401)
    expect(await door(server, 'ana@example.com', 'second password')).toBe(200)
    expect(await loginCookie(server, 'ana@example.com', 'first password')).toBe('')
    expect(await stats(server, { cookie: await loginCookie(server, 'ana@example.com', 'second password') })).toBe(200)
  })

  it('a role taken away ends the logins, and the keys lose what the role gave', async () => {
    await addUser(access, 'ben@example.com', 'ben password 1', 'viewer', SITE)
    await addUser(access, 'ben@example.com', undefined, 'admin', OTHER)
    const cookie = await loginCookie(server, 'ben@example.com', 'ben password 1')
    const key = await access.createApiKey('ben@example.com', 'report')
    expect([await stats(server, { cookie }), await stats(server, { authorization: `Bearer ${key}` }, OTHER)]).toEqual([200, 200])

    expect(await access.removeRole('ben@example.com', OTHER)).toBe(true)
    expect(await stats(server, { cookie })).toBe(401)
    expect(await stats(server, { authorization: `Bearer ${key}` }, OTHER)).toBe(403)
    expect(await stats(server, { authorization: `Bearer ${key}` }, SITE)).toBe(200)
    // Giving a role (here: admin where he was viewer) ends the logins too.
    const again = await loginCookie(server, 'ben@example.com', 'ben password 1')
    await addUser(access, 'ben@example.com', undefined, 'admin', SITE)
    expect(await stats(server, { cookie: again })).toBe(401)
  })

  it('a removed user is gone everywhere', async () => {
    await addUser(access, 'cem@example.com', 'cem password 1', 'viewer', '*')
    const cookie = await loginCookie(server, 'cem@example.com', 'cem password 1')
    const key = await access.createApiKey('cem@example.com', 'report')
    expect([await stats(server, { cookie }), await door(server, 'cem@example.com', 'cem password 1')]).toEqual([200, 200])
    expect(await access.removeUser('cem@example.com')).toBe(true)
    expect(await stats(server, { cookie })).toBe(401)
    expect(await stats(server, { authorization: `Bearer ${key}` })).toBe(401)
    expect(await door(server, 'cem@example.com', 'cem password 1')).toBe(401)
    expect(await loginCookie(server, 'cem@example.com', 'cem password 1')).toBe('')
  })
})

describe('with the CLI', () => {
  const dataDir = tempDataDir()
  const env = { ...process.env, CAIRN_DATA_DIR: dataDir, CAIRN_SITES: `${SITE},${OTHER}` }
  const cairn = (...args: string[]) => promisify(execFile)(process.execPath, ['collector/bin/cairn.js', ...args], { env, cwd: new URL('..', import.meta.url).pathname })
  let server: TestServer | undefined
  const start = async () => (server = await TestServer.start({ sites: [SITE, OTHER], dataDir }))
  afterAll(() => server?.stop())

  it('lists and revokes API keys, removes roles and users, and the server then refuses them', async () => {
    const password = /password: (\S+)/.exec((await cairn('users', 'add', 'dan@example.com', '--site', SITE)).stdout)![1]!
    await cairn('users', 'add', 'dan@example.com', '--site', OTHER, '--role', 'admin')
    const key = /\(shown once\): (\S+)/.exec((await cairn('keys', 'add', '--user', 'dan@example.com', '--name', 'weekly')).stdout)![1]!
    const second = /\(shown once\): (\S+)/.exec((await cairn('keys', 'add', '--user', 'dan@example.com', '--name', 'daily')).stdout)![1]!
    expect((await cairn('users', 'list')).stdout).toContain(`dan@example.com\tadmin of ${OTHER}, viewer of ${SITE}`)
    const listed = (await cairn('keys', 'list', '--user', 'dan@example.com')).stdout
    expect(listed).toContain(`${key.slice(0, 15)}…\tdan@example.com\tweekly`)
    expect(listed).not.toContain(key) // only the first characters are kept

    await start()
    const cookie = await loginCookie(server!, 'dan@example.com', password)
    expect([await stats(server!, { cookie }), await stats(server!, { authorization: `Bearer ${key}` })]).toEqual([200, 200])
    await server!.stop()

    expect((await cairn('keys', 'revoke', key.slice(0, 15))).stdout).toContain('revoked 1 API key')
    await expect(cairn('keys', 'revoke', 'cairn_key_nothing')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('no API key starts with cairn_key_nothing') })
    expect((await cairn('users', 'remove', 'dan@example.com', '--site', OTHER)).stdout).toContain('has no role on')
    await start()
    expect(await stats(server!, { authorization: `Bearer ${key}` })).toBe(401)
    expect(await stats(server!, { authorization: `Bearer ${second}` })).toBe(200)
    expect(await stats(server!, { authorization: `Bearer ${second}` }, OTHER)).toBe(403)
    expect(await stats(server!, { cookie })).toBe(401)
    await server!.stop()

    expect((await cairn('users', 'remove', 'dan@example.com')).stdout).toContain('is removed')
    expect((await cairn('users', 'list')).stdout).not.toContain('dan@example.com')
    await start()
    expect(await stats(server!, { authorization: `Bearer ${second}` })).toBe(401)
    expect(await loginCookie(server!, 'dan@example.com', password)).toBe('')
  }, 120_000)
})
