/**
 * The first middleware: reads the client address and keeps only its truncated form in the context.
 * Every later handler sees `ipTruncated`; the full address never leaves this function.
 */
import type { MiddlewareHandler } from 'hono'
import type { HttpBindings } from '@hono/node-server'
import { clientAddress, truncateIp } from './ip.ts'

export type CollectorEnv = { Bindings: Partial<HttpBindings>; Variables: { ipTruncated: string } }

export function truncatedIp(options: { trustProxy: number; ipv4Prefix: number; ipv6Prefix: number }): MiddlewareHandler<CollectorEnv> {
  return async (c, next) => {
    const socketAddress = c.env?.incoming?.socket?.remoteAddress
    c.set('ipTruncated', truncateIp(clientAddress(socketAddress, c.req.raw.headers, options.trustProxy), options.ipv4Prefix, options.ipv6Prefix))
    await next()
  }
}
