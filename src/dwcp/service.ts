// DWCP as one object for the node to own: sender and receiver over the node's FrameStreams, per-peer
// breakers and retries around every send, link measurements that feed planning and tiers, a transfer
// log for the CLI, counters for /metrics, and a component for the health loop.
import { access, constants } from 'node:fs/promises'
import type { StreamDialer, FrameStream } from './transport/stream.ts'
import type { WireLimits } from './wire/limits.ts'
import { TransferReceiver } from './amst/receiver.ts'
import type { ReceiverEvent, ReceiverOptions } from './amst/receiver.ts'
import { TransferSender, newTransferId } from './amst/sender.ts'
import type { SendRequest } from './amst/sender.ts'
import { TransferLog } from './amst/transfer-log.ts'
import type { TransferRecord } from './amst/transfer-log.ts'
import { TransferError } from './amst/types.ts'
import type { TransferSummary } from './amst/types.ts'
import { LinkMonitor } from './link/tier.ts'
import type { NetworkTier } from './link/tier.ts'
import { PeerBreakers } from './resilience/breaker.ts'
import type { BreakerOptions, CircuitStatus, RetryOptions } from './resilience/breaker.ts'
import type { HealthComponent } from './resilience/health.ts'
import type { CodecName } from './wire/frames.ts'
import type { CodecSelector, LinkInfo } from './codecs/select.ts'

export interface DwcpOptions {
  dialer: StreamDialer
  /** Where peers' files land; nothing is written elsewhere. */
  receiveDir: string
  limits?: Partial<WireLimits>
  /** fsync before acking chunks (default true). */
  durable?: boolean
  breaker?: BreakerOptions
  retry?: RetryOptions
  /** Share the node's monitor so ping RTTs reach the planner; a private one otherwise. */
  links?: LinkMonitor
  /** Where delta containers are built; the OS temp dir by default. */
  workDir?: string
  onReceiverEvent?: (e: ReceiverEvent) => void
  /** The receiver's disk guard: headroom kept free, per-peer quota, age of stale partial files. */
  disk?: Pick<ReceiverOptions, 'reserveBytes' | 'perPeerQuotaBytes' | 'partialMaxAgeMs' | 'diskSpace'>
  /** What `auto` means (the compression model once it ships); the built-in rule otherwise. */
  autoSelector?: CodecSelector
  /** Turns the measured link into the one transfers are planned for (the bandwidth predictor once it
   * ships); the measurement as is otherwise. */
  linkEstimate?: (peer: string, measured: LinkInfo | null) => LinkInfo | null
  /** Each finished send's throughput (Mbit/s), for a forecaster that learns the link. */
  onThroughput?: (peer: string, mbps: number) => void
}

export interface DwcpSendRequest extends SendRequest {
  /** Send a delta against this file at the receiver (falls back to a full send if it lacks it). */
  baseName?: string
}

export interface PeerLinkState {
  peer: string
  tier: NetworkTier | null
  rttMs: number | null
  bandwidthMbps: number | null
  circuit: CircuitStatus
}

export interface DwcpMetrics {
  transfersSent: number
  transfersFailed: number
  transfersReceived: number
  bytesRaw: number
  bytesSent: number
  chunksResent: number
  chunksByCodec: Partial<Record<CodecName, number>>
}

function isPeerFault (e: Error): boolean {
  return !(e instanceof TransferError && e.rejected)
}

export class DwcpService {
  readonly links: LinkMonitor
  readonly breakers: PeerBreakers
  readonly sender: TransferSender
  readonly receiver: TransferReceiver
  readonly log = new TransferLog()
  private readonly autoSelector: CodecSelector | undefined
  private readonly onThroughput: ((peer: string, mbps: number) => void) | undefined
  private readonly counters: DwcpMetrics = { transfersSent: 0, transfersFailed: 0, transfersReceived: 0, bytesRaw: 0, bytesSent: 0, chunksResent: 0, chunksByCodec: {} }

  constructor (opts: DwcpOptions) {
    this.links = opts.links ?? new LinkMonitor()
    this.breakers = new PeerBreakers({ breaker: opts.breaker, retry: opts.retry, isPeerFault })
    const estimate = opts.linkEstimate ?? ((_peer: string, measured: LinkInfo | null) => measured)
    this.sender = new TransferSender({ dialer: opts.dialer, limits: opts.limits, workDir: opts.workDir, linkOf: (peer) => estimate(peer, this.links.link(peer)) })
    this.autoSelector = opts.autoSelector
    this.onThroughput = opts.onThroughput
    this.receiver = new TransferReceiver({
      dir: opts.receiveDir,
      limits: opts.limits,
      durable: opts.durable,
      ...opts.disk,
      onEvent: (e) => {
        this.onReceiverEvent(e)
        opts.onReceiverEvent?.(e)
      }
    })
  }

  private gcTimer: NodeJS.Timeout | null = null

  /** Creates the receive directory and removes stale partial files, now and every hour. */
  async start (): Promise<void> {
    await this.receiver.init()
    await this.receiver.collectStale()
    this.gcTimer = setInterval(() => { void this.receiver.collectStale().catch(() => {}) }, 3600_000).unref()
  }

  /** Bind to the transport's inbound DWCP streams. Never throws. */
  async handleStream (stream: FrameStream, from: string): Promise<void> {
    await this.receiver.handleStream(stream, from)
  }

  /** One send, retried with backoff through the peer's breaker; retries resume where the last stopped. */
  async send (req: DwcpSendRequest): Promise<TransferSummary> {
    const id = req.id ?? newTransferId()
    this.log.start({ id, direction: 'send', peer: req.to, file: req.file, rawBytes: 0 })
    const codec = (req.codec === undefined || req.codec === 'auto') && this.autoSelector !== undefined ? this.autoSelector : req.codec
    const attempt = { ...req, id, codec, onProgress: (p: Parameters<NonNullable<SendRequest['onProgress']>>[0]) => {
      this.log.update(id, { doneBytes: p.doneBytes, rawBytes: p.totalBytes })
      req.onProgress?.(p)
    } }
    try {
      const summary = await this.breakers.executeWithRetry(req.to, async () => {
        return req.baseName === undefined ? await this.sender.send(attempt) : await this.sender.sendDelta({ ...attempt, baseName: req.baseName })
      }, req.signal)
      this.links.recordThroughput(req.to, summary.sentBytes, summary.seconds)
      if (summary.seconds > 0 && summary.sentBytes >= 1024 * 1024) this.onThroughput?.(req.to, (summary.sentBytes * 8) / 1e6 / summary.seconds)
      this.count(summary)
      this.log.finish(id, { summary })
      return summary
    } catch (e) {
      this.counters.transfersFailed++
      this.log.finish(id, { error: e instanceof Error ? e.message : String(e) })
      throw e
    }
  }

  private count (s: TransferSummary): void {
    const c = this.counters
    c.transfersSent++
    c.bytesRaw += s.rawBytes
    c.bytesSent += s.sentBytes
    c.chunksResent += s.resentChunks
    for (const [codec, n] of Object.entries(s.codecMix) as Array<[CodecName, number]>) c.chunksByCodec[codec] = (c.chunksByCodec[codec] ?? 0) + n
  }

  private onReceiverEvent (e: ReceiverEvent): void {
    if (e.type === 'offer') this.log.start({ id: e.id, direction: 'receive', peer: e.from, file: e.name, rawBytes: e.size })
    else if (e.type === 'progress') this.log.update(e.id, { doneBytes: e.doneBytes })
    else if (e.type === 'complete') {
      this.counters.transfersReceived++
      this.log.finish(e.id, { summary: null, rawBytes: e.size })
    } else if (e.type === 'failed') this.log.finish(e.id, { error: e.reason })
  }

  /** `transfer list`: newest first. */
  list (): TransferRecord[] {
    return this.log.list()
  }

  /** `transfer status ID`. */
  status (id: string): TransferRecord | null {
    return this.log.get(id)
  }

  /** The `tier` and `circuit` of `status.peers[]`. */
  peer (peer: string): PeerLinkState {
    const m = this.links.measurement(peer)
    return { peer, tier: m.tier, rttMs: m.rttMs, bandwidthMbps: m.bandwidthMbps, circuit: this.breakers.status(peer) }
  }

  metrics (): DwcpMetrics {
    return { ...this.counters, chunksByCodec: { ...this.counters.chunksByCodec } }
  }

  /** For the health loop: failed if the receive directory is gone or read-only (a restart recreates
   * it), degraded while any peer's breaker is not closed. */
  healthComponent (name = 'dwcp'): HealthComponent {
    const circuit = (): CircuitStatus => {
      const all = Object.values(this.breakers.statuses())
      return all.includes('open') ? 'open' : all.includes('half-open') ? 'half-open' : 'closed'
    }
    return {
      name,
      check: async () => {
        await access(this.receiver.dir, constants.W_OK)
        return circuit() === 'closed' ? 'ok' : 'degraded'
      },
      restart: async () => await this.receiver.init(),
      circuit
    }
  }

  async close (): Promise<void> {
    if (this.gcTimer !== null) clearInterval(this.gcTimer)
    await this.receiver.close()
  }
}
