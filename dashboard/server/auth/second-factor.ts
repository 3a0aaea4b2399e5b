/**
 * A dashboard user's optional second factor: a TOTP authenticator app (RFC 6238 with what every app
 * supports: SHA-1, 6 digits, 30 s) and ten single-use recovery codes, kept in `cairn.second_factors`.
 * Every change is a new row version; reads use FINAL.
 *
 * Enrolment is two steps: begin() makes a secret and shows it (URI and QR code), confirm() turns it on
 * once the user types a code from their app. A factor already in force stays in force while a new one is
 * enrolled, until that one is confirmed. The caller decides who may enrol, and must brake guessing:
 * a 6-digit code is a million guesses, see LoginAttempts.
 */
import { randomBytes } from 'node:crypto'
import { correction, generate } from 'lean-qr'
import { toSvgSource } from 'lean-qr/extras/svg'
import { Secret, TOTP } from 'otpauth'
import type { Storage } from '../../../sql/client.ts'
import { sha256 } from './secrets.ts'
import { nextVersion } from '../../../sql/version.ts'

/** What authenticator apps support (Google Authenticator ignores anything else). */
const TOTP_PARAMS = { algorithm: 'SHA1', digits: 6, period: 30 } as const
/** The steps a code may be from, nearest first: now, or one either side (a phone's clock off by up to 30 s, a code typed as it turned). */
const STEPS = [0, -1, 1]
export const RECOVERY_CODES = 10
/** Crockford's base32: no i, l, o or u; what a person types in their place is read as they meant (`normalRecovery`). */
const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz'

interface Row {
  secret: string
  confirmed: boolean
  pending_secret: string
  recovery_hashes: string[]
  /** UInt64, which the client quotes. */
  last_step: string | number
}

interface Factor {
  secret: string
  confirmed: boolean
  pendingSecret: string
  recoveryHashes: string[]
  lastStep: number
}

export class SecondFactors {
  /** Changes of one user's factor, one at a time: two requests with the same code cannot both pass the replay check (in this process). */
  private readonly locks = new Map<string, Promise<unknown>>()

  constructor(
    private readonly storage: Storage,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A new secret for `email`, not in force until confirm(): its `otpauth://` URI (label = the email) and
   * that URI as an SVG QR code with a viewBox, for the page to show inline (the caller adds its
   * `role="img"` and `aria-label`, or a `<title>`). The secret is also given as text, for typing in.
   */
  begin(email: string, issuer = 'Cairn'): Promise<{ secret: string; uri: string; qrSvg: string }> {
    return this.locked(email, async () => {
      const secret = new Secret({ size: 20 }).base32
      const current = await this.factor(email)
      if (current?.confirmed) await this.write(email, { ...current, pendingSecret: secret })
      else await this.write(email, { secret, confirmed: false, pendingSecret: '', recoveryHashes: [], lastStep: 0 })
      const uri = new TOTP({ issuer, label: email, secret: Secret.fromBase32(secret), ...TOTP_PARAMS }).toString()
      const qrSvg = toSvgSource(generate(uri, { minCorrectionLevel: correction.M }), { on: '#000', off: '#fff', pad: 4, scale: 4 })
      return { secret, uri, qrSvg }
    })
  }

  /**
   * Puts the secret begun with begin() in force if `code` is one of its codes, and returns ten new recovery
   * codes (shown once; only their hashes are kept, and any earlier ones stop working). Undefined when
   * the code is wrong or nothing was begun.
   */
  confirm(email: string, code: string): Promise<string[] | undefined> {
    return this.locked(email, async () => {
      const current = await this.factor(email)
      const pending = current?.confirmed ? current.pendingSecret : current?.secret
      if (!current || !pending) return undefined
      const step = this.acceptedStep(pending, code, 0)
      if (step === undefined) return undefined
      const codes = Array.from({ length: RECOVERY_CODES }, recoveryCode)
      await this.write(email, { secret: pending, confirmed: true, pendingSecret: '', recoveryHashes: codes.map((c) => sha256(normalRecovery(c)!)), lastStep: step })
      return codes
    })
  }

  /** Whether `email` has a confirmed second factor, which a login must then ask for. */
  async enabled(email: string): Promise<boolean> {
    return (await this.factor(email))?.confirmed ?? false
  }

  /**
   * Whether `code` is a current code of the user's app (not one already accepted, nor one older than it)
   * or one of their unused recovery codes, which is then used up. Spaces, dashes and case are ignored.
   */
  verify(email: string, code: string): Promise<boolean> {
    return this.locked(email, async () => {
      const current = await this.factor(email)
      if (!current?.confirmed) return false
      const step = this.acceptedStep(current.secret, code, current.lastStep)
      if (step !== undefined) {
        await this.write(email, { ...current, lastStep: step })
        return true
      }
      const recovery = normalRecovery(code)
      if (!recovery) return false
      const hash = sha256(recovery)
      if (!current.recoveryHashes.includes(hash)) return false
      await this.write(email, { ...current, recoveryHashes: current.recoveryHashes.filter((h) => h !== hash) })
      return true
    })
  }

  /** Turns the second factor off (and forgets its secret and recovery codes). */
  disable(email: string): Promise<void> {
    return this.locked(email, async () => {
      await this.insert({ email, secret: '', confirmed: false, pending_secret: '', recovery_hashes: [], last_step: 0, deleted: true })
    })
  }

  async remainingRecoveryCodes(email: string): Promise<number> {
    const current = await this.factor(email)
    return current?.confirmed ? current.recoveryHashes.length : 0
  }

  /**
   * The time step `code` belongs to, if it is one of `secret`'s codes within a step of now and
   * later than `after` (the last step accepted, so a code is good once and an older one never again).
   */
  private acceptedStep(secret: string, code: string, after: number): number | undefined {
    const token = code.replace(/\s+/g, '')
    if (!/^\d{6}$/.test(token)) return undefined
    const key = Secret.fromBase32(secret)
    const current = Math.floor(this.now() / 1000 / TOTP_PARAMS.period)
    for (const delta of STEPS) {
      const step = current + delta
      if (step <= after) continue
      if (TOTP.validate({ token, secret: key, ...TOTP_PARAMS, timestamp: step * TOTP_PARAMS.period * 1000, window: 0 }) !== null) return step
    }
    return undefined
  }

  private async factor(email: string): Promise<Factor | undefined> {
    const result = await this.storage.query({
      query: `SELECT secret, confirmed, pending_secret, recovery_hashes, last_step
              FROM cairn.second_factors FINAL WHERE email = {email:String} AND NOT deleted`,
      query_params: { email },
      format: 'JSONEachRow',
    })
    const [row] = await result.json<Row>()
    if (!row) return undefined
    return { secret: row.secret, confirmed: row.confirmed, pendingSecret: row.pending_secret, recoveryHashes: row.recovery_hashes, lastStep: Number(row.last_step) }
  }

  private write(email: string, f: Factor): Promise<void> {
    return this.insert({ email, secret: f.secret, confirmed: f.confirmed, pending_secret: f.pendingSecret, recovery_hashes: f.recoveryHashes, last_step: f.lastStep, deleted: false })
  }

  private async insert(row: Record<string, unknown>): Promise<void> {
    await this.storage.insert({ table: 'cairn.second_factors', values: [{ ...row, version: nextVersion() }], format: 'JSONEachRow' })
  }

  /** Runs `task` after every earlier task for `email` has finished. */
  private locked<T>(email: string, task: () => Promise<T>): Promise<T> {
    const run = (this.locks.get(email) ?? Promise.resolve()).then(task)
    const settled = run.catch(() => {})
    this.locks.set(email, settled)
    void settled.then(() => {
      if (this.locks.get(email) === settled) this.locks.delete(email)
    })
    return run
  }
}

/** A recovery code: 12 Crockford base32 characters (60 random bits) as `xxxx-xxxx-xxxx`. */
function recoveryCode(): string {
  // 256 is a multiple of 32, so each byte's low five bits are uniform.
  const chars = [...randomBytes(12)].map((b) => CROCKFORD[b & 31]).join('')
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`
}

/** A recovery code as typed, as its 12 characters (case, spaces and dashes ignored; o → 0, i and l → 1), or undefined. */
function normalRecovery(code: string): string | undefined {
  const chars = code
    .toLowerCase()
    .replace(/[\s-]+/g, '')
    .replace(/o/g, '0')
    .replace(/[il]/g, '1')
  return chars.length === 12 && [...chars].every((c) => CROCKFORD.includes(c)) ? chars : undefined
}
