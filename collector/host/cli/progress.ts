/** A progress bar for the commands' long jobs. */

/** A progress bar on stderr, its numbers written the language's way. */
export function progress(label: string, language: string): (done: number, total: number) => void {
  const n = new Intl.NumberFormat(language)
  const started = Date.now()
  return (done, total) => {
    const width = 30
    const filled = Math.round((done / total) * width)
    const rate = Math.round(done / Math.max(0.001, (Date.now() - started) / 1000))
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${n.format(done)}/${n.format(total)} (${n.format(rate)}/s)`)
    if (done >= total) process.stderr.write('\n')
  }
}
