import { randomUUID } from 'node:crypto'
import { Secret, TOTP } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openStorage } from '../../../sql/client.ts'
import { migrate } from '../../../sql/migrate.ts'
import { tempDataDir } from '../../../test/helpers/server.ts'
import { SecondFactors } from './second-factor.ts'

const storage = openStorage({ url: process.env.CLICKHOUSE_URL, dataDir: tempDataDir() })
let clock = Date.UTC(2026, 0, 15, 12, 0, 5)
const factors = new SecondFactors(storage, () => clock)

/** The code an authenticator app holding `secret` shows at `timestamp`. */
const codeAt = (secret: string, timestamp: number) => TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30, timestamp })
/** A code that is not `code`. */
const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0')
/** Every version of the user's rows, as ClickHouse holds them. */
const rawRows = async (email: string) =>
  (await storage.query({ query: 'SELECT * FROM cairn.second_factors WHERE email = {email:String}', query_params: { email }, format: 'JSONEachRow' })).text()

beforeAll(() => migrate(storage))
afterAll(() => storage.close())

describe('SecondFactors', () => {
  const email = `ana.${randomUUID()}@example.com`
  let secret = ''
  let recovery: string[] = []

  it('begins with a secret, its otpauth URI and a scalable SVG QR code, not yet in force', async () => {
    const begun = await factors.begin(email)
    secret = begun.secret
    expect(secret).toMatch(/^[A-Z2-7]{32}$/)
    expect(begun.uri).toMatch(/^otpauth:\/\/totp\//)
    expect(begun.uri).toContain(`secret=${secret}`)
    expect(begun.uri).toContain('issuer=Cairn')
    expect(begun.uri).toContain(encodeURIComponent(email))
    expect(begun.uri).toMatch(/algorithm=SHA1&digits=6&period=30/)
    expect(begun.qrSvg.startsWith('<svg')).toBe(true)
    expect(begun.qrSvg).toMatch(/viewBox="[-\d. ]+"/)
    expect(begun.qrSvg).not.toContain(secret)
    expect(await factors.enabled(email)).toBe(false)
    expect(await factors.verify(email, codeAt(secret, clock))).toBe(false)
  })

  it('refuses a wrong code at confirmation, and gives ten recovery codes for the right one', async () => {
    expect(await factors.confirm(email, wrong(codeAt(secret, clock)))).toBeUndefined()
    expect(await factors.enabled(email)).toBe(false)
    const codes = await factors.confirm(email, codeAt(secret, clock))
    expect(codes).toHaveLength(10)
    for (const code of codes!) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/)
    expect(new Set(codes).size).toBe(10)
    recovery = codes!
    expect(await factors.enabled(email)).toBe(true)
    expect(await factors.remainingRecoveryCodes(email)).toBe(10)
  })

  it('accepts a current code once: the code used to confirm, the same code again and an old one are refused', async () => {
    expect(await factors.verify(email, codeAt(secret, clock))).toBe(false)
    clock += 30_000
    const code = codeAt(secret, clock)
    expect(await factors.verify(email, code)).toBe(true)
    expect(await factors.verify(email, code)).toBe(false)
    expect(await factors.verify(email, codeAt(secret, clock - 5 * 60_000))).toBe(false)
    expect(await factors.verify(email, wrong(codeAt(secret, clock + 30_000)))).toBe(false)
  })

  it('allows a step of clock drift either way, and ignores spaces', async () => {
    clock += 90_000
    expect(await factors.verify(email, codeAt(secret, clock - 30_000))).toBe(true)
    const next = codeAt(secret, clock + 30_000)
    expect(await factors.verify(email, ` ${next.slice(0, 3)} ${next.slice(3)} `)).toBe(true)
    // The step after it was accepted: the current code is now older than what was accepted.
    expect(await factors.verify(email, codeAt(secret, clock))).toBe(false)
    expect(await factors.verify(email, codeAt(secret, clock + 60_000))).toBe(false)
  })

  it('lets one of two requests with the same code through, not both', async () => {
    clock += 120_000
    const code = codeAt(secret, clock)
    expect((await Promise.all([factors.verify(email, code), factors.verify(email, code)])).sort()).toEqual([false, true])
  })

  it('accepts a recovery code once, however it is typed, and counts the rest', async () => {
    const [first, second] = recovery as [string, string]
    expect(await factors.verify(email, ` ${first.toUpperCase().replace(/-/g, ' ')} `)).toBe(true)
    expect(await factors.verify(email, first)).toBe(false)
    expect(await factors.remainingRecoveryCodes(email)).toBe(9)
    expect(await factors.verify(email, second.replace(/-/g, ''))).toBe(true)
    expect(await factors.remainingRecoveryCodes(email)).toBe(8)
    expect(await factors.verify(email, 'zzzz-zzzz-zzzz')).toBe(false)
    expect(await factors.verify(email, '')).toBe(false)
  })

  it('keeps no recovery code in clear, in any version of the row', async () => {
    const rows = await rawRows(email)
    expect(rows).toContain(email)
    for (const code of recovery) {
      expect(rows).not.toContain(code)
      expect(rows).not.toContain(code.replace(/-/g, ''))
    }
  })

  it('keeps the factor in force while a new one is enrolled, and replaces it (and the recovery codes) once confirmed', async () => {
    const renewed = await factors.begin(email)
    expect(renewed.secret).not.toBe(secret)
    expect(await factors.enabled(email)).toBe(true)
    clock += 30_000
    expect(await factors.verify(email, codeAt(renewed.secret, clock))).toBe(false)
    expect(await factors.verify(email, codeAt(secret, clock))).toBe(true)
    expect(await factors.verify(email, recovery[2]!)).toBe(true)

    clock += 30_000
    const codes = await factors.confirm(email, codeAt(renewed.secret, clock))
    expect(codes).toHaveLength(10)
    expect(await factors.remainingRecoveryCodes(email)).toBe(10)
    clock += 30_000
    expect(await factors.verify(email, codeAt(secret, clock))).toBe(false)
    expect(await factors.verify(email, recovery[3]!)).toBe(false)
    expect(await factors.verify(email, codeAt(renewed.secret, clock))).toBe(true)
    expect(await factors.verify(email, codes![0]!)).toBe(true)
  })

  it('is off once disabled', async () => {
    await factors.disable(email)
    expect(await factors.enabled(email)).toBe(false)
    expect(await factors.remainingRecoveryCodes(email)).toBe(0)
    clock += 30_000
    expect(await factors.verify(email, codeAt(secret, clock))).toBe(false)
    expect(await factors.confirm(email, codeAt(secret, clock))).toBeUndefined()
  })

  it('knows nothing of a user who never enrolled', async () => {
    const stranger = `bob.${randomUUID()}@example.com`
    expect(await factors.enabled(stranger)).toBe(false)
    expect(await factors.verify(stranger, '123456')).toBe(false)
    expect(await factors.confirm(stranger, '123456')).toBeUndefined()
    expect(await factors.remainingRecoveryCodes(stranger)).toBe(0)
  })
})
