/** Builds an event and sends it: sendBeacon (text/plain, no preflight), else fetch with keepalive. */
import { consent, whenAnswered } from './consent-state.ts'
import { doc, loc, nav, visible } from './dom.ts'
import { endpoint, hashMode, ignored, isExcluded, site } from './state.ts'

export const OPT_OUT_KEY = 'cairn_optout'

/** Read once per page (storage can be off, then there is no flag), kept current by optout / optin. */
export let optedOut: unknown
try {
  optedOut = localStorage[OPT_OUT_KEY]
} catch {}

export function setOptOut(out: boolean): void {
  optedOut = out
  out ? (localStorage[OPT_OUT_KEY] = 1) : delete localStorage[OPT_OUT_KEY]
}

export function send(name: string, extra?: { p?: object; e?: number; sd?: number }): void {
  if (ignored || optedOut || isExcluded()) return
  const event: Record<string, unknown> = { n: name, u: loc.href, d: site, r: doc.referrer, h: hashMode, ...extra }
  whenAnswered(() => {
    event.c = consent
    const body = JSON.stringify(event)
    nav.sendBeacon?.(endpoint, body) ||
      // A string body is sent as text/plain, so no preflight either. A failure is swallowed by any
      // function without side effects (this one saves bytes over a new empty one).
      fetch(endpoint, { method: 'POST', body, keepalive: true, credentials: 'include' }).catch(visible)
  })
}
