/**
 * ClickHouse made unavailable without stopping it: the embedded engine's transport refuses every call
 * while `down`, as a stopped server's would. The collector's own code paths (retries, spool, readiness)
 * meet the failure exactly as they would meet a dead server.
 */
import type { Transport } from '../../sql/client.ts'

const CALLS = new Set(['query', 'insert', 'command', 'exec'])

export class Outage {
  down = false
  /** Calls refused while down. */
  refused = 0

  wrap = (transport: Transport): Transport =>
    new Proxy(transport, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver) as unknown
        if (typeof value !== 'function') return value
        const call = (...args: unknown[]) => (value as (...a: unknown[]) => unknown).apply(target, args)
        if (property === 'ping') return (...args: unknown[]) => (this.down ? Promise.resolve({ success: false, error: this.error() }) : call(...args))
        if (CALLS.has(String(property))) return (...args: unknown[]) => (this.down ? (this.refused++, Promise.reject(this.error())) : call(...args))
        return call
      },
    })

  private error(): Error {
    return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123 (ClickHouse made unavailable by the test)'), { code: 'ECONNREFUSED' })
  }
}
