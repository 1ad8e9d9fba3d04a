// The admin API: HTTP + JSON on loopback, every route behind a bearer token read from a 0600 file. Routes
// are registered by the composition root; a handler throws ApiError for a client mistake.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { timingSafeEqual } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { NovacronError } from '../config/errors.ts'
import type { Logger } from '../log/index.ts'
import type { ApiMetrics } from '../metrics/index.ts'

export const MAX_BODY_BYTES = 1024 * 1024

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  constructor (status: number, code: string, message: string) {
    super(message)
    this.status = status
    this.code = code
  }
}

export interface ApiRequest {
  method: string
  path: string
  query: URLSearchParams
  body: unknown
  signal: AbortSignal
}

/** A streamed line resolves once the socket takes more (its 'drain'), so a slow reader holds the producer back. */
export type StreamWrite = (line: string) => Promise<void>
export type ApiResponse = { json: unknown } | { text: string, contentType: string } | { stream: (write: StreamWrite, signal: AbortSignal) => Promise<void> }
export type RouteHandler = (req: ApiRequest) => Promise<ApiResponse> | ApiResponse

export interface AdminApiOptions {
  /** HOST:PORT; port 0 takes one from the OS. */
  listen: string
  /** Bearer token; null is allowed only on loopback. */
  token: string | null
}

export interface AdminApiComponents {
  logger: Logger
  metrics: ApiMetrics
}

export function isLoopbackHost (host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

export function splitHostPort (hostPort: string): { host: string, port: number } {
  const i = hostPort.lastIndexOf(':')
  return { host: hostPort.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(hostPort.slice(i + 1)) }
}

export class AdminApi {
  private readonly opts: AdminApiOptions
  private readonly logger: Logger
  private readonly metrics: ApiMetrics
  private readonly routes = new Map<string, RouteHandler>()
  private readonly tokenBytes: Buffer | null
  private server: Server | null = null
  private readonly inflight = new Set<AbortController>()

  constructor (opts: AdminApiOptions, components: AdminApiComponents) {
    const { host } = splitHostPort(opts.listen)
    if (opts.token == null && !isLoopbackHost(host)) {
      throw new NovacronError('config', `refusing to serve the admin API on ${opts.listen} without a token: bind it to 127.0.0.1 or create ${'admin.token'} with \`novacron init\``)
    }
    this.opts = opts
    this.logger = components.logger
    this.metrics = components.metrics
    this.tokenBytes = opts.token == null ? null : Buffer.from(opts.token)
  }

  route (method: 'GET' | 'POST' | 'DELETE', path: string, handler: RouteHandler): void {
    this.routes.set(`${method} ${path}`, handler)
  }

  async start (): Promise<string> {
    const { host, port } = splitHostPort(this.opts.listen)
    // handle() answers every failure itself; this catch is the last line, so no request can reach the
    // process as an unhandled rejection.
    const server = createServer((req, res) => {
      this.handle(req, res).catch(err => {
        this.logger.error({ err: String(err) }, 'admin API request failed outside its handler')
        if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ error: { code: 'internal', message: 'internal error' } }))
        else res.destroy()
      })
    })
    server.on('clientError', (err, socket) => { if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n'); else socket.destroy(err) })
    server.keepAliveTimeout = 5000
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE'
        ? new NovacronError('failure', `cannot serve the admin API on ${this.opts.listen}: address already in use (choose another --admin HOST:PORT)`)
        : new NovacronError('failure', `cannot serve the admin API on ${this.opts.listen}: ${err.message}`)))
      server.listen(port, host, () => resolve())
    })
    this.server = server
    const addr = server.address() as AddressInfo
    return `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`
  }

  async stop (): Promise<void> {
    for (const c of this.inflight) c.abort()
    const server = this.server
    this.server = null
    if (server == null) return
    server.closeAllConnections()
    await new Promise<void>(resolve => server.close(() => resolve()))
  }

  private authorized (req: IncomingMessage): boolean {
    if (this.tokenBytes == null) return true
    const header = req.headers.authorization ?? ''
    const m = /^Bearer (.+)$/.exec(header)
    if (m == null) return false
    const given = Buffer.from(m[1])
    return given.length === this.tokenBytes.length && timingSafeEqual(given, this.tokenBytes)
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    const controller = new AbortController()
    this.inflight.add(controller)
    res.on('close', () => { controller.abort(); this.inflight.delete(controller) })
    let key = `${req.method} ?`
    let routeLabel = 'unknown'
    try {
      // The target is the client's bytes: an absolute form URL parsing rejects (`GET http://[/`) is a 400.
      const url = parseTarget(req.url)
      key = `${req.method} ${url.pathname}`
      const handler = this.routes.get(key)
      if (handler != null) routeLabel = url.pathname
      if (!this.authorized(req)) throw new ApiError(401, 'unauthorized', 'missing or wrong admin token (see --token-file)')
      if (handler == null) throw new ApiError(404, 'not_found', `no route ${key}`)
      const body = await readJsonBody(req)
      const out = await handler({ method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, body, signal: controller.signal })
      if ('json' in out) send(res, 200, 'application/json', JSON.stringify(out.json))
      else if ('text' in out) send(res, 200, out.contentType, out.text)
      else {
        res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
        await out.stream(async line => { if (!res.write(line + '\n')) await drained(res, controller.signal) }, controller.signal)
        res.end()
      }
      this.metrics.requests.inc({ route: routeLabel, status: '200' })
    } catch (err) {
      const apiErr = err instanceof ApiError ? err : toApiError(err)
      if (apiErr.status >= 500) this.logger.error({ route: key, err: String(err) }, 'admin API handler failed')
      this.metrics.requests.inc({ route: routeLabel, status: String(apiErr.status) })
      if (!res.headersSent) send(res, apiErr.status, 'application/json', JSON.stringify({ error: { code: apiErr.code, message: apiErr.message } }))
      else res.end()
    }
  }
}

function parseTarget (target: string | undefined): URL {
  try {
    return new URL(target ?? '/', 'http://admin')
  } catch {
    throw new ApiError(400, 'bad_request', 'request target is not a valid URL')
  }
}

/** Resolves when the response can take more, or when the client has gone (the stream then ends). */
function drained (res: ServerResponse, signal: AbortSignal): Promise<void> {
  if (signal.aborted || res.destroyed) return Promise.resolve()
  return new Promise(resolve => {
    const done = (): void => { res.off('drain', done); signal.removeEventListener('abort', done); resolve() }
    res.once('drain', done)
    signal.addEventListener('abort', done, { once: true })
  })
}

function toApiError (err: unknown): ApiError {
  if (err instanceof NovacronError) {
    const status = { usage: 400, config: 400, unauthorized: 401, commitTimeout: 504, unreachable: 503, failure: 500 }[err.kind]
    return new ApiError(status, err.kind, err.message)
  }
  return new ApiError(500, 'internal', err instanceof Error ? err.message : String(err))
}

function send (res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' })
  res.end(body)
}

async function readJsonBody (req: IncomingMessage): Promise<unknown> {
  if (req.method === 'GET' || req.method === 'HEAD') return undefined
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'too_large', `request body over ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk as Buffer)
  }
  if (size === 0) return undefined
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new ApiError(400, 'bad_json', 'request body is not valid JSON')
  }
}

export interface MetricsServer { url: string, close: () => Promise<void> }

/** An optional unauthenticated listener for Prometheus that serves /metrics and nothing else. */
export async function startMetricsServer (listen: string, registry: { metrics: () => Promise<string>, contentType: string }): Promise<MetricsServer> {
  const { host, port } = splitHostPort(listen)
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') { send(res, 404, 'text/plain', 'only /metrics here\n'); return }
    registry.metrics().then(text => send(res, 200, registry.contentType, text), err => send(res, 500, 'text/plain', String(err)))
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(new NovacronError('failure', `cannot serve metrics on ${listen}: ${err.code ?? err.message}`)))
    server.listen(port, host, () => resolve())
  })
  const addr = server.address() as AddressInfo
  return {
    url: `http://${addr.address}:${addr.port}/metrics`,
    close: () => new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => resolve()) })
  }
}
