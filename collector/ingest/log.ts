/** Plain line logs on stderr. Callers pass messages, never request data: no address or cookie is ever logged. */
export interface Log {
  info(message: string): void
  error(message: string): void
}

export function consoleLog(stream: NodeJS.WritableStream = process.stderr): Log {
  const line = (level: string, message: string) => stream.write(`${new Date().toISOString()} ${level} ${message}\n`)
  return { info: (m) => line('info', m), error: (m) => line('error', m) }
}

export const silentLog: Log = { info() {}, error() {} }
