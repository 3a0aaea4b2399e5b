/**
 * Where a visit came from: `utm_source` (or `ref` / `source`) from the page URL when present, else the
 * referrer's host mapped to a readable name. A referrer from the site itself is no source.
 */

/** Host suffix → source name. Longer, more specific hosts first where they share a suffix. */
export const HOSTS: [string, string][] = [
  ['mail.google.com', 'Gmail'],
  ['news.google.com', 'Google News'],
  ['google.', 'Google'],
  ['bing.com', 'Bing'],
  ['duckduckgo.com', 'DuckDuckGo'],
  ['search.yahoo.com', 'Yahoo!'],
  ['mail.yahoo.com', 'Yahoo! Mail'],
  ['yandex.', 'Yandex'],
  ['baidu.com', 'Baidu'],
  ['ecosia.org', 'Ecosia'],
  ['qwant.com', 'Qwant'],
  ['startpage.com', 'Startpage'],
  ['search.brave.com', 'Brave Search'],
  ['kagi.com', 'Kagi'],
  ['chatgpt.com', 'ChatGPT'],
  ['chat.openai.com', 'ChatGPT'],
  ['perplexity.ai', 'Perplexity'],
  ['gemini.google.com', 'Gemini'],
  ['facebook.com', 'Facebook'],
  ['fb.me', 'Facebook'],
  ['instagram.com', 'Instagram'],
  ['linkedin.com', 'LinkedIn'],
  ['lnkd.in', 'LinkedIn'],
  ['t.co', 'X'],
  ['twitter.com', 'X'],
  ['x.com', 'X'],
  ['bsky.app', 'Bluesky'],
  ['threads.net', 'Threads'],
  ['reddit.com', 'Reddit'],
  ['youtube.com', 'YouTube'],
  ['youtu.be', 'YouTube'],
  ['pinterest.', 'Pinterest'],
  ['tiktok.com', 'TikTok'],
  ['news.ycombinator.com', 'Hacker News'],
  ['github.com', 'GitHub'],
  ['stackoverflow.com', 'Stack Overflow'],
  ['wikipedia.org', 'Wikipedia'],
  ['substack.com', 'Substack'],
  ['medium.com', 'Medium'],
  ['outlook.live.com', 'Outlook.com'],
  ['outlook.office.com', 'Outlook'],
  ['mailchi.mp', 'Mailchimp'],
  ['t.me', 'Telegram'],
  ['web.whatsapp.com', 'WhatsApp'],
]

/** utm_source spellings (lower-case) → the same names the referrer map gives. */
export const UTM_NAMES: Record<string, string> = {
  google: 'Google', bing: 'Bing', duckduckgo: 'DuckDuckGo', facebook: 'Facebook', fb: 'Facebook',
  instagram: 'Instagram', ig: 'Instagram', linkedin: 'LinkedIn', twitter: 'X', x: 'X', reddit: 'Reddit',
  youtube: 'YouTube', tiktok: 'TikTok', newsletter: 'Newsletter', email: 'Newsletter', hn: 'Hacker News',
  chatgpt: 'ChatGPT', 'chatgpt.com': 'ChatGPT', perplexity: 'Perplexity', bluesky: 'Bluesky', mastodon: 'Mastodon',
}

export function sourceFromUtm(value: string): string {
  return UTM_NAMES[value.toLowerCase()] ?? value
}

/** `siteHost` is the page's host; referrers from it or from the site's own subdomains are internal. */
export function sourceFromReferrer(referrer: URL | undefined, site: string, pageHost: string): string {
  if (!referrer) return ''
  const host = referrer.hostname.toLowerCase().replace(/^www\./, '')
  if (!host || host === pageHost || host === site || host.endsWith(`.${site}`)) return ''
  for (const [pattern, name] of HOSTS) {
    if (pattern.endsWith('.') ? host.startsWith(pattern) || host.includes(`.${pattern}`) : host === pattern || host.endsWith(`.${pattern}`)) {
      return name
    }
  }
  return host
}
