/**
 * Batched writes to cairn.events: a flush every second or at 10,000 rows, whichever comes first, and a
 * last one on close. Never one insert per request: ClickHouse wants few, large inserts. With a spool,
 * each batch is a segment on disk until ClickHouse has it.
 *
 * A row is serialised once, to its JSONEachRow line, when it is pushed: the same line goes to the spool
 * and into the INSERT's body, and only short-lived strings stay in memory (row objects held for a
 * second were most of the collector's garbage-collection time).
 */
import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import type { Storage } from '../../sql/client.ts'
import type { Log } from './log.ts'
import type { EventRow } from './row.ts'
import { type Spool, readSegment, type Segment } from './spool.ts'

export interface EventWriterOptions {
  maxRows: number
  intervalMs: number
}

/**
 * Events accepted and not yet confirmed by ClickHouse. With a spool, only the batch next in line keeps its
 * rows in memory; the others are read back from their segment when their turn comes, so an outage of any
 * length costs disk (bounded by the collector's spool limit), not memory.
 */
interface Batch {
  /** JSONEachRow lines, each ending in a newline. */
  lines: string[] | undefined
  segment: Segment | undefined
  events: number
  /** Left by an earlier process (its insert may have landed before the crash): said in the log once written. */
  adopted: boolean
}

/** Waits between failed writes: doubling from one second to this, with jitter so collectors do not retry in step. */
const MAX_BACKOFF_MS = 10_000

export class EventWriter {
  /** Sealed batches waiting for ClickHouse, oldest first, and the rows of the batch being filled. */
  private sealed: Batch[] = []
  private open: string[] = []
  /** Events of the open batch left on disk only: a segment growing while a backlog waits is not held in memory. */
  private openOnDisk = 0
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> = Promise.resolve()
  private failures = 0
  private retryAt = 0
  written = 0
  /** For /metrics: batches written, their rows and the time they took, and failed attempts. */
  readonly stats = { batches: 0, lastBatchRows: 0, flushSeconds: 0, failures: 0 }

  constructor(
    private readonly storage: Storage,
    private readonly log: Log,
    private readonly options: EventWriterOptions = { maxRows: 10_000, intervalMs: 1000 },
    private readonly spool?: Spool,
  ) {
    if (spool) spool.onWritten = (lines) => this.queue(lines)
  }

  start(): void {
    this.timer = setInterval(() => void this.write(false), this.options.intervalMs)
    this.timer.unref()
  }

  /** Queues a row; with a spool, once it is on disk (`whenDurable` calls back then). */
  push(row: EventRow): void {
    const line = JSON.stringify(row) + '\n'
    if (this.spool) this.spool.append(line)
    else this.queue([line])
  }

  private queue(lines: string[]): void {
    for (const line of lines) this.open.push(line)
    // Not from inside the spool's commit: the batch is sealed on the next turn.
    if (this.openOnDisk + this.open.length >= this.options.maxRows) setImmediate(() => void this.write(false))
  }

  /** Calls back when the rows pushed so far would survive a crash of this process: the moment to acknowledge them. */
  whenDurable(callback: (error?: Error) => void): void {
    if (this.spool) this.spool.afterCommit(callback)
    else callback()
  }

  /** Bytes of the spool on disk. */
  get spoolBytes(): number {
    return this.spool?.diskBytes ?? 0
  }

  /** Segments an earlier process left: written first, with the same tokens as before the crash. */
  adopt(segments: Segment[]): void {
    for (const segment of segments) this.sealed.push({ lines: undefined, segment, events: segment.events, adopted: true })
  }

  /** Events accepted and not yet in ClickHouse. */
  get queued(): number {
    return this.sealed.reduce((n, b) => n + b.events, 0) + this.openOnDisk + this.open.length + (this.spool?.pendingEvents ?? 0)
  }

  /** Of those, the events held in memory (the rest are only on disk). */
  get inMemory(): number {
    return this.sealed.reduce((n, b) => n + (b.lines?.length ?? 0), 0) + this.open.length
  }

  /** Writes what is queued now, whatever the backoff says; flushes run one after another so rows keep their order. */
  flush(): Promise<void> {
    return this.write(true)
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
    const left = this.queued
    if (left > 0) throw new Error(`${left} events could not be written to ClickHouse; they stay in the spool for the next start`)
  }

  private write(now: boolean): Promise<void> {
    this.seal(now)
    this.flushing = this.flushing.then(() => (now || Date.now() >= this.retryAt ? this.writeSealed() : undefined))
    return this.flushing
  }

  /**
   * Closes the open batch (and its segment). While earlier batches wait for ClickHouse, the open one grows
   * instead, up to maxRows, its segment fsynced at each tick: an outage then leaves whole batches, which
   * drain an insert each, rather than one small segment a second (a day at 10 events/s: 86,400 inserts).
   * `now`: a flush or close, which closes it whatever its size.
   */
  private seal(now = false): void {
    let segment: Segment | undefined
    try {
      if (!now && this.spool && this.sealed.length > 0 && this.openOnDisk + this.open.length + this.spool.pendingEvents < this.options.maxRows) {
        this.spool.sync() // writes what is pending first, which may add to the open batch
        this.openOnDisk += this.open.length
        this.open = []
        return
      }
      segment = this.spool?.seal() // likewise
    } catch (error) {
      // fsync or close failed: the segment stays open and is sealed on the next attempt.
      this.log.error(`sealing the spool segment failed, will retry: ${(error as Error).message}`)
      return
    }
    const events = this.openOnDisk + this.open.length
    if (events === 0) return
    // Kept in memory only when it is next in line and whole (or there is no disk copy).
    const keep = !segment || (this.sealed.length === 0 && this.openOnDisk === 0)
    this.sealed.push({ lines: keep ? this.open : undefined, segment, events, adopted: false })
    this.open = []
    this.openOnDisk = 0
  }

  /**
   * One batch (one spool segment) after the other, never several in one insert: what an insert holds must
   * not depend on what else is waiting, so that an attempt after a failure or a crash sends exactly what
   * the first one sent (see `insert`).
   */
  private async writeSealed(): Promise<void> {
    while (this.sealed.length > 0) {
      const batch = this.sealed[0]!
      const started = performance.now()
      let inserted = 0
      try {
        const lines = batch.lines ?? readSegment(batch.segment!.path)
        // More than maxRows only when one turn of the event loop brought them; cut at fixed offsets, so the
        // same chunks again on a retry.
        for (let i = 0; i < lines.length; i += this.options.maxRows) await this.insert(lines.slice(i, i + this.options.maxRows))
        inserted = lines.length
      } catch (error) {
        // Kept, on disk and for the head in memory, for the next attempt.
        this.failures++
        this.stats.failures++
        const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.failures - 1)) * (0.8 + Math.random() * 0.4)
        this.retryAt = Date.now() + backoff
        this.log.error(
          `writing ${batch.events} events to ClickHouse failed (attempt ${this.failures}, ${this.queued} waiting), retrying in ${(backoff / 1000).toFixed(1)} s: ${(error as Error).message}`,
        )
        return
      }
      this.sealed.shift()
      if (batch.segment) await this.spool!.remove(batch.segment)
      if (batch.adopted) this.log.info(`replayed ${inserted} events from the spool (ClickHouse drops them if they had landed before the crash)`)
      this.written += inserted
      this.stats.batches++
      this.stats.lastBatchRows = inserted
      this.stats.flushSeconds += (performance.now() - started) / 1000
      if (this.failures > 0) this.log.info(`ClickHouse writes resumed after ${this.failures} failed attempts`)
      this.failures = 0
      this.retryAt = 0
    }
  }

  /** One INSERT whose body is the lines as they are; the same statement on chDB and on a server. */
  private async insert(lines: string[]): Promise<void> {
    if (lines.length === 0) return
    const body = lines.join('')
    const result = await this.storage.exec({ query: insertQuery(body), values: Readable.from([body]) })
    result.stream.destroy()
  }
}

/**
 * The INSERT of `body`, with the body's hash as its deduplication token: an insert that landed although
 * its success was not seen (a failure after the commit, a crash before the segment was removed) is sent
 * again with the same body and token, and ClickHouse drops it, from cairn.events and from the rollup its
 * view fills (both keep a log of recent tokens: sql/migrations/0018_dedup.sql). A hash rather than the
 * segment's name: a token once used for another body would silently drop this one, and a hash cannot be
 * reused by another collector or after the clock went back. The settings are in the statement, not in
 * `clickhouse_settings`, which the embedded engine applies with SET: the token would stay on the session
 * and drop every later insert made through it.
 */
export function insertQuery(body: string): string {
  const token = createHash('sha256').update(body).digest('hex')
  return `INSERT INTO cairn.events SETTINGS insert_deduplicate = 1, insert_deduplication_token = '${token}', deduplicate_blocks_in_dependent_materialized_views = 1 FORMAT JSONEachRow`
}
