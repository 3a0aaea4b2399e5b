/**
 * The `version` of a row of Cairn's ReplacingMergeTree tables (users, sites, goals, …): the newest
 * version of a key wins at merge and with FINAL. Microseconds, strictly increasing in this process, so two
 * changes in one millisecond keep their order (and another collector's change a moment later still wins).
 */
let last = 0

export function nextVersion(): number {
  last = Math.max(last + 1, Date.now() * 1000)
  return last
}
