/** What every feature reads: the script's attributes, decided once at load. */
import { doc, loc, nav } from './dom.ts'

const script = doc.currentScript as HTMLScriptElement
/** The data-* attributes: `data.downloadExtensions` is data-download-extensions; an absent one is undefined. */
const data = script.dataset

export const site = data.site || loc.hostname
export const scriptSrc = script.src
export const endpoint = data.api || new URL('/api/event', scriptSrc)
export const hashMode = data.hash != null
/** `tcf`, `onetrust:C0004`, `manual`, … or undefined when the site has no banner to read. */
export const consentSetting = data.consent
/** `forms, 404, tagged`: the extensions to load, or undefined. */
export const extensions = data.extensions

/** `*` matches within one path segment, `**` across segments. */
// No attribute gives the pattern "", which matches no path (a path has at least "/").
const excluded = (data.exclude || '').split(/, */).map(
  (glob) => RegExp('^' + glob.replace(/\*\*?/g, (m) => (m[1] ? '.*' : '[^/]*')) + '$'),
)
export const isExcluded = () => excluded.some((r) => r.test(loc.pathname))

/** Localhost and file: pages (which have no host) are development, automated browsers are not visitors. */
export const ignored =
  nav.webdriver || (data.local == null && (/^localhost$|^127\.|^\[::1]$/.test(loc.hostname) || !loc.host))

export const downloadExtensions = (
  data.downloadExtensions || 'pdf,xlsx,docx,pptx,csv,txt,rtf,zip,7z,rar,gz,dmg,exe,pkg,mp3,mp4,mov,avi,wav'
).split(',')
