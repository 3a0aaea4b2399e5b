/** Where the dashboard's build goes (dashboard/build.ts) and where the collector serves it from. */
import { fileURLToPath } from 'node:url'

export const DASHBOARD_DIST = fileURLToPath(new URL('./dist/', import.meta.url))
