/** Cookiebot: `Cookiebot.consent.statistics` once the visitor has answered; re-read on its window events. */
import { report, win } from './report.ts'

export const present = () => win.Cookiebot

const read = () => win.Cookiebot?.hasResponse && report(win.Cookiebot.consent.statistics === true)

export function start(): void {
  read()
  for (const type of ['CookiebotOnConsentReady', 'CookiebotOnAccept', 'CookiebotOnDecline']) addEventListener(type, read)
}
