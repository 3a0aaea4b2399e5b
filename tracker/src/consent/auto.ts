/**
 * data-consent="auto": finds which supported banner is on the page and reads that one. TCF first (many
 * vendors' banners also speak it), Google Consent Mode last (banners feed it from their own state).
 */
import { whenReady } from './report.ts'
import * as axeptio from './axeptio.ts'
import * as cookiebot from './cookiebot.ts'
import * as gcm from './gcm.ts'
import * as hubspot from './hubspot.ts'
import * as klaro from './klaro.ts'
import * as onetrust from './onetrust.ts'
import * as tarteaucitron from './tarteaucitron.ts'
import * as tcf from './tcf.ts'

const adapters = [tcf, cookiebot, onetrust, klaro, axeptio, tarteaucitron, hubspot, gcm]

export const present = () => adapters.find((a) => a.present())

export const start = () => whenReady(present, () => present()!.start())
