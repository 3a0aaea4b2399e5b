/**
 * How the commands reach Cairn: the admin API (docs/admin-api.md), through the running server's Unix
 * socket when there is one, so nothing needs the server stopped; otherwise the same API served in this
 * process on the data directory. Either way the request acts as the operator and the answers are the
 * server's, in the terminal's language.
 */
import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { request } from 'node:http'
import { Readable } from 'node:stream'
import type { Config } from '../config.ts'
import { operatorRequests, serverRunning, socketPath } from '../socket.ts'
import { language, say } from './args.ts'

/** A refusal from the API: its status and its `{error, errors?}`, already in the terminal's language. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: string; errors?: Record<string, string> },
  ) {
    super(
      body.errors
        ? Object.entries(body.errors).map(([field, problem]) => say('cli.fieldError', { field, problem })).join('; ')
        : (body.error ?? `HTTP ${status}`),
    )
  }
}

export interface Api {
  /** The JSON answer of a route, or an ApiError. */
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>
  /** A route that answers JSON lines (progress, then `{result}` or `{error}`): each step to `onStep`, the result returned. */
  steps<T>(path: string, body: unknown, onStep: (done: number, total: number) => void): Promise<T>
  /** A route's body as it comes (a file to save), or an ApiError. */
  download(path: string): Promise<AsyncIterable<Uint8Array | string>>
  /** A file sent as a PUT's body (`application/octet-stream`), its bytes counted to `onBytes` as they go; the JSON answer, or an ApiError. */
  upload<T = Record<string, unknown>>(path: string, file: string, onBytes: (sent: number, size: number) => void): Promise<T>
}

type Body = AsyncIterable<Uint8Array | string>
/** A file to send as the body instead of JSON. */
type Raw = { stream: Readable; size: number }
type Send = (method: string, path: string, body: unknown, raw?: Raw) => Promise<{ status: number; body: Body }>

export async function withApi<T>(config: Config, run: (api: Api) => Promise<T>): Promise<T> {
  const path = socketPath(config.dataDir)
  if (await serverRunning(path)) return run(api(viaSocket(path)))
  // The whole server is loaded only here, so that a command's usage or refusal answers at once.
  const [{ createCollector }, { silentLog }] = await Promise.all([import('../app.ts'), import('../../ingest/log.ts')])
  const collector = await createCollector(config, { log: silentLog, serveFiles: false })
  try {
    return await run(api(inProcess(collector.app.fetch)))
  } finally {
    await collector.close()
  }
}

const headers = { 'content-type': 'application/json', 'accept-language': language }

function viaSocket(socketPath: string): Send {
  return (method, path, body, raw) =>
    new Promise((resolve, reject) => {
      const text = body === undefined ? '' : JSON.stringify(body)
      // Node frames no body on a DELETE unless told its length.
      const sent = raw ? { 'content-type': 'application/octet-stream', 'content-length': raw.size } : { 'content-length': Buffer.byteLength(text) }
      const req = request({ socketPath, path, method, headers: { ...headers, ...sent } }, (res) => resolve({ status: res.statusCode ?? 500, body: res }))
      req.once('error', reject)
      if (raw) raw.stream.once('error', reject).pipe(req)
      else req.end(text)
    })
}

function inProcess(fetch: (request: Request, env: unknown) => Response | Promise<Response>): Send {
  return async (method, path, body, raw) => {
    // The marker object stands for a socket request: what makes this request the operator's.
    const incoming = {}
    operatorRequests.add(incoming)
    const request = raw
      ? new Request(`http://cairn.invalid${path}`, {
          method, headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(raw.size) },
          body: Readable.toWeb(raw.stream) as ReadableStream, duplex: 'half',
        } as RequestInit)
      : new Request(`http://cairn.invalid${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    const response = await fetch(request, { incoming })
    // Node's web streams are async iterable; the DOM types do not say so.
    return { status: response.status, body: (response.body ?? []) as unknown as Body }
  }
}

/** A body's text, line by line. */
async function* lines(body: Body): AsyncIterable<string> {
  const decoder = new TextDecoder()
  let rest = ''
  for await (const chunk of body) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true })
    const parts = rest.split('\n')
    rest = parts.pop()!
    yield* parts
  }
  if (rest) yield rest
}

function api(send: Send): Api {
  return {
    async call(method, path, body) {
      return answered(await send(method, path, body))
    },
    async steps(path, body, onStep) {
      const { status, body: answer } = await send('POST', path, body)
      if (status >= 400) throw await refusal(status, answer)
      for await (const line of lines(answer)) {
        if (!line.trim()) continue
        const step = JSON.parse(line) as { done?: number; total?: number; result?: unknown; error?: string }
        if (step.error !== undefined) throw new Error(step.error)
        if ('result' in step) return step.result as never
        onStep(step.done!, step.total!)
      }
      throw new Error(say('cli.api.cutOff'))
    },
    async upload(path, file, onBytes) {
      const { size } = await stat(file)
      let sent = 0
      const stream = createReadStream(file)
      stream.on('data', (chunk) => onBytes((sent += chunk.length), size))
      return answered(await send('PUT', path, undefined, { stream, size }))
    },
    async download(path) {
      const { status, body: answer } = await send('GET', path, undefined)
      if (status >= 400) throw await refusal(status, answer)
      return answer
    },
  }
}

/** A route's JSON answer, or its refusal as an ApiError. */
async function answered<T>({ status, body }: { status: number; body: Body }): Promise<T> {
  let text = ''
  for await (const line of lines(body)) text += line + '\n'
  const json = text.trim() ? JSON.parse(text) : {}
  if (status >= 400) throw new ApiError(status, json)
  return json
}

async function refusal(status: number, answer: Body): Promise<ApiError> {
  let text = ''
  for await (const line of lines(answer)) text += line
  return new ApiError(status, JSON.parse(text))
}
