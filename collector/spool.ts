/**
 * The durable side of ingest: every accepted event is appended to a local segment file before the 202
 * goes out, and a segment is deleted only after ClickHouse confirmed its rows. After a crash the
 * segments left are replayed; rows ClickHouse already has (by event_id) are skipped, so nothing is
 * counted twice.
 *
 * fsync policy: each event is written with write(2) before it is acknowledged, so a killed process loses
 * nothing (the kernel holds the bytes); the open segment is fsynced every second and when sealed, so a
 * power cut loses at most the last second.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { Storage } from '../sql/client.ts'
import type { EventRow } from './event-writer.ts'

export interface Segment {
  path: string
  rows: EventRow[]
}

export class Spool {
  private fd: number | undefined
  private path = ''
  private sequence = Date.now() * 1000
  private rows: EventRow[] = []
  private dirty = false

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true })
  }

  /** Segments left by an earlier process, oldest first. */
  leftovers(): string[] {
    return readdirSync(this.dir)
      .filter((f) => /^segment-\d+\.jsonl$/.test(f))
      .sort()
      .map((f) => join(this.dir, f))
  }

  append(row: EventRow): void {
    if (this.fd === undefined) {
      this.path = join(this.dir, `segment-${String(this.sequence++).padStart(20, '0')}.jsonl`)
      this.fd = openSync(this.path, 'a')
    }
    writeSync(this.fd, JSON.stringify(row) + '\n')
    this.rows.push(row)
    this.dirty = true
  }

  get size(): number {
    return this.rows.length
  }

  /** Makes what was written durable on disk. */
  sync(): void {
    if (this.fd !== undefined && this.dirty) fsyncSync(this.fd)
    this.dirty = false
  }

  /** Closes the open segment and hands it over for writing; the next event starts a new one. */
  seal(): Segment | undefined {
    if (this.fd === undefined) return undefined
    this.sync()
    closeSync(this.fd)
    const segment = { path: this.path, rows: this.rows }
    this.fd = undefined
    this.rows = []
    return segment
  }

  static done(segment: Segment): void {
    unlinkSync(segment.path)
  }
}

/** Rows of a segment file; a line cut short by a crash is the only one that can fail to parse. */
export function readSegment(path: string): EventRow[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as EventRow]
      } catch {
        return []
      }
    })
}

/** The rows ClickHouse does not have yet: a segment may have been written just before the crash. */
export async function missingRows(storage: Storage, rows: EventRow[]): Promise<EventRow[]> {
  if (rows.length === 0) return rows
  const result = await storage.query({
    query: 'SELECT toString(event_id) AS id FROM cairn.events WHERE site IN {sites:Array(String)} AND event_id IN {ids:Array(UUID)}',
    query_params: { sites: [...new Set(rows.map((r) => r.site))], ids: rows.map((r) => r.event_id) },
    format: 'JSONEachRow',
  })
  const present = new Set((await result.json<{ id: string }>()).map((r) => r.id))
  return rows.filter((r) => !present.has(r.event_id))
}
