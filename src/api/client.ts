// The typed admin API client the CLI uses. Transport failures and HTTP errors become NovacronErrors with
// the exit-code kind of CLI.md: unreachable (4), unauthorized (6), commit timeout (5), usage (2).
import { NovacronError } from '../config/errors.ts'
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
    const res = await this.fetch(method, path, body, timeoutMs)
    if (!res.ok) throw await errorFrom(res, this.opts.url)
    return (as === 'json' ? await res.json() : await res.text()) as T
  }

  /** Streams newline-delimited JSON (for `log tail --follow`). */
  async * lines<T> (path: string, signal?: AbortSignal): AsyncGenerator<T> {
    const res = await this.fetch('GET', path, undefined, 0, signal)
    if (!res.ok) throw await errorFrom(res, this.opts.url)
    if (res.body == null) return
    const decoder = new TextDecoder()
    let buf = ''
    for await (const chunk of res.body) {
      buf += decoder.decode(chunk, { stream: true })
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        if (line.length > 0) yield JSON.parse(line) as T
      }
    }
  }

  private async fetch (method: string, path: string, body: unknown, timeoutMs: number, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = {}
    if (this.opts.token != null) headers.authorization = `Bearer ${this.opts.token}`
    if (body !== undefined) headers['content-type'] = 'application/json'
    const signals = [signal, timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined].filter((s): s is AbortSignal => s != null)
    try {
      return await fetch(this.opts.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: signals.length > 0 ? AbortSignal.any(signals) : undefined })
    } catch (err) {
      const inner = (err as { cause?: { code?: string, message?: string } }).cause
      const cause = inner?.code ?? inner?.message ?? (err as Error).name
      if (cause === 'TimeoutError') throw new NovacronError('unreachable', `node at ${this.opts.url} did not answer within ${timeoutMs} ms`)
      throw new NovacronError('unreachable', `cannot reach the node at ${this.opts.url} (${cause}); is it running? (novacron node start, or --node URL)`)
    }
  }
}

async function errorFrom (res: Response, url: string): Promise<NovacronError> {
  let message = `${res.status} ${res.statusText}`
  try {
    const body = await res.json() as ErrorJson
    if (typeof body?.error?.message === 'string') message = body.error.message
  } catch { /* not JSON: keep the status line */ }
  if (res.status === 401) return new NovacronError('unauthorized', `unauthorized by ${url}: ${message}`)
  if (res.status === 504) return new NovacronError('commitTimeout', message)
  if (res.status === 400 || res.status === 404 || res.status === 413) return new NovacronError('usage', message)
  if (res.status === 503) return new NovacronError('failure', message)
  return new NovacronError('failure', `node at ${url} failed: ${message}`)
}
