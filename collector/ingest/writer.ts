/**
 * Batched writes to cairn.events: a flush every second or at 10,000 rows, whichever comes first, and a
 * last one on close. Never one insert per request: ClickHouse wants few, large inserts. With a spool,
 * each batch is a segment on disk until ClickHouse has it.
 *
 * A row is serialised once, to its JSONEachRow line, when it is pushed: the same line goes to the spool
 * and into the INSERT's body, and only short-lived strings stay in memory (row objects held for a
 * second were most of the collector's garbage-collection time).
 */
import type { Storage } from '../../sql/client.ts'
import type { Log } from './log.ts'
import { Readable } from 'node:stream'
import { type Spool, missingLines, readSegment, type Segment } from './spool.ts'
import type { EventRow } from './row.ts'

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
  /** An insert of these rows failed or was cut off by a crash: part of it may be in ClickHouse already. */
  uncertain: boolean
}

/** Waits between failed writes: doubling from one second to this, with jitter so collectors do not retry in step. */
const MAX_BACKOFF_MS = 10_000

export class EventWriter {
  /** Sealed batches waiting for ClickHouse, oldest first, and the rows of the batch being filled. */
  private sealed: Batch[] = []
  private open: string[] = []
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
    if (this.open.length >= this.options.maxRows) setImmediate(() => void this.write(false))
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

  /** Segments an earlier process left: written first, and checked against ClickHouse before. */
  adopt(segments: Segment[]): void {
    for (const segment of segments) this.sealed.push({ lines: undefined, segment, events: segment.events, uncertain: true })
  }

  /** Events accepted and not yet in ClickHouse. */
  get queued(): number {
    return this.sealed.reduce((n, b) => n + b.events, 0) + this.open.length + (this.spool?.pendingEvents ?? 0)
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
    this.seal()
    this.flushing = this.flushing.then(() => (now || Date.now() >= this.retryAt ? this.writeSealed() : undefined))
    return this.flushing
  }

  private seal(): void {
    let segment: Segment | undefined
    try {
      segment = this.spool?.seal() // writes what is pending first, which may add to the open batch
    } catch (error) {
      // fsync or close failed: the segment stays open and is sealed on the next attempt.
      this.log.error(`sealing the spool segment failed, will retry: ${(error as Error).message}`)
      return
    }
    if (this.open.length === 0) return
    // Kept in memory only when it is next in line (or there is no disk copy).
    const keep = !segment || this.sealed.length === 0
    this.sealed.push({ lines: keep ? this.open : undefined, segment, events: this.open.length, uncertain: false })
    this.open = []
  }

  private async writeSealed(): Promise<void> {
    while (this.sealed.length > 0) {
      // Batches sealed during an outage are small (one a second): written together, up to maxRows, so
      // ClickHouse gets a few large parts rather than thousands of small ones.
      let take = 1
      let events = this.sealed[0]!.events
      while (take < this.sealed.length && events + this.sealed[take]!.events <= this.options.maxRows) events += this.sealed[take++]!.events
      const group = this.sealed.slice(0, take)
      const started = performance.now()
      let lines: string[] = []
      try {
        lines = group.flatMap((b) => b.lines ?? readSegment(b.segment!.path))
        if (group.some((b) => b.uncertain)) lines = await missingLines(this.storage, lines)
        for (let i = 0; i < lines.length; i += this.options.maxRows) await this.insert(lines.slice(i, i + this.options.maxRows))
      } catch (error) {
        // Kept, on disk and for the head in memory, for the next attempt.
        for (const b of group) b.uncertain = true
        this.failures++
        this.stats.failures++
        const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (this.failures - 1)) * (0.8 + Math.random() * 0.4)
        this.retryAt = Date.now() + backoff
        this.log.error(
          `writing ${events} events to ClickHouse failed (attempt ${this.failures}, ${this.queued} waiting), retrying in ${(backoff / 1000).toFixed(1)} s: ${(error as Error).message}`,
        )
        return
      }
      this.sealed.splice(0, take)
      await Promise.all(group.map((b) => b.segment && this.spool!.remove(b.segment)))
      const replayed = group.filter((b) => b.uncertain)
      if (replayed.length > 0) this.log.info(`replayed ${lines.length} events from the spool (${events - lines.length} were already in ClickHouse)`)
      this.written += lines.length
      this.stats.batches++
      this.stats.lastBatchRows = lines.length
      this.stats.flushSeconds += (performance.now() - started) / 1000
      if (this.failures > 0) this.log.info(`ClickHouse writes resumed after ${this.failures} failed attempts`)
      this.failures = 0
      this.retryAt = 0
    }
  }

  /** One INSERT whose body is the lines as they are; the same statement on chDB and on a server. */
  private async insert(lines: string[]): Promise<void> {
    if (lines.length === 0) return
    const result = await this.storage.exec({ query: 'INSERT INTO cairn.events FORMAT JSONEachRow', values: Readable.from([lines.join('')]) })
    result.stream.destroy()
  }
}
