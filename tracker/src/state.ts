/** What every feature reads: the script's attributes, decided once at load. */
import { doc, loc, nav } from './dom.ts'

const script = doc.currentScript as HTMLScriptElement
const attr = (name: string) => script.getAttribute('data-' + name)

export const site = attr('site') || loc.hostname
export const scriptSrc = script.src
export const endpoint = attr('api') || new URL('/api/event', scriptSrc)
export const hashMode = attr('hash') != null
/** `tcf`, `onetrust:C0004`, `manual`, … or null when the site has no banner to read. */
export const consentSetting = attr('consent')

/** `*` matches within one path segment, `**` across segments. */
// No attribute gives the pattern "", which matches no path (a path has at least "/").
const excluded = (attr('exclude') || '').split(/, */).map(
  (glob) => RegExp('^' + glob.replace(/\*\*?/g, (m) => (m[1] ? '.*' : '[^/]*')) + '$'),
)
export const isExcluded = () => excluded.some((r) => r.test(loc.pathname))

/** Localhost and file: pages (which have no host) are development, automated browsers are not visitors. */
export const ignored =
  nav.webdriver || (attr('local') == null && (/^localhost$|^127\.|^\[::1]$/.test(loc.hostname) || !loc.host))

export const downloadExtensions = (
  attr('download-extensions') || 'pdf,xlsx,docx,pptx,csv,txt,rtf,zip,7z,rar,gz,dmg,exe,pkg,mp3,mp4,mov,avi,wav'
).split(',')
