/**
 * The durable side of ingest: every accepted event is appended to a local segment file before the 202
 * goes out, and a segment is deleted only after ClickHouse confirmed its rows. After a crash the
 * segments left are written again; rows ClickHouse already has (by event_id) are skipped, so nothing is
 * counted twice.
 *
 * fsync policy: each event is written with write(2) before it is acknowledged, so a killed process loses
 * nothing (the kernel holds the bytes); the open segment is fsynced every second and when sealed, so a
 * power cut loses at most the last second.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, statSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { Storage } from '../sql/client.ts'
import type { EventRow } from './event-writer.ts'

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
  private dirty = false

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true })
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
        return { path, events, bytes: statSync(path).size }
      })
  }

  /** Appends one event; returns the bytes written. */
  append(row: EventRow): number {
    if (this.fd === undefined) {
      this.path = join(this.dir, `segment-${String(this.sequence++).padStart(20, '0')}.jsonl`)
      this.fd = openSync(this.path, 'a')
    }
    const written = writeSync(this.fd, JSON.stringify(row) + '\n')
    this.events++
    this.bytes += written
    this.dirty = true
    return written
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
    const segment = { path: this.path, events: this.events, bytes: this.bytes }
    this.fd = undefined
    this.events = 0
    this.bytes = 0
    return segment
  }

  static remove(path: string): void {
    unlinkSync(path)
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

/**
 * The rows ClickHouse does not have yet: the insert of a batch may have landed, whole or in part, before
 * a crash or a failure the client saw. Looking the ids up is the deduplication token that works the same
 * on the embedded engine and on a server (non-replicated MergeTree ignores insert_deduplication_token).
 */
export async function missingRows(storage: Storage, rows: EventRow[]): Promise<EventRow[]> {
  if (rows.length === 0) return rows
  const days = rows.map((r) => r.timestamp.slice(0, 10)).sort()
  const result = await storage.query({
    // site and day lead the sort key: only the granules of those days are read.
    query: `SELECT toString(event_id) AS id FROM cairn.events
            WHERE site IN {sites:Array(String)} AND toDate(timestamp) BETWEEN {from:Date} AND {to:Date} AND event_id IN {ids:Array(UUID)}`,
    query_params: { sites: [...new Set(rows.map((r) => r.site))], from: days[0], to: days.at(-1), ids: rows.map((r) => r.event_id) },
    format: 'JSONEachRow',
  })
  const present = new Set((await result.json<{ id: string }>()).map((r) => r.id))
  return rows.filter((r) => !present.has(r.event_id))
}
