/**
 * Batched writes to cairn.events: a flush every second or at 10,000 rows, whichever comes first, and a
 * last one on close. Never one insert per request: ClickHouse wants few, large inserts.
 */
import type { Storage } from '../sql/client.ts'
import type { Log } from './log.ts'
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

export class EventWriter {
  private pending: EventRow[] = []
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
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.options.intervalMs)
    this.timer.unref()
  }

  push(row: EventRow): void {
    this.pending.push(row)
    if (this.pending.length >= this.options.maxRows) void this.flush()
  }

  get queued(): number {
    return this.pending.length
  }

  /** Writes what is pending; flushes run one after another so rows keep their order. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending())
    return this.flushing
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    await this.flush()
    if (this.pending.length > 0) throw new Error(`${this.pending.length} events could not be written to ClickHouse`)
  }

  private async writePending(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.options.maxRows)
      const started = performance.now()
      try {
        await this.storage.insert({ table: 'cairn.events', values: batch, format: 'JSONEachRow' })
        this.stats.batches++
        this.stats.lastBatchRows = batch.length
        this.stats.flushSeconds += (performance.now() - started) / 1000
      } catch (error) {
        // Keep the rows for the next attempt; a durable spool is the reliability issue's job.
        this.pending = batch.concat(this.pending)
        this.failures++
        this.log.error(`writing ${batch.length} events to ClickHouse failed (attempt ${this.failures}), will retry: ${(error as Error).message}`)
        return
      }
      this.written += batch.length
      if (this.failures > 0) this.log.info(`ClickHouse writes resumed after ${this.failures} failed attempts`)
      this.failures = 0
    }
  }
}
