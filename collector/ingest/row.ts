/** A row of cairn.events as the collector writes it: one JSONEachRow line per event. */
import type { Attribution } from './sessions.ts'
import type { Client } from './user-agent.ts'

/** A row of cairn.events as JSONEachRow (64-bit ids as strings, timestamps as 'YYYY-MM-DD hh:mm:ss.sss'). */
export interface EventRow extends Attribution, Client {
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

/** 'YYYY-MM-DD hh:mm:ss.sss' (UTC); under load many events share a millisecond, so the last one is kept. */
export function clickhouseTime(ms: number): string {
  if (ms !== lastTime.ms) lastTime = { ms, text: new Date(ms).toISOString().replace('T', ' ').slice(0, 23) }
  return lastTime.text
}
let lastTime = { ms: NaN, text: '' }

