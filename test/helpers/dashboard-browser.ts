/**
 * Chromium on a test server's dashboard, used as a person uses it: logging in through the form, a login
 * kept for the later contexts, the element that has the focus, and the looks (light, dark, a phone) the
 * screens are photographed in, into test/artifacts/.
 */
import { mkdirSync } from 'node:fs'
import { expect } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { launchChromium } from './browser.ts'
import type { TestServer } from './server.ts'

/** Where the screenshots go (ignored by git). */
export const ARTIFACTS = new URL('../artifacts/', import.meta.url).pathname

export const DESKTOP = { width: 1280, height: 900 }
export const PHONE = { width: 375, height: 812 }

/** The looks a screen is photographed and checked in, for `it.each`: light and dark on a desktop, and a phone. */
export const LOOKS = [
  ['light', { viewport: DESKTOP, colorScheme: 'light' }],
  ['dark', { viewport: DESKTOP, colorScheme: 'dark' }],
  ['phone', { viewport: PHONE, isMobile: true, hasTouch: true, colorScheme: 'light' }],
] as const

export interface Person {
  email: string
  password: string
}

type ContextOptions = Parameters<Browser['newContext']>[0]
type LoginState = Awaited<ReturnType<BrowserContext['storageState']>>

export class DashboardBrowser {
  /** The login cookie kept by keepLogin. */
  private login: LoginState | undefined

  private constructor(
    private readonly server: TestServer,
    private readonly browser: Browser,
  ) {}

  static async launch(server: TestServer): Promise<DashboardBrowser> {
    mkdirSync(ARTIFACTS, { recursive: true })
    return new DashboardBrowser(server, await launchChromium())
  }

  newContext(options?: ContextOptions): Promise<BrowserContext> {
    return this.browser.newContext(options)
  }

  newPage(options?: ContextOptions): Promise<Page> {
    return this.browser.newPage(options)
  }

  /** Logs `who` in through the form at `path`, then waits for the dashboard's bar. */
  async logIn(page: Page, who: Person, path = '/'): Promise<void> {
    await page.goto(this.server.url + path)
    await page.fill('#email', who.email)
    await page.fill('#password', who.password)
    await page.click('button[type=submit]')
    // The header's bar; a panel (consent) has a bar of its own that may be drawn first.
    await page.locator('cairn-app div.bar').first().waitFor({ timeout: 15_000 })
  }

  /** Keeps the login of `context`, for loggedInContext: logging in through the form again takes long, and a second factor's code works once. */
  async keepLogin(context: BrowserContext): Promise<void> {
    this.login = await context.storageState()
  }

  /** A new context with the kept login; `what` names the login when none was kept (the test that logs in failed). */
  async loggedInContext(options: ContextOptions, what = 'the admin logged in'): Promise<BrowserContext> {
    expect(this.login, what).toBeDefined()
    return this.browser.newContext({ ...options, storageState: this.login })
  }

  close(): Promise<void> {
    return this.browser.close()
  }
}

/** The element that has the focus, inside shadow roots, as `name#id`, with " in dialog" inside a dialog. */
export const focusedElement = (page: Page) =>
  page.evaluate(() => {
    let active = document.activeElement
    while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement
    return active ? `${active.localName}${active.id ? '#' + active.id : ''}${active.closest('dialog') ? ' in dialog' : ''}` : ''
  })
