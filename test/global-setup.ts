/** Builds the tracker once before any test file runs: the server serves it, and the browser tests load it. */
import { buildTracker } from '../tracker/build.ts'

export default async function setup(): Promise<void> {
  await buildTracker()
}
