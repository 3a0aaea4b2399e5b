/**
 * Mail over SMTP with nodemailer (docs/deploy.md, "Mail"): invitations, password resets, reports and
 * alerts. A mail is handed over and the caller goes on: delivery is retried with backoff in the
 * background, so a slow or absent SMTP server never holds a request, the ingest or the dashboard. What
 * happened is counted for `/metrics` and the settings screen, and logged without the recipient's address.
 * Without SMTP configured, nothing is sent and `configured` says so: callers show the link instead.
 */
import { createTransport, type Transporter } from 'nodemailer'

/** Where failures are said (the collector's log, given by the host). */
export interface MailLog {
  error(message: string): void
}

/** CAIRN_SMTP_URL, or the host and the others; CAIRN_MAIL_FROM. Never logged: it may hold a password. */
export interface MailConfig {
  /** An smtp:// or smtps:// URL as nodemailer reads it, or its parts. */
  transport: string | { host: string; port: number; secure: boolean; requireTLS: boolean; auth?: { user: string; pass: string } }
  /** The sender, e.g. `Cairn <analytics@example.com>`. */
  from: string
}

/** What a mail is for: the label of its counts and log lines. */
export const MAIL_KINDS = ['invite', 'reset', 'report', 'alert'] as const
export type MailKind = (typeof MAIL_KINDS)[number]

export interface Mail {
  kind: MailKind
  to: string
  subject: string
  text: string
  html?: string
  /** Images the HTML shows by `cid:` (mail clients block remote ones). */
  attachments?: { filename: string; content: Buffer; cid: string; contentType: string }[]
  headers?: Record<string, string>
}

export interface MailerOptions {
  /** The first retry's delay; each next one doubles, up to `maxDelayMs`. */
  retryMs?: number
  maxDelayMs?: number
  /** Attempts before a mail is given up (counted, logged, and shown in the settings). */
  attempts?: number
}

export interface MailStatus {
  configured: boolean
  from: string | null
  /** Mails waiting for a (next) attempt. */
  pending: number
  sent: Record<MailKind, number>
  /** Attempts that failed (each retry counts), and mails given up after the last attempt. */
  failures: number
  given_up: number
  last_error: string | null
  last_error_at: string | null
}

export class Mailer {
  private readonly transporter: Transporter | undefined
  private readonly retryMs: number
  private readonly maxDelayMs: number
  private readonly attempts: number
  private readonly timers = new Set<NodeJS.Timeout>()
  private closed = false
  readonly stats: Omit<MailStatus, 'configured' | 'from'> = {
    pending: 0,
    sent: Object.fromEntries(MAIL_KINDS.map((k) => [k, 0])) as Record<MailKind, number>,
    failures: 0,
    given_up: 0,
    last_error: null,
    last_error_at: null,
  }

  constructor(
    private readonly config: MailConfig | undefined,
    private readonly log: MailLog,
    options: MailerOptions = {},
  ) {
    // Short timeouts: a stalled server makes a retry, not a request that hangs for minutes.
    this.transporter = config && createTransport(config.transport as never, { from: config.from, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 } as never)
    this.retryMs = options.retryMs ?? 1_000
    this.maxDelayMs = options.maxDelayMs ?? 5 * 60_000
    this.attempts = options.attempts ?? 10
  }

  get configured(): boolean {
    return this.transporter !== undefined
  }

  status(): MailStatus {
    return { configured: this.configured, from: this.config?.from ?? null, ...this.stats, sent: { ...this.stats.sent } }
  }

  /**
   * Sends `mail` in the background and resolves once it is delivered (or rejects once given up). Callers
   * that answer people do not wait for it; a scheduler that records what it sent does.
   */
  send(mail: Mail): Promise<void> {
    if (!this.transporter) return Promise.reject(new Error('mail is not configured (CAIRN_SMTP_URL)'))
    this.stats.pending++
    return new Promise((resolve, reject) => {
      const attempt = (n: number) => {
        this.transporter!.sendMail({ from: this.config!.from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, attachments: mail.attachments, headers: mail.headers }).then(
          () => {
            this.stats.pending--
            this.stats.sent[mail.kind]++
            resolve()
          },
          (error: Error) => {
            this.stats.failures++
            this.stats.last_error = error.message
            this.stats.last_error_at = new Date().toISOString()
            if (n >= this.attempts || this.closed) {
              this.stats.pending--
              this.stats.given_up++
              this.log.error(`mail (${mail.kind}) given up after ${n} attempts: ${error.message}`)
              reject(error)
              return
            }
            const delay = Math.min(this.maxDelayMs, this.retryMs * 2 ** (n - 1))
            this.log.error(`mail (${mail.kind}) failed, attempt ${n} of ${this.attempts}: ${error.message}; next in ${Math.round(delay / 1000)} s`)
            const timer = setTimeout(() => {
              this.timers.delete(timer)
              attempt(n + 1)
            }, delay)
            // A retry waiting does not keep the process alive at shutdown.
            timer.unref()
            this.timers.add(timer)
          },
        )
      }
      attempt(1)
    })
  }

  close(): void {
    this.closed = true
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    this.transporter?.close()
  }
}
