/**
 * Builds an event and sends it with fetch + keepalive (outlives the page like sendBeacon, but shows the
 * answer): a string body goes as text/plain, so no preflight. A 503 (the collector's spool is full) is
 * tried once more after the 10 s its Retry-After asks; reading that header cross-origin would cost bytes.
 */
import { consent, whenAnswered } from './consent-state.ts'
import { doc, loc, visible } from './dom.ts'
import { OPT_OUT_KEY } from './opt-out-key.ts'
import { endpoint, hashMode, ignored, isExcluded, site } from './state.ts'

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
    const post = (answered?: (response: Response) => unknown) =>
      // A failure is swallowed by any function without side effects (this one saves bytes over a new one).
      fetch(endpoint, { method: 'POST', body: JSON.stringify(event), keepalive: true, credentials: 'include' }).then(answered, visible)
    // The retry is posted without a handler: once only.
    post((response) => response.status > 502 && setTimeout(post, 1e4))
  })
}
