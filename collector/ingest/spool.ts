/**
 * The durable side of ingest: every accepted event is appended to a local segment file before the 202
 * goes out, and a segment is deleted only after ClickHouse confirmed its rows. After a crash the
 * segments left are written again, each with the deduplication token it was sent with before (the hash of
 * its body, collector/ingest/writer.ts), so ClickHouse drops one it already had: nothing is counted twice.
 *
 * fsync policy: events are written with write(2) before they are acknowledged, so a killed process loses
 * nothing (the kernel holds the bytes); a segment is fsynced when sealed, which the writer does every second (while
 * a backlog waits for ClickHouse it keeps one open and fsyncs it every second instead, up to a whole batch), so a
 * power cut loses at most the last second. The write is grouped: every event accepted in one turn of the
 * event loop goes out in one write(2), and their 202s after it (group commit).
 */
import { closeSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, writeSync } from 'node:fs'
import { unlink } from 'node:fs/promises'
import { join } from 'node:path'

/** A closed segment file: its path, how many events and bytes it holds. */
export interface Segment {
  path: string
  events: number
  bytes: number
}

export class Spool {
  private fd: number | undefined
  private path = ''
  private sequence = Date.now() * 1000
  private events = 0
  private bytes = 0
  /** Lines accepted in this turn of the event loop, and who waits for them to be written. */
  private pending: string[] = []
  private waiting: ((error?: Error) => void)[] = []
  /** Bytes of all segments on disk, the open one included. */
  diskBytes = 0
  /** Receives lines once they are on disk: only those go on towards ClickHouse. */
  onWritten: (lines: string[]) => void = () => {}

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
  }

  /** Segments left by an earlier process, oldest first. */
  leftovers(): Segment[] {
    return readdirSync(this.dir)
      .filter((f) => /^segment-\d+\.jsonl$/.test(f))
      .sort()
      .map((f) => {
        const path = join(this.dir, f)
        const content = readFileSync(path)
        let events = 0
        for (let i = content.indexOf(10); i !== -1; i = content.indexOf(10, i + 1)) events++
        this.diskBytes += content.length
        return { path, events, bytes: content.length }
      })
  }

  /** Adds one event's JSONEachRow line (newline included); it is written by the next `commit`. */
  append(line: string): void {
    this.pending.push(line)
  }

  /** Lines appended and not yet written. */
  get pendingEvents(): number {
    return this.pending.length
  }

  /** Calls back once what was appended so far is written (with the error if it could not be). */
  afterCommit(callback: (error?: Error) => void): void {
    this.waiting.push(callback)
    if (this.waiting.length === 1) setImmediate(() => this.commit())
  }

  /**
   * Writes the appended lines to the open segment in one write(2) and tells who waits. Lines that could
   * not be written (a full disk) are dropped, not queued: their senders get the error, answer 503, and
   * the tracker sends them again.
   */
  commit(): void {
    const lines = this.pending
    const waiting = this.waiting
    this.pending = []
    this.waiting = []
    let failure: Error | undefined
    if (lines.length > 0) {
      try {
        this.write(lines.join(''))
        this.events += lines.length
        this.onWritten(lines)
      } catch (error) {
        failure = error as Error
      }
    }
    for (const callback of waiting) callback(failure)
  }

  private write(text: string): void {
    if (this.fd === undefined) {
      this.path = join(this.dir, `segment-${String(this.sequence++).padStart(20, '0')}.jsonl`)
      this.fd = openSync(this.path, 'a', 0o600)
      this.bytes = 0
    }
    const length = Buffer.byteLength(text)
    let written = 0
    try {
      written = writeSync(this.fd, text)
      if (written < length) {
        // A short write (the disk filling up): the rest, or the error that says why not.
        const buffer = Buffer.from(text)
        while (written < length) {
          const n = writeSync(this.fd, buffer, written)
          if (n === 0) throw new Error('the spool disk takes no more bytes')
          written += n
        }
      }
    } catch (error) {
      // Half a line must not stay in front of the next one: the file goes back to its last whole line.
      if (written > 0) ftruncateSync(this.fd, this.bytes)
      throw error
    }
    this.bytes += length
    this.diskBytes += length
  }

  /** Writes what is pending and makes the open segment durable, keeping it open (it grows while a backlog waits). */
  sync(): void {
    this.commit()
    if (this.fd !== undefined) fsyncSync(this.fd)
  }

  /** Writes what is pending, closes the open segment and hands it over; the next event starts a new one. */
  seal(): Segment | undefined {
    this.commit()
    if (this.fd === undefined) return undefined
    fsyncSync(this.fd)
    closeSync(this.fd)
    const segment = { path: this.path, events: this.events, bytes: this.bytes }
    this.fd = undefined
    this.events = 0
    this.bytes = 0
    return segment
  }

  /** ClickHouse has the segment's rows. Off the event loop: unlinking megabytes blocks for tens of ms. */
  async remove(segment: Segment): Promise<void> {
    await unlink(segment.path)
    this.diskBytes -= segment.bytes
  }
}

/**
 * Lines of a segment file, each with its newline. Left out, the same way on every read so a replay's body
 * (and token) stays the same: a line cut short by a crash, and a line a power cut damaged, which would
 * fail the whole insert again and again.
 */
export function readSegment(path: string): string[] {
  const lines = readFileSync(path, 'utf8').split('\n')
  lines.pop() // after the last newline: empty, or the part of a line the crash cut off
  return lines.filter((line) => {
    try {
      JSON.parse(line)
      return true
    } catch {
      return false
    }
  }).map((line) => line + '\n')
}
