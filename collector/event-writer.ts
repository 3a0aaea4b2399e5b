/**
 * Batched writes to cairn.events: a flush every second or at 10,000 rows, whichever comes first, and a
 * last one on close. Never one insert per request: ClickHouse wants few, large inserts. With a spool,
 * each batch is a segment on disk until ClickHouse has it.
 */
import type { Storage } from '../sql/client.ts'
import type { Log } from './log.ts'
import { Spool } from './spool.ts'
import type { Attribution } from './sessions.ts'
import type { Client } from './user-agent.ts'

/** A row of cairn.events as JSONEachRow (64-bit ids as strings, timestamps as 'YYYY-MM-DD hh:mm:ss.sss'). */
export interface EventRow extends Attribution, Client {
  event_id: string
  site: string
  timestamp: string
  name: string
  visitor_id: string
  session_id: string
  session_start: string
  consent: boolean
  interactive: boolean
  hostname: string
  pathname: string
  link_url: string
  country_code: string
  ip_truncated: string
  props: Record<string, string>
  engagement_ms: number
  scroll_depth: number
}

export interface EventWriterOptions {
  maxRows: number
  intervalMs: number
}

/** A batch of rows, with the spool segment that holds them on disk (none without a spool). */
interface Batch {
  rows: EventRow[]
  path?: string
}

export class EventWriter {
  /** Sealed batches waiting for ClickHouse, oldest first, and the rows of the batch being filled. */
  private sealed: Batch[] = []
  private open: EventRow[] = []
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> = Promise.resolve()
  private failures = 0
  written = 0
  /** For /metrics: batches written, their rows and the time they took. */
  readonly stats = { batches: 0, lastBatchRows: 0, flushSeconds: 0 }

  constructor(
    private readonly storage: Storage,
    private readonly log: Log,
    private readonly options: EventWriterOptions = { maxRows: 10_000, intervalMs: 1000 },
    private readonly spool?: Spool,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs)
    this.timer.unref()
  }

  /** Queues a row; with a spool it is on disk when this returns. */
  push(row: EventRow): void {
    this.spool?.append(row)
    this.open.push(row)
    if (this.open.length >= this.options.maxRows) this.seal()
    if (this.sealed.length > 0 && this.open.length === 0) void this.flush()
  }

  get queued(): number {
    return this.sealed.reduce((n, b) => n + b.rows.length, 0) + this.open.length
  }

  /** Writes what is queued; flushes run one after another so rows keep their order. */
  flush(): Promise<void> {
    this.seal()
    this.flushing = this.flushing.then(() => this.writeSealed())
    return this.flushing
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
    const left = this.queued
    if (left > 0) throw new Error(`${left} events could not be written to ClickHouse; they stay in the spool for the next start`)
  }

  private seal(): void {
    if (this.open.length === 0) return
    const segment = this.spool?.seal()
    this.sealed.push({ rows: this.open, path: segment?.path })
    this.open = []
  }

  private async writeSealed(): Promise<void> {
    while (this.sealed.length > 0) {
      const batch = this.sealed[0]!
      const started = performance.now()
      try {
        for (let i = 0; i < batch.rows.length; i += this.options.maxRows) {
          await this.storage.insert({ table: 'cairn.events', values: batch.rows.slice(i, i + this.options.maxRows), format: 'JSONEachRow' })
        }
      } catch (error) {
        // Kept, in memory and in the spool, for the next attempt.
        this.failures++
        this.log.error(`writing ${batch.rows.length} events to ClickHouse failed (attempt ${this.failures}), will retry: ${(error as Error).message}`)
        return
      }
      this.sealed.shift()
      if (batch.path) Spool.done({ path: batch.path, rows: batch.rows })
      this.written += batch.rows.length
      this.stats.batches++
      this.stats.lastBatchRows = batch.rows.length
      this.stats.flushSeconds += (performance.now() - started) / 1000
      if (this.failures > 0) this.log.info(`ClickHouse writes resumed after ${this.failures} failed attempts`)
      this.failures = 0
    }
  }
}
