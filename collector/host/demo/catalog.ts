/** What the demo site's traffic is made of: weighted choices modelled on a small software company's site. */
import type { Client } from '../../ingest/user-agent.ts'

export type Weighted<T> = [T, number][]

export const HOURLY_UTC = [0.25, 0.18, 0.14, 0.12, 0.13, 0.2, 0.35, 0.6, 0.85, 1, 1, 0.98, 0.95, 0.92, 0.95, 1, 0.97, 0.88, 0.75, 0.65, 0.6, 0.52, 0.42, 0.32]
/** Sunday first, as Date.getUTCDay() counts. */
export const WEEKDAY = [0.55, 1, 1, 0.98, 0.95, 0.85, 0.5]

export interface Source {
  referrer: string
  referrer_source: string
  /** UTM tags: a campaign each, and where the campaign has them, the ad's content and the search term. */
  utm?: { source: string; medium: string; campaigns: string[]; contents?: string[]; terms?: string[] }
}

export const SOURCES: Weighted<Source> = [
  [{ referrer: '', referrer_source: '' }, 34],
  [{ referrer: 'google.com', referrer_source: 'Google' }, 28],
  [{ referrer: 'bing.com', referrer_source: 'Bing' }, 3],
  [{ referrer: 'duckduckgo.com', referrer_source: 'DuckDuckGo' }, 3],
  [{ referrer: 'www.ecosia.org', referrer_source: 'Ecosia' }, 1],
  [{ referrer: 'news.ycombinator.com/item', referrer_source: 'Hacker News' }, 2],
  [{ referrer: 'www.reddit.com/r/selfhosted', referrer_source: 'Reddit' }, 2],
  [{ referrer: 'github.com/cairn/cairn', referrer_source: 'GitHub' }, 2.5],
  [{ referrer: 'chatgpt.com', referrer_source: 'ChatGPT' }, 2],
  [{ referrer: 'www.perplexity.ai', referrer_source: 'Perplexity' }, 0.8],
  [{ referrer: 't.co', referrer_source: 'X' }, 2],
  [{ referrer: 'www.linkedin.com/feed', referrer_source: 'LinkedIn' }, 3],
  [{ referrer: 'l.facebook.com', referrer_source: 'Facebook' }, 2],
  [{ referrer: 'mail.google.com', referrer_source: 'Newsletter', utm: { source: 'newsletter', medium: 'email', campaigns: ['march-update', 'spring-launch', 'webinar-invite', 'product-digest-42'], contents: ['header-link', 'hero-button', 'footer-link'] } }, 5],
  [{ referrer: '', referrer_source: 'linkedin-ads', utm: { source: 'linkedin-ads', medium: 'cpc', campaigns: ['eu-privacy', 'dpo-retargeting'], contents: ['carousel-a', 'carousel-b', 'video'] } }, 2],
  [{ referrer: 'www.google.com', referrer_source: 'google-ads', utm: { source: 'google-ads', medium: 'cpc', campaigns: ['brand', 'cookieless-analytics', 'plausible-alternative'], contents: ['text-ad-1', 'text-ad-2'], terms: ['cookieless analytics', 'gdpr analytics', 'plausible alternative', 'matomo alternative'] } }, 2.5],
  [{ referrer: 'blog.example.org/analytics-roundup', referrer_source: 'blog.example.org' }, 0.7],
  [{ referrer: 'dev.to/top/week', referrer_source: 'dev.to' }, 0.6],
  [{ referrer: 'lobste.rs', referrer_source: 'lobste.rs' }, 0.4],
  [{ referrer: 'alternativeto.net/software/plausible', referrer_source: 'alternativeto.net' }, 0.5],
  [{ referrer: 'stackoverflow.com/questions', referrer_source: 'Stack Overflow' }, 0.6],
]

export const CLIENTS: Weighted<Client> = [
  [{ browser: 'Chrome', browser_version: '131', os: 'Windows', os_version: '10', device: 'desktop' }, 24],
  [{ browser: 'Edge', browser_version: '131', os: 'Windows', os_version: '10', device: 'desktop' }, 7],
  [{ browser: 'Firefox', browser_version: '133', os: 'Windows', os_version: '10', device: 'desktop' }, 4],
  [{ browser: 'Chrome', browser_version: '131', os: 'macOS', os_version: '10.15', device: 'desktop' }, 9],
  [{ browser: 'Safari', browser_version: '18', os: 'macOS', os_version: '10.15', device: 'desktop' }, 6],
  [{ browser: 'Firefox', browser_version: '133', os: 'Linux', os_version: '', device: 'desktop' }, 3],
  [{ browser: 'Chrome', browser_version: '131', os: 'Linux', os_version: '', device: 'desktop' }, 2],
  [{ browser: 'Safari', browser_version: '18', os: 'iOS', os_version: '18.1', device: 'mobile' }, 19],
  [{ browser: 'Chrome', browser_version: '131', os: 'Android', os_version: '14', device: 'mobile' }, 16],
  [{ browser: 'Samsung Internet', browser_version: '26', os: 'Android', os_version: '14', device: 'mobile' }, 3],
  [{ browser: 'Safari', browser_version: '18', os: 'iOS', os_version: '18.1', device: 'tablet' }, 4],
  [{ browser: 'Opera', browser_version: '114', os: 'Windows', os_version: '10', device: 'desktop' }, 1],
]

export const COUNTRIES: Weighted<string> = [
  ['US', 24], ['DE', 12], ['FR', 10], ['GB', 8], ['IN', 6], ['NL', 4], ['CA', 4], ['ES', 3], ['IT', 3], ['BR', 3],
  ['PL', 2], ['SE', 2], ['CH', 2], ['AU', 2], ['JP', 2], ['BE', 1.5], ['AT', 1.5], ['DK', 1], ['NO', 1], ['FI', 1],
  ['IE', 1], ['PT', 1], ['CZ', 1], ['MX', 1], ['ZA', 0.5], ['SG', 0.5], ['KR', 0.5], ['', 0.5],
]

const BLOG = Array.from({ length: 120 }, (_, i) => `/blog/${['privacy', 'clickhouse', 'cookies', 'gdpr', 'analytics', 'release'][i % 6]}-${i + 1}`)
const DOCS = Array.from({ length: 60 }, (_, i) => `/docs/${['install', 'tracker', 'consent', 'sql', 'api', 'scaling'][i % 6]}/${['overview', 'setup', 'reference', 'faq', 'examples'][i % 5]}-${Math.floor(i / 30) + 1}`)

/** A long tail: a few pages take most views, many take a few (Zipf-like weights). */
export const PAGES: Weighted<string> = [
  ['/', 30], ['/pricing', 12], ['/features', 8], ['/docs', 7], ['/blog', 6], ['/about', 3], ['/contact', 2.5],
  ['/signup', 3], ['/login', 4], ['/changelog', 2], ['/privacy', 1], ['/imprint', 0.5], ['/careers', 0.8],
  ...BLOG.map((p, i): [string, number] => [p, 6 / (i + 2)]),
  ...DOCS.map((p, i): [string, number] => [p, 5 / (i + 2)]),
]

export const FILES: Weighted<string> = [
  ['/files/whitepaper-cookieless-analytics.pdf', 10], ['/files/pricing-2026.pdf', 7], ['/downloads/cairn-setup-1.4.dmg', 5],
  ['/downloads/cairn-setup-1.4.exe', 6], ['/downloads/cairn-1.4.tar.gz', 4], ['/files/dpa-template.docx', 4],
  ['/files/security-overview.pdf', 3], ['/files/benchmark-results.xlsx', 2], ['/files/case-study-retail.pdf', 2],
  ['/files/brand-assets.zip', 1.5], ['/files/webinar-recording.mp4', 1], ['/files/podcast-episode-12.mp3', 1],
  ['/files/sample-report.csv', 1.5], ['/files/release-notes.txt', 1],
]

export const OUTBOUND: Weighted<string> = [
  ['https://github.com/cairn/cairn', 10], ['https://clickhouse.com/docs', 5], ['https://www.cnil.fr/en/cookies', 3],
  ['https://twitter.com/cairn', 2], ['https://www.linkedin.com/company/cairn', 2], ['https://discord.gg/cairn', 2],
  ['https://status.cairn.example', 1],
]

export const CUSTOM_EVENTS: Weighted<{ name: string; props: Record<string, string>[] }> = [
  [{ name: 'Signup', props: [{ plan: 'free' }, { plan: 'pro' }, { plan: 'business' }] }, 5],
  [{ name: 'Newsletter Subscribe', props: [{ form: 'footer' }, { form: 'blog' }] }, 3],
  [{ name: 'Contact', props: [{ topic: 'sales' }, { topic: 'support' }] }, 1.5],
  [{ name: 'Demo Request', props: [{ size: '1-10' }, { size: '11-50' }, { size: '51+' }] }, 1],
]
