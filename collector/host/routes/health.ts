/**
 * `/healthz` (the process answers), `/readyz` (and ClickHouse does), and `/metrics` in Prometheus' text
 * format. No personal data: counts only.
 */
import { Hono } from 'hono'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { Storage } from '../../../sql/client.ts'
import type { Counters } from '../../ingest/counters.ts'
import type { EventWriter } from '../../ingest/writer.ts'
import type { Sessions } from '../../ingest/sessions.ts'
import type { UserAgentParser } from '../../ingest/user-agent.ts'
import { MAIL_KINDS, type Mailer } from '../../../dashboard/server/mail/mailer.ts'

export interface HealthDeps {
  storage: Storage
  counters: Counters
  writer: EventWriter
  sessions: Sessions
  userAgents: UserAgentParser
  mailer: Mailer
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
    const { counters, writer, sessions, userAgents, mailer } = deps
    const lines = [
      ...metric('cairn_events_accepted_total', 'counter', 'Events accepted and queued for ClickHouse.', counters.accepted),
      ...metric('cairn_events_dropped_total', 'counter', 'Requests not stored, by reason.', ...[...counters.dropped].map(([reason, n]) => sample({ reason }, n))),
      ...metric('cairn_events_written_total', 'counter', 'Events written to ClickHouse.', writer.written),
      ...metric('cairn_queue_events', 'gauge', 'Events accepted but not yet written.', writer.queued),
      ...metric('cairn_queue_events_in_memory', 'gauge', 'Of the events waiting, those held in memory (the others are only in the spool).', writer.inMemory),
      ...metric('cairn_spool_bytes', 'gauge', 'Size of the spool segments on disk.', writer.spoolBytes),
      ...metric('cairn_write_failures_total', 'counter', 'Batch writes ClickHouse refused or did not answer (retried with backoff).', writer.stats.failures),
      ...metric('cairn_batches_total', 'counter', 'Batches written to ClickHouse.', writer.stats.batches),
      ...metric('cairn_batch_rows', 'gauge', 'Rows in the last batch written.', writer.stats.lastBatchRows),
      ...metric('cairn_flush_seconds_total', 'counter', 'Time spent writing batches.', writer.stats.flushSeconds.toFixed(6)),
      ...metric('cairn_open_sessions', 'gauge', 'Visits open in this collector.', sessions.size),
      ...metric('cairn_user_agent_cache_total', 'counter', 'User-agent cache lookups, by result.',
        sample({ result: 'hit' }, userAgents.cache.hits), sample({ result: 'miss' }, userAgents.cache.misses)),
      ...metric('cairn_mail_sent_total', 'counter', 'Mails delivered to the SMTP server, by kind.', ...MAIL_KINDS.map((kind) => sample({ kind }, mailer.stats.sent[kind]))),
      ...metric('cairn_mail_failures_total', 'counter', 'Failed attempts to deliver a mail (each is retried with backoff).', mailer.stats.failures),
      ...metric('cairn_mail_given_up_total', 'counter', 'Mails given up after the last attempt.', mailer.stats.given_up),
      ...metric('cairn_mail_pending', 'gauge', 'Mails waiting for a (next) attempt.', mailer.stats.pending),
      // The histogram holds the whole interval between samples; the delay is what exceeds the 10 ms.
      ...metric('cairn_event_loop_delay_seconds', 'summary', 'Event-loop delay since start (sampled every 10 ms).',
        ...[0.5, 0.99, 1].map((q) => sample({ quantile: String(q) }, (Math.max(0, loopDelay.percentile(q * 100) - 10e6) / 1e9).toFixed(6)))),
    ]
    return c.text(lines.join('\n') + '\n', 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' })
  })
  return app
}

type Sample = { labels: Record<string, string>; value: number | string }

function sample(labels: Record<string, string>, value: number | string): Sample {
  return { labels, value }
}

/** One metric in Prometheus' text format: HELP, TYPE, then its samples (a bare value is one without labels). */
function metric(name: string, type: 'counter' | 'gauge' | 'summary', help: string, ...samples: (Sample | number | string)[]): string[] {
  return [
    `# HELP ${name} ${help}`,
    `# TYPE ${name} ${type}`,
    ...samples.map((s) => {
      if (typeof s !== 'object') return `${name} ${s}`
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${v}"`).join(',')
      return `${name}{${labels}} ${s.value}`
    }),
  ]
}
