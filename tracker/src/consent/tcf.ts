/** IAB TCF v2.2: statistics need purpose 1 (storage) and purpose 8 or 9 (measurement), or GDPR not applying. */
import { report, whenReady, win } from './report.ts'

export const present = () => win.__tcfapi

export const start = () =>
  whenReady(present, () =>
    win.__tcfapi('addEventListener', 2, (data: any, ok: boolean) => {
      // 'cmpuishown' is the banner being shown: not an answer.
      if (!ok || (data.eventStatus != 'tcloaded' && data.eventStatus != 'useractioncomplete')) return
      const has = (purpose: number) => data.purpose?.consents?.[purpose] || data.publisher?.consents?.[purpose]
      report(data.gdprApplies === false || (has(1) && (has(8) || has(9))))
    }),
  )
