/**
 * The operator's door: `cairn.sock` in the data directory. The `cairn` commands reach a running server
 * through it, so none needs the server stopped, and a request on it acts as the operator (an admin of
 * every site) without credentials. The socket is the owner's only (0600, in a 0700 directory): whoever
 * can open it can read the database files anyway.
 */
import { existsSync, chmodSync, unlinkSync } from 'node:fs'
import { createConnection } from 'node:net'
import { createServer, type RequestListener, type Server } from 'node:http'
import { join } from 'node:path'

/**
 * Requests that came through the server's Unix socket (or from a command in this process): they act as
 * the operator. Marked by the listener, never by anything a client sends.
 */
export const operatorRequests = new WeakSet<object>()

export const socketPath = (dataDir: string) => join(dataDir, 'cairn.sock')

/** Linux refuses a socket path longer than this. */
const MAX_PATH = 107

/** Whether a server answers on the socket (a file left by a crash does not). */
export function serverRunning(path: string): Promise<boolean> {
  if (!existsSync(path)) return Promise.resolve(false)
  return new Promise((resolve) => {
    const socket = createConnection(path)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

/** Listens on the socket; undefined (and `warn` says why) where there can be none: a path too long, or another server on it. */
export async function listenOnSocket(dataDir: string, listener: RequestListener, warn: (message: string) => void): Promise<Server | undefined> {
  const path = socketPath(dataDir)
  if (path.length > MAX_PATH) {
    warn(`no operator socket: ${path} is longer than ${MAX_PATH} characters; cairn commands will need the server stopped`)
    return undefined
  }
  // The commands keep reaching the server that answers there; this one serves without a socket.
  if (await serverRunning(path)) {
    warn(`no operator socket: another Cairn server answers on ${path}; cairn commands will reach that one`)
    return undefined
  }
  if (existsSync(path)) unlinkSync(path)
  const server = createServer({ headersTimeout: 10_000 }, (req, res) => {
    operatorRequests.add(req)
    listener(req, res)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    // Created owner-only: no moment where another user could connect.
    const umask = process.umask(0o177)
    server.listen(path, () => {
      process.umask(umask)
      resolve()
    })
  })
  chmodSync(path, 0o600)
  return server
}

export function closeSocket(server: Server | undefined, dataDir: string): Promise<void> {
  if (!server) return Promise.resolve()
  return new Promise((resolve) => {
    server.close(() => {
      try {
        unlinkSync(socketPath(dataDir))
      } catch {
        // already gone
      }
      resolve()
    })
    server.closeAllConnections()
  })
}
