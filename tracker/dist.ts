/** Where the tracker's build goes (tracker/build.ts) and where the collector serves it from. */
import { fileURLToPath } from 'node:url'

export const TRACKER_DIST = fileURLToPath(new URL('./dist/', import.meta.url))
