/**
 * A real SMTP server in the test process (the `smtp-server` package), keeping every mail it accepts as
 * `mailparser` reads it. `down` makes it refuse mail with a temporary error (451), as a server in trouble
 * does, so the sender has to retry.
 */
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import type { AddressInfo } from 'node:net'

export class TestSmtp {
  readonly mails: ParsedMail[] = []
  /** Refuse mail for now (451: try again later). */
  down = false
  /** Attempts refused while down. */
  refused = 0
  private waiters: (() => void)[] = []

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
    readonly user: string,
    readonly password: string,
  ) {}

  static async start(user = 'cairn', password = 'smtp secret 7f3a'): Promise<TestSmtp> {
    let smtp: TestSmtp | undefined
    const server = new SMTPServer({
      authOptional: false,
      // Plain text on loopback: the test is about what is sent, not about TLS.
      allowInsecureAuth: true,
      disabledCommands: ['STARTTLS'],
      onAuth(auth, _session, callback) {
        if (auth.username === user && auth.password === password) callback(null, { user })
        else callback(new Error('wrong credentials'))
      },
      onData(stream, _session, callback) {
        if (smtp!.down) {
          smtp!.refused++
          stream.resume()
          stream.on('end', () => callback(Object.assign(new Error('try again later'), { responseCode: 451 })))
          return
        }
        // The HTML as sent: its cid: images not turned into data: URLs.
        simpleParser(stream, { keepCidLinks: true }).then(
          (mail) => {
            smtp!.mails.push(mail)
            for (const wake of smtp!.waiters.splice(0)) wake()
            callback()
          },
          (error: Error) => callback(error),
        )
      },
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    smtp = new TestSmtp(server, (server.server.address() as AddressInfo).port, user, password)
    return smtp
  }

  /** CAIRN_SMTP_URL for a Cairn that sends here. */
  get url(): string {
    return `smtp://${this.user}:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}`
  }

  /** The first mail (from now on, or already here) to `to` that `matches`, within `ms`. */
  async next(to: string, matches: (mail: ParsedMail) => boolean = () => true, ms = 15_000): Promise<ParsedMail> {
    const deadline = Date.now() + ms
    for (;;) {
      const found = this.mails.find((m) => m.to && (Array.isArray(m.to) ? m.to : [m.to]).some((a) => a.text.includes(to)) && matches(m))
      if (found) return found
      if (Date.now() > deadline) throw new Error(`no mail to ${to} within ${ms} ms (${this.mails.length} received)`)
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve)
        setTimeout(resolve, 200)
      })
    }
  }

  /** The mails to `to` so far. */
  to(to: string): ParsedMail[] {
    return this.mails.filter((m) => m.to && (Array.isArray(m.to) ? m.to : [m.to]).some((a) => a.text.includes(to)))
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()))
  }
}
