/**
 * `/healthz` (the process answers), `/readyz` (and ClickHouse does), and `/metrics` in Prometheus' text
 * format. No personal data: counts only.
 */
import { Hono } from 'hono'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { Storage } from '../../sql/client.ts'
import type { Counters } from '../counters.ts'
import type { EventWriter } from '../event-writer.ts'
import type { Sessions } from '../sessions.ts'
import type { UserAgentParser } from '../user-agent.ts'

export interface HealthDeps {
  storage: Storage
  counters: Counters
  writer: EventWriter
  sessions: Sessions
  userAgents: UserAgentParser
}

export function healthRoute(deps: HealthDeps): Hono {
  const app = new Hono()
  // How long ready work waited for the event loop: every request's latency includes it.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  loopDelay.enable()
  app.get('/healthz', (c) => c.json({ status: 'ok' }))
  app.get('/readyz', async (c) => {
    const ping = await deps.storage.ping().catch((error: Error) => ({ success: false as const, error }))
    return ping.success ? c.json({ status: 'ready' }) : c.json({ status: 'ClickHouse does not answer', error: String(ping.error?.message ?? '') }, 503)
  })
  app.get('/metrics', (c) => {
    const { counters, writer, sessions, userAgents } = deps
    const lines = [
      '# HELP cairn_events_accepted_total Events accepted and queued for ClickHouse.',
      '# TYPE cairn_events_accepted_total counter',
      `cairn_events_accepted_total ${counters.accepted}`,
      '# HELP cairn_events_dropped_total Requests not stored, by reason.',
      '# TYPE cairn_events_dropped_total counter',
      ...[...counters.dropped].map(([reason, n]) => `cairn_events_dropped_total{reason="${reason}"} ${n}`),
      '# HELP cairn_events_written_total Events written to ClickHouse.',
      '# TYPE cairn_events_written_total counter',
      `cairn_events_written_total ${writer.written}`,
      '# HELP cairn_queue_events Events accepted but not yet written.',
      '# TYPE cairn_queue_events gauge',
      `cairn_queue_events ${writer.queued}`,
      '# HELP cairn_queue_events_in_memory Of the events waiting, those held in memory (the others are only in the spool).',
      '# TYPE cairn_queue_events_in_memory gauge',
      `cairn_queue_events_in_memory ${writer.inMemory}`,
      '# HELP cairn_spool_bytes Size of the spool segments on disk.',
      '# TYPE cairn_spool_bytes gauge',
      `cairn_spool_bytes ${writer.spoolBytes}`,
      '# HELP cairn_write_failures_total Batch writes ClickHouse refused or did not answer (retried with backoff).',
      '# TYPE cairn_write_failures_total counter',
      `cairn_write_failures_total ${writer.stats.failures}`,
      '# HELP cairn_batches_total Batches written to ClickHouse.',
      '# TYPE cairn_batches_total counter',
      `cairn_batches_total ${writer.stats.batches}`,
      '# HELP cairn_batch_rows Rows in the last batch written.',
      '# TYPE cairn_batch_rows gauge',
      `cairn_batch_rows ${writer.stats.lastBatchRows}`,
      '# HELP cairn_flush_seconds_total Time spent writing batches.',
      '# TYPE cairn_flush_seconds_total counter',
      `cairn_flush_seconds_total ${writer.stats.flushSeconds.toFixed(6)}`,
      '# HELP cairn_open_sessions Visits open in this collector.',
      '# TYPE cairn_open_sessions gauge',
      `cairn_open_sessions ${sessions.size}`,
      '# HELP cairn_user_agent_cache_total User-agent cache lookups, by result.',
      '# TYPE cairn_user_agent_cache_total counter',
      `cairn_user_agent_cache_total{result="hit"} ${userAgents.cache.hits}`,
      `cairn_user_agent_cache_total{result="miss"} ${userAgents.cache.misses}`,
      '# HELP cairn_event_loop_delay_seconds Event-loop delay since start (sampled every 10 ms).',
      '# TYPE cairn_event_loop_delay_seconds summary',
      // The histogram holds the whole interval between samples; the delay is what exceeds the 10 ms.
      ...[0.5, 0.99, 1].map((q) => `cairn_event_loop_delay_seconds{quantile="${q}"} ${(Math.max(0, loopDelay.percentile(q * 100) - 10e6) / 1e9).toFixed(6)}`),
    ]
    return c.text(lines.join('\n') + '\n', 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' })
  })
  return app
}
