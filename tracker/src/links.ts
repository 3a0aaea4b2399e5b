/**
 * File downloads and outbound links. Left, middle and modified clicks all count; the event goes by a
 * keepalive fetch, which outlives the page, so navigation is never held back.
 */
import { doc, loc, on } from './dom.ts'
import { send } from './send.ts'
import { downloadExtensions } from './state.ts'

function onClick(e: MouseEvent): void {
  // An <a> without href has the protocol ':' and is skipped below.
  const link = (e.target as Element).closest?.('a') as HTMLAnchorElement | null
  // button 0 is a (modified) left click, 1 the middle button (auxclick); 2 opens the context menu.
  if (!link || e.button > 1 || !/^http/.test(link.protocol)) return
  // The text after the last dot; a path without one yields a string with a slash, which no extension matches.
  if (downloadExtensions.includes(link.pathname.split('.').pop()!.toLowerCase())) send('download', { p: { url: link.origin + link.pathname } })
  else if (link.host != loc.host) send('outbound', { p: { url: link.href } })
}

export function initLinks(): void {
  on('click', onClick, doc)
  on('auxclick', onClick, doc)
}
