/** Builds the tracker and the dashboard once before any test file runs: the server serves both. */
import { buildDashboard } from '../dashboard/build.ts'
import { buildTracker } from '../tracker/build.ts'

export default async function setup(): Promise<void> {
  await Promise.all([buildTracker(), buildDashboard()])
}
