// The typed admin API client the CLI uses. Transport failures and HTTP errors become NovacronErrors with
// the exit-code kind of CLI.md: unreachable (4), unauthorized (6), commit timeout (5), usage (2).
import { NovacronError } from '../config/errors.ts'
import type { IncomingMessage } from 'node:http'
import type { ErrorJson, HealthJson, PeerJson, StatusJson } from './types.ts'

export interface AdminClientOptions {
  url: string
  token: string | null
  timeoutMs?: number
}

export class AdminClient {
  private readonly opts: AdminClientOptions

  constructor (opts: AdminClientOptions) {
    this.opts = opts
  }

  get url (): string { return this.opts.url }

  status (): Promise<StatusJson> { return this.request('GET', '/v1/status') }
  peers (): Promise<PeerJson[]> { return this.request('GET', '/v1/peers') }
  health (): Promise<HealthJson> { return this.request('GET', '/health') }
  metrics (): Promise<string> { return this.request('GET', '/metrics', undefined, 'text') }

  async request<T> (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, as: 'json' | 'text' = 'json', timeoutMs = this.opts.timeoutMs ?? 10_000): Promise<T> {
    const res = await this.send(method, path, body, timeoutMs)
    const text = (await collect(res, this.opts.url)).toString('utf8')
    if ((res.statusCode ?? 500) >= 300) throw errorFrom(res, text, this.opts.url)
    if (as === 'text') return text as T
    try {
      return JSON.parse(text) as T
    } catch {
      throw new NovacronError('failure', `node at ${this.opts.url} answered ${method} ${path} with a body that is not JSON`)
    }
  }

  /** Streams newline-delimited JSON (for `log tail --follow`). */
  async * lines<T> (path: string, signal?: AbortSignal): AsyncGenerator<T> {
    const res = await this.send('GET', path, undefined, 0, signal)
    if ((res.statusCode ?? 500) >= 300) throw errorFrom(res, (await collect(res, this.opts.url)).toString('utf8'), this.opts.url)
    const decoder = new TextDecoder()
    let buf = ''
    for await (const chunk of res) {
      buf += decoder.decode(chunk as Buffer, { stream: true })
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        if (line.length > 0) yield JSON.parse(line) as T
      }
    }
  }

  // node:http rather than fetch: loading fetch (undici) costs a short command more than all the rest.
  private async send (method: string, path: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<IncomingMessage> {
    const headers: Record<string, string> = {}
    if (this.opts.token != null) headers.authorization = `Bearer ${this.opts.token}`
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
    if (payload != null) { headers['content-type'] = 'application/json'; headers['content-length'] = String(payload.length) }
    let url: URL
    try { url = new URL(this.opts.url + path) } catch { throw new NovacronError('usage', `not a URL: ${this.opts.url}`) }
    // getBuiltinModule, not import(): an ESM import of node:http evaluates every export, fetch's too.
    const { request } = url.protocol === 'https:' ? process.getBuiltinModule('node:https') : process.getBuiltinModule('node:http')
    return await new Promise<IncomingMessage>((resolve, reject) => {
      // The timer covers the whole answer, not only the wait for its first byte (see collect).
      const req = request(url, { method, headers, signal }, resolve)
      let timer: NodeJS.Timeout | undefined
      if (timeoutMs > 0) {
        timer = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'TimeoutError' })), timeoutMs)
        req.once('close', () => clearTimeout(timer))
      }
      req.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer)
        if (err.code === 'TimeoutError') reject(new NovacronError('unreachable', `node at ${this.opts.url} did not answer within ${timeoutMs} ms`))
        else if (err.name === 'AbortError') reject(err)
        else reject(new NovacronError('unreachable', `cannot reach the node at ${this.opts.url} (${err.code ?? err.message}); is it running? (novacron node start, or --node URL)`))
      })
      req.end(payload)
    })
  }
}

async function collect (res: IncomingMessage, url: string): Promise<Buffer> {
  const chunks: Buffer[] = []
  try {
    for await (const chunk of res) chunks.push(chunk as Buffer)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new NovacronError('unreachable', code === 'TimeoutError' ? `node at ${url} did not finish its answer in time` : `the connection to ${url} broke during the answer (${code ?? String(err)})`)
  }
  return Buffer.concat(chunks)
}

function errorFrom (res: IncomingMessage, text: string, url: string): NovacronError {
  const status = res.statusCode ?? 500
  let message = `${status} ${res.statusMessage ?? ''}`.trim()
  try {
    const body = JSON.parse(text) as ErrorJson
    if (typeof body?.error?.message === 'string') message = body.error.message
  } catch { /* not JSON: keep the status line */ }
  if (status === 401) return new NovacronError('unauthorized', `unauthorized by ${url}: ${message}`)
  if (status === 504) return new NovacronError('commitTimeout', message)
  if (status === 400 || status === 404 || status === 413) return new NovacronError('usage', message)
  if (status === 503) return new NovacronError('failure', message)
  return new NovacronError('failure', `node at ${url} failed: ${message}`)
}
