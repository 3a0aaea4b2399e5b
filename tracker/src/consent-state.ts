/**
 * The visitor's statistical consent as this page knows it: undefined until a banner (or the site, through
 * `cairn('consent')`) answers, then true or false. GPC and DNT answer false before anyone else can.
 * While a banner is expected to answer, events wait for it, at most WAIT_MS.
 */
import { nav, on } from './dom.ts'
import { consentSetting } from './state.ts'

const WAIT_MS = 1500
const refused = nav.globalPrivacyControl || nav.doNotTrack == '1'

export let consent: boolean | undefined = refused ? false : undefined
let held: (() => void)[] | undefined = !refused && consentSetting != null ? [] : undefined

export function setConsent(statistics: boolean): void {
  consent = !refused && statistics
  release()
}

/** Runs `send` now, or once consent is known (or the wait is over). */
export const whenAnswered = (send: () => void) => (held ? held.push(send) : send())

// forEach answers undefined: the queue is run and gone in one statement (what it runs never queues more).
const release = () => (held = held?.forEach((f) => f()) as undefined)

if (held) {
  setTimeout(release, WAIT_MS)
  // Leaving the page before the banner answered: send what is held rather than lose it.
  on('pagehide', release)
}
