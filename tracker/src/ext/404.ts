/**
 * data-extensions="404": a page that says it is not found, with `<meta name="cairn-404">`, sends the event
 * `404` with the prop `path` (its path, without the query string), besides its pageview. Like the
 * pageview it waits until the page is shown (a prerendered page never shown sends nothing), and is sent
 * once per page load.
 */
import { event } from './event.ts'

let sent = false

function check(): void {
  if (sent || document.hidden || !document.querySelector('meta[name=cairn-404]')) return
  sent = true
  event('404', { path: location.pathname })
}

export function start(): void {
  check()
  // The head may still be parsing when the script is neither deferred nor async; the page may be hidden.
  for (const type of ['DOMContentLoaded', 'visibilitychange']) document.addEventListener(type, check)
}
