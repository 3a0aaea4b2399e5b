/**
 * Random identifiers from the system CSPRNG, drawn from a pooled buffer: one getrandom(2) call per
 * few hundred ids instead of one per id, as crypto.randomUUID does by default.
 */
import { randomFillSync } from 'node:crypto'

const pool = Buffer.alloc(8192)
let offset = pool.length

function take(bytes: number): number {
  if (offset + bytes > pool.length) {
    randomFillSync(pool)
    offset = 0
  }
  const at = offset
  offset += bytes
  return at
}

/** A non-zero random UInt64 as a decimal string (session ids). */
export function randomUint64(): string {
  return (pool.readBigUInt64BE(take(8)) | 1n).toString()
}

/** 128 random bits as 32 hex digits (visitor cookie ids). */
export function randomHex128(): string {
  const at = take(16)
  return pool.toString('hex', at, at + 16)
}
