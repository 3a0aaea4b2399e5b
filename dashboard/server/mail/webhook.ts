/**
 * A JSON POST to a webhook (an alert's, in Slack's incoming-webhook shape): where one may point, and how
 * it is sent. https only (http for this machine only, for tests and a local relay); 5 s per attempt;
 * redirects never followed (a 3xx is a failure: the address was given once, by an admin, and a redirect
 * could lead anywhere); a few attempts for a failure that may pass (no answer, 429, 5xx), none more for
 * a refusal (other 4xx). A webhook's address often holds its secret, in the path (Slack) or the query:
 * the log names its origin only.
 */
import type { MailLog } from './mailer.ts'

export const MAX_WEBHOOK_LENGTH = 2_000
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]'])

/** Whether `value` is an address a webhook may have. */
export function isWebhookUrl(value: string): boolean {
  if (value.length > MAX_WEBHOOK_LENGTH || /\s/.test(value)) return false
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return false
  }
  return url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname))
}

export interface WebhookOptions {
  /** Per attempt. */
  timeoutMs?: number
  attempts?: number
  /** Before the second attempt; doubled before each next one. */
  retryMs?: number
}

/** Whether the webhook took `payload` (a 2xx), after at most `attempts` tries; failures are logged. */
export async function postWebhook(url: string, payload: unknown, log: MailLog, what: string, options: WebhookOptions = {}): Promise<boolean> {
  const attempts = options.attempts ?? 3
  const origin = new URL(url).origin
  const body = JSON.stringify(payload)
  for (let n = 1; ; n++) {
    let problem: string
    let again: boolean
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Cairn' },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
      })
      // The answer's body is not read: nothing in it is used.
      await response.body?.cancel().catch(() => {})
      if (response.ok) return true
      problem = response.status >= 300 && response.status < 400 ? `answered ${response.status}, a redirect, not followed` : `answered ${response.status}`
      again = response.status === 429 || response.status >= 500
    } catch (error) {
      const { name, cause, message } = error as Error & { cause?: { code?: unknown } }
      // Node's fetch says "fetch failed" and puts the reason in `cause`; none of them quote the address.
      problem = name === 'TimeoutError' ? 'no answer in time' : typeof cause?.code === 'string' ? cause.code : message.split(url).join(origin)
      again = true
    }
    if (!again || n >= attempts) {
      log.error(`${what} webhook to ${origin} given up after ${n} attempt${n === 1 ? '' : 's'}: ${problem}`)
      return false
    }
    const delay = (options.retryMs ?? 1_000) * 2 ** (n - 1)
    log.error(`${what} webhook to ${origin} failed, attempt ${n} of ${attempts}: ${problem}; next in ${delay / 1000} s`)
    await new Promise((resolve) => setTimeout(resolve, delay).unref())
  }
}
