/**
 * data-extensions="tagged": events declared in the page's HTML, with Plausible's markup. A click on an
 * element with the class `cairn-event-name=Signup`, or on anything inside it, sends the event `Signup`, with
 * a prop for each `cairn-event-<prop>=<value>` class of that element; `+` stands for a space
 * (`cairn-event-name=Request+demo`) and `--` may replace `=` (for editors that refuse it in a class).
 * `plausible-event-…` classes work the same, so a site moving from Plausible keeps its markup.
 *
 * A tagged form counts when it is submitted, not when clicked. A click on or in a link adds the prop
 * `url` (its address without query or fragment); a link counts on left clicks, modified ones (new tab,
 * new window) and the middle button, like outbound links, and the keepalive send outlives the page, so
 * navigation is never held back. The right button never counts, nor the middle one off a link (it does
 * nothing there). An outbound or download link that is also tagged counts as both.
 */
import { event } from './event.ts'

function onEvent(e: Event): void {
  const target = e.target as Element
  const tagged = target.closest?.('[class*=cairn-event-name],[class*=plausible-event-name]')
  const link = target.closest?.('a[href]') as HTMLAnchorElement | null
  // A click counts a tagged element but a form, a submit a tagged form. Buttons: 0 is a (modified) left
  // click, 1 the middle one (auxclick: on a link only, +!!link), 2 the right one (never); a submit has none.
  if (!tagged || (e.type == 'submit') != (tagged.tagName == 'FORM') || (e as MouseEvent).button > +!!link) return
  // Every class's value, the name among them (the last of each wins); a link's url first, so a class overrides it.
  const found: Record<string, string> = link ? { url: link.href.split(/[?#]/)[0]! } : {}
  for (const token of tagged.classList) {
    const match = /^(?:cairn|plausible)-event-(.+?)(=|--)(.+)/.exec(token)
    if (match) found[match[1]!] = match[3]!.replace(/\+/g, ' ')
  }
  // Named unlike event()'s parameters (`name`, `props`): terser then inlines its body here (9 B gzip less).
  const { name: eventName, ...eventProps } = found
  if (eventName) event(eventName, eventProps)
}

export const start = () => ['click', 'auxclick', 'submit'].map((type) => document.addEventListener(type, onEvent, true))
