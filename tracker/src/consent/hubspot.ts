/** HubSpot cookie banner: its privacy consent listener fires with the current state and on every change. */
import { report, win } from './report.ts'

export const present = () => win._hsp

export const start = () =>
  (win._hsp = win._hsp || []).push(['addPrivacyConsentListener', (consent: any) => report(consent.allowed || consent.categories?.analytics === true)])
