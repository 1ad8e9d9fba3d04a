// The libp2p host: TCP + Noise + Yamux, identify and ping, the genesis validators as an allow-list, a redial
// loop per validator, and framed message channels (one ordered stream per peer and direction). The only
// module that knows libp2p; everything above talks to `Channel`.
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { bootstrap } from '@libp2p/bootstrap'
import { mdns } from '@libp2p/mdns'
import { multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import type { Logger } from '../log/index.ts'
import type { NetMetrics } from '../metrics/index.ts'
import { NovacronError } from '../config/errors.ts'
import { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff.ts'
import { DEFAULT_MAX_FRAME_BYTES, FrameDecoder } from './framing.ts'
import type { NodeIdentity } from './identity.ts'
import { DEFAULT_OUTBOUND_QUEUE_OPTIONS, OutboundQueue, type OutboundQueueOptions } from './outbound-queue.ts'
import { RequestError, readFrame, writeFrame } from './request.ts'
import { toFrameStream, type FrameStream } from './frame-stream.ts'

export interface NetHostOptions {
  identity: NodeIdentity
  listen: string[]
  bootstrap: string[]
  validators: ReadonlyArray<{ peerId: string, addr: string }>
  mdns: boolean
  maxFrameBytes?: number
  queue?: OutboundQueueOptions
  backoff?: BackoffOptions
  pingIntervalMs?: number
  /** Each measured round trip to a peer (feeds link tiers and transfer planning). */
  onRtt?: (peerId: string, ms: number) => void
  /** Wraps every redial of a validator: the node passes its per-peer circuit breakers, so consensus
   *  connections and bulk transfers share one breaker per peer. */
  dialGuard?: (peerId: string, dial: () => Promise<unknown>) => Promise<unknown>
  /** A peer connected, whoever dialled: proof it is reachable again. */
  onPeerConnect?: (peerId: string) => void
  onPeerDisconnect?: (peerId: string) => void
  /** Connections from peers outside the validator set (observers) held at once; more are refused at the
   *  handshake. Validators never count against it and are always admitted. */
  maxObserverConnections?: number
}

export const DEFAULT_MAX_OBSERVER_CONNECTIONS = 64

export interface NetHostComponents {
  logger: Logger
  metrics: NetMetrics
}

export interface ChannelSpec {
  protocol: string
  /** Refuse streams from peers outside the genesis validator set. */
  validatorsOnly: boolean
  onMessage: (from: string, payload: Uint8Array) => void
}

export interface Channel {
  /** Queues a message for one peer; false when it was dropped (queue full). */
  send: (to: string, payload: Uint8Array) => boolean
  /** Queues a message for every validator except this node. */
  broadcast: (payload: Uint8Array) => void
  /** Bytes queued for a peer and not yet written: producers that must not drop wait while it is high. */
  queuedBytes: (to: string) => number
}

export interface RequestHandlerSpec {
  protocol: string
  validatorsOnly: boolean
  maxRequestBytes: number
  handle: (from: string, request: Uint8Array, signal: AbortSignal) => Promise<Uint8Array>
}

export interface RequestOptions {
  timeoutMs: number
  maxResponseBytes: number
}

export interface StreamProtocolSpec {
  protocol: string
  validatorsOnly: boolean
  maxFrameBytes: number
  maxInboundStreams: number
  onStream: (stream: FrameStream, from: string) => void
}

export type ChannelState = 'open' | 'opening' | 'refused' | 'closed'

export interface PeerStatus {
  id: string
  addr: string | null
  connected: boolean
  validator: boolean
  latencyMs: number | null
  msgsPerS: number
  channels: Record<string, ChannelState>
}

interface PeerLink {
  queue: OutboundQueue
  state: ChannelState
  refusals: number
}

interface ChannelEntry {
  spec: ChannelSpec
  links: Map<string, PeerLink>
}

interface PeerStats {
  latencyMs: number | null
  messages: number
  lastSampleMessages: number
  msgsPerS: number
}

export class NetHost {
  private readonly opts: NetHostOptions
  private readonly logger: Logger
  private readonly metrics: NetMetrics
  private readonly validators: Map<string, string>
  private readonly channels = new Map<string, ChannelEntry>()
  private readonly requestHandlers: RequestHandlerSpec[] = []
  private readonly streamProtocols = new Map<string, StreamProtocolSpec>()
  private readonly stats = new Map<string, PeerStats>()
  private readonly redialTimers = new Map<string, NodeJS.Timeout>()
  private readonly redialAttempts = new Map<string, number>()
  private readonly timers: NodeJS.Timeout[] = []
  private libp2p: Libp2p<{ ping: Ping }> | null = null
  private stopping = false

  constructor (opts: NetHostOptions, components: NetHostComponents) {
    this.opts = opts
    this.logger = components.logger
    this.metrics = components.metrics
    this.validators = new Map(opts.validators.map(v => [v.peerId, v.addr]))
  }

  get peerId (): string { return this.opts.identity.peerId }

  isValidator (peerId: string): boolean { return this.validators.has(peerId) }

  /** Registers a framed message channel; call before start(). */
  registerChannel (spec: ChannelSpec): Channel {
    const entry: ChannelEntry = { spec, links: new Map() }
    this.channels.set(spec.protocol, entry)
    return {
      send: (to, payload) => this.enqueue(entry, to, payload),
      broadcast: payload => {
        for (const id of this.validators.keys()) if (id !== this.peerId) this.enqueue(entry, id, payload)
      },
      queuedBytes: to => entry.links.get(to)?.queue.queuedBytes ?? 0
    }
  }

  /** Serves one-question-one-answer requests on `protocol`; call before start(). */
  registerRequestHandler (spec: RequestHandlerSpec): void {
    this.requestHandlers.push(spec)
  }

  /** Asks one connected peer; rejects with RequestError on timeout, refusal or an oversized answer. */
  async request (peerId: string, protocol: string, payload: Uint8Array, opts: RequestOptions): Promise<Uint8Array> {
    const connection = this.libp2p?.getConnections().find(c => c.remotePeer.toString() === peerId && c.status === 'open')
    if (connection == null) throw new RequestError('closed', `not connected to ${peerId}`)
    const signal = AbortSignal.timeout(opts.timeoutMs)
    let stream: Stream
    try {
      stream = await connection.newStream(protocol, { signal })
    } catch (err) {
      throw new RequestError(signal.aborted ? 'timeout' : 'refused', `cannot open ${protocol} to ${peerId}: ${(err as Error).message}`)
    }
    try {
      await writeFrame(stream, payload, signal)
      return await readFrame(stream, opts.maxResponseBytes, signal)
    } finally {
      stream.abort(new Error('request done'))
    }
  }

  /** Serves long-lived frame streams on `protocol` (bulk transfers); call before start(). */
  registerStreamProtocol (spec: StreamProtocolSpec): void {
    this.streamProtocols.set(spec.protocol, spec)
  }

  /** Opens `n` new frame streams to a connected (or dialable validator) peer. */
  async openFrameStreams (peerId: string, protocol: string, n: number, signal?: AbortSignal): Promise<FrameStream[]> {
    const spec = this.streamProtocols.get(protocol)
    if (spec == null || this.libp2p == null) throw new RequestError('closed', `protocol ${protocol} is not registered`)
    let connection = this.libp2p.getConnections().find(c => c.remotePeer.toString() === peerId && c.status === 'open')
    if (connection == null) {
      const addr = this.validators.get(peerId)
      if (addr == null) throw new RequestError('closed', `not connected to ${peerId} and no address known for it`)
      connection = await this.libp2p.dial(multiaddr(`${addr}/p2p/${peerId}`), { signal: signal ?? AbortSignal.timeout(5000) })
    }
    const streams: Stream[] = []
    try {
      for (let i = 0; i < n; i++) streams.push(await connection.newStream(protocol, { signal: signal ?? AbortSignal.timeout(10_000) }))
    } catch (err) {
      for (const s of streams) s.abort(err as Error)
      throw new RequestError('refused', `cannot open ${protocol} streams to ${peerId}: ${(err as Error).message}`)
    }
    return streams.map(s => toFrameStream(s, { maxFrameBytes: spec.maxFrameBytes }))
  }

  async start (): Promise<void> {
    const peerDiscovery = []
    if (this.opts.bootstrap.length > 0) peerDiscovery.push(bootstrap({ list: this.opts.bootstrap }))
    if (this.opts.mdns) peerDiscovery.push(mdns())
    try {
      this.libp2p = await createLibp2p({
        privateKey: this.opts.identity.privateKey,
        addresses: { listen: this.opts.listen },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        peerDiscovery,
        services: { identify: identify(), ping: ping() },
        // A devnet opens many connections at once from one address; the defaults would refuse some. The
        // validators' addresses skip the connection limits and are never pruned; observers are held to
        // their own budget by the gater, so strangers can never take the validators' slots.
        connectionManager: { inboundConnectionThreshold: 1000, maxIncomingPendingConnections: 256, maxConnections: 512, allow: validatorAllowList(this.opts.validators) },
        connectionGater: { denyInboundEncryptedConnection: async (peer: PeerId) => this.observerBudgetFull(peer.toString()) }
      })
    } catch (err) {
      throw listenError(err, this.opts.listen)
    }
    for (const id of this.validators.keys()) {
      if (id === this.peerId) continue
      await this.libp2p.peerStore.merge(peerIdFromString(id), { tags: { [VALIDATOR_TAG]: { value: 100 } } }).catch(() => {})
    }
    for (const entry of this.channels.values()) {
      await this.libp2p.handle(entry.spec.protocol, (stream, connection) => this.acceptStream(entry, stream, connection), {
        maxInboundStreams: 8, maxOutboundStreams: 8
      })
    }
    for (const spec of this.requestHandlers) {
      await this.libp2p.handle(spec.protocol, (stream, connection) => { void this.answer(spec, stream, connection) }, { maxInboundStreams: 16, maxOutboundStreams: 16 })
    }
    for (const spec of this.streamProtocols.values()) {
      await this.libp2p.handle(spec.protocol, (stream, connection) => {
        const from = connection.remotePeer.toString()
        if (spec.validatorsOnly && !this.validators.has(from)) {
          this.metrics.streamsRefused.inc({ protocol: spec.protocol })
          stream.abort(new Error('not a validator of this cluster'))
          return
        }
        spec.onStream(toFrameStream(stream, { maxFrameBytes: spec.maxFrameBytes }), from)
      }, { maxInboundStreams: spec.maxInboundStreams, maxOutboundStreams: spec.maxInboundStreams })
    }
    this.libp2p.addEventListener('peer:connect', evt => this.onPeerConnect(evt.detail))
    this.libp2p.addEventListener('peer:disconnect', evt => this.onPeerDisconnect(evt.detail))
    // The node with the smaller peer id dials first, so two nodes starting together rarely race each other
    // into duplicate connections; the other dials only if nothing arrived meanwhile.
    for (const id of this.validators.keys()) if (id !== this.peerId) this.scheduleRedial(id, this.peerId < id ? 0 : 750)
    this.timers.push(setInterval(() => this.sample(), 1000).unref())
    this.timers.push(setInterval(() => { void this.pingPeers() }, this.opts.pingIntervalMs ?? 5000).unref())
  }

  async stop (): Promise<void> {
    this.stopping = true
    for (const t of this.timers) clearInterval(t)
    for (const t of this.redialTimers.values()) clearTimeout(t)
    this.redialTimers.clear()
    for (const entry of this.channels.values()) for (const link of entry.links.values()) link.queue.clear()
    await this.libp2p?.stop()
    this.libp2p = null
  }

  listenAddrs (): string[] {
    return this.libp2p?.getMultiaddrs().map(a => a.toString()) ?? []
  }

  peers (): PeerStatus[] {
    const out = new Map<string, PeerStatus>()
    const connections = this.libp2p?.getConnections() ?? []
    const status = (id: string, addr: string | null, connected: boolean): PeerStatus => {
      const s = this.stats.get(id)
      const channels: Record<string, ChannelState> = {}
      for (const [protocol, entry] of this.channels) channels[protocol] = entry.links.get(id)?.state ?? 'closed'
      return { id, addr, connected, validator: this.validators.has(id), latencyMs: s?.latencyMs ?? null, msgsPerS: s?.msgsPerS ?? 0, channels }
    }
    for (const c of connections) {
      const id = c.remotePeer.toString()
      if (!out.has(id)) out.set(id, status(id, c.remoteAddr.toString(), true))
    }
    for (const [id, addr] of this.validators) if (id !== this.peerId && !out.has(id)) out.set(id, status(id, addr, false))
    return [...out.values()].sort((a, b) => a.id.localeCompare(b.id))
  }

  private stat (id: string): PeerStats {
    let s = this.stats.get(id)
    if (s == null) {
      s = { latencyMs: null, messages: 0, lastSampleMessages: 0, msgsPerS: 0 }
      this.stats.set(id, s)
    }
    return s
  }

  private link (entry: ChannelEntry, peerId: string): PeerLink {
    let link = entry.links.get(peerId)
    if (link != null) return link
    const protocol = entry.spec.protocol
    link = {
      state: 'closed',
      refusals: 0,
      queue: new OutboundQueue(this.opts.queue ?? DEFAULT_OUTBOUND_QUEUE_OPTIONS, {
        onDropped: () => this.metrics.framesDropped.inc({ reason: 'queue_full' }),
        onWrite: (messages, bytes) => {
          this.metrics.sends.inc({ protocol })
          this.metrics.messagesOut.inc({ protocol }, messages)
          this.metrics.bytesOut.inc({ protocol }, bytes)
          this.stat(peerId).messages += messages
        },
        onStreamError: err => {
          this.logger.debug({ peer: peerId, protocol, err: String(err) }, 'channel stream failed')
          this.markClosed(entry, peerId)
        }
      })
    }
    entry.links.set(peerId, link)
    return link
  }

  private enqueue (entry: ChannelEntry, to: string, payload: Uint8Array): boolean {
    if (to === this.peerId) return false
    if (payload.byteLength > (this.opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES)) {
      this.metrics.framesDropped.inc({ reason: 'oversized' })
      return false
    }
    if (entry.spec.validatorsOnly && !this.validators.has(to)) return false
    const link = this.link(entry, to)
    const ok = link.queue.enqueue(payload)
    if (link.state === 'closed' && this.isConnected(to)) void this.openStream(entry, to)
    return ok
  }

  /** True when one more observer connection would exceed the budget (never for a validator). */
  private observerBudgetFull (peerId: string): boolean {
    if (this.validators.has(peerId)) return false
    const observers = new Set((this.libp2p?.getConnections() ?? []).map(c => c.remotePeer.toString()).filter(id => !this.validators.has(id)))
    if (observers.has(peerId)) return false
    const full = observers.size >= (this.opts.maxObserverConnections ?? DEFAULT_MAX_OBSERVER_CONNECTIONS)
    if (full) this.metrics.streamsRefused.inc({ protocol: 'observer-connection' })
    return full
  }

  private isConnected (peerId: string): boolean {
    return this.libp2p?.getConnections().some(c => c.remotePeer.toString() === peerId && c.status === 'open') ?? false
  }

  private async openStream (entry: ChannelEntry, peerId: string): Promise<void> {
    const link = this.link(entry, peerId)
    if (link.state === 'opening' || link.state === 'open' || this.libp2p == null || this.stopping) return
    link.state = 'opening'
    const connection = this.libp2p.getConnections().find(c => c.remotePeer.toString() === peerId && c.status === 'open')
    if (connection == null) { link.state = 'closed'; return }
    try {
      const stream = await connection.newStream(entry.spec.protocol)
      stream.addEventListener('close', evt => {
        // Our outbound stream carries no replies, so a remote reset means the peer refused us (we are not in
        // its validator set, or it dropped our frames); either way back off.
        const refused = evt.error != null && evt.local !== true && this.isConnected(peerId)
        if (refused) link.refusals++
        this.markClosed(entry, peerId, refused ? 'refused' : 'closed')
      }, { once: true })
      if (stream.status !== 'open') {
        // Reset during negotiation, before our listener existed: the same refusal.
        link.refusals++
        this.markClosed(entry, peerId, 'refused')
        return
      }
      link.state = 'open'
      link.queue.attach(stream)
    } catch (err) {
      link.state = 'closed'
      this.logger.debug({ peer: peerId, protocol: entry.spec.protocol, err: String(err) }, 'cannot open channel stream')
    }
  }

  private markClosed (entry: ChannelEntry, peerId: string, state: ChannelState = 'closed'): void {
    const link = entry.links.get(peerId)
    if (link == null) return
    link.queue.detach()
    link.state = state
    if (this.stopping) return
    // Reopen while connected; a refused peer is retried slowly in case its genesis changes.
    const delay = state === 'refused' ? backoffDelay(link.refusals, { initialMs: 1000, maxMs: 60_000 }, Math.random()) : 100
    setTimeout(() => {
      if (link.state !== 'open' && link.state !== 'opening' && this.isConnected(peerId)) void this.openStream(entry, peerId)
    }, delay).unref()
  }

  private acceptStream (entry: ChannelEntry, stream: Stream, connection: Connection): void {
    const from = connection.remotePeer.toString()
    const protocol = entry.spec.protocol
    if (entry.spec.validatorsOnly && !this.validators.has(from)) {
      this.metrics.streamsRefused.inc({ protocol })
      this.logger.warn({ peer: from, protocol }, 'refused channel stream from a peer outside the validator set')
      stream.abort(new Error('not a validator of this cluster'))
      return
    }
    // An oversized frame is refused alone: its bytes are read past and counted, and the link stays up
    // (dropping the stream would make the sender back off as if refused, for up to a minute).
    const decoder = new FrameDecoder(this.opts.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES, { oversized: 'skip' })
    const stats = this.stat(from)
    stream.addEventListener('message', evt => {
      const skippedBefore = decoder.skippedFrames
      const frames = decoder.push(evt.data instanceof Uint8Array ? evt.data : evt.data.subarray())
      if (decoder.skippedFrames > skippedBefore) {
        this.metrics.framesDropped.inc({ reason: 'oversized' }, decoder.skippedFrames - skippedBefore)
        this.logger.warn({ peer: from, protocol, frames: decoder.skippedFrames - skippedBefore }, 'refused oversized channel frames (link kept)')
      }
      if (frames.length === 0) return
      stats.messages += frames.length
      this.metrics.messagesIn.inc({ protocol }, frames.length)
      let bytes = 0
      for (const frame of frames) {
        bytes += frame.byteLength
        try {
          entry.spec.onMessage(from, frame)
        } catch (err) {
          this.metrics.framesDropped.inc({ reason: 'handler_error' })
          this.logger.warn({ peer: from, protocol, err: String(err) }, 'message handler failed')
        }
      }
      this.metrics.bytesIn.inc({ protocol }, bytes)
    })
  }

  private async answer (spec: RequestHandlerSpec, stream: Stream, connection: Connection): Promise<void> {
    const from = connection.remotePeer.toString()
    if (spec.validatorsOnly && !this.validators.has(from)) {
      this.metrics.streamsRefused.inc({ protocol: spec.protocol })
      stream.abort(new Error('not a validator of this cluster'))
      return
    }
    const signal = AbortSignal.timeout(60_000)
    try {
      const request = await readFrame(stream, spec.maxRequestBytes, signal)
      const response = await spec.handle(from, request, signal)
      await writeFrame(stream, response, signal)
      await stream.close({ signal })
    } catch (err) {
      this.metrics.framesDropped.inc({ reason: 'request_failed' })
      this.logger.debug({ peer: from, protocol: spec.protocol, err: String(err) }, 'request not answered')
      stream.abort(err as Error)
    }
  }

  private onPeerConnect (peer: PeerId): void {
    const id = peer.toString()
    this.redialAttempts.delete(id)
    const timer = this.redialTimers.get(id)
    if (timer != null) { clearTimeout(timer); this.redialTimers.delete(id) }
    this.updatePeerGauges()
    this.opts.onPeerConnect?.(id)
    setTimeout(() => { void this.pingPeer(peer) }, 100).unref()
    if (!this.validators.has(id)) return
    for (const entry of this.channels.values()) void this.openStream(entry, id)
  }

  private onPeerDisconnect (peer: PeerId): void {
    const id = peer.toString()
    this.opts.onPeerDisconnect?.(id)
    this.updatePeerGauges()
    for (const entry of this.channels.values()) {
      const link = entry.links.get(id)
      if (link != null && link.state !== 'refused') { link.queue.detach(); link.state = 'closed' }
    }
    if (this.validators.has(id) && !this.stopping) this.scheduleRedial(id, backoffDelay(0, this.opts.backoff ?? DEFAULT_BACKOFF, Math.random()))
  }

  private scheduleRedial (peerId: string, delayMs: number): void {
    if (this.stopping || this.redialTimers.has(peerId)) return
    this.redialTimers.set(peerId, setTimeout(() => {
      this.redialTimers.delete(peerId)
      void this.redial(peerId)
    }, delayMs).unref())
  }

  private async redial (peerId: string): Promise<void> {
    if (this.libp2p == null || this.stopping || this.isConnected(peerId)) return
    const attempt = this.redialAttempts.get(peerId) ?? 0
    const addr = this.validators.get(peerId)
    if (addr == null) return
    try {
      const node = this.libp2p
      const dial = async (): Promise<unknown> => await node.dial(multiaddr(`${addr}/p2p/${peerId}`), { signal: AbortSignal.timeout(5000) })
      await (this.opts.dialGuard != null ? this.opts.dialGuard(peerId, dial) : dial())
      this.redialAttempts.delete(peerId)
    } catch (err) {
      this.metrics.dialErrors.inc()
      this.redialAttempts.set(peerId, attempt + 1)
      this.logger.debug({ peer: peerId, attempt, err: String(err) }, 'dial failed')
      this.scheduleRedial(peerId, backoffDelay(attempt + 1, this.opts.backoff ?? DEFAULT_BACKOFF, Math.random()))
    }
  }

  private updatePeerGauges (): void {
    const ids = new Set((this.libp2p?.getConnections() ?? []).map(c => c.remotePeer.toString()))
    this.metrics.peersConnected.set(ids.size)
    this.metrics.validatorsConnected.set([...ids].filter(id => this.validators.has(id)).length)
  }

  private sample (): void {
    for (const s of this.stats.values()) {
      s.msgsPerS = s.messages - s.lastSampleMessages
      s.lastSampleMessages = s.messages
    }
    let messages = 0
    let bytes = 0
    for (const entry of this.channels.values()) {
      for (const link of entry.links.values()) { messages += link.queue.queuedMessages; bytes += link.queue.queuedBytes }
    }
    this.metrics.queueDepth.set(messages)
    this.metrics.queueBytes.set(bytes)
  }

  private async pingPeers (): Promise<void> {
    const node = this.libp2p
    if (node == null) return
    const peers = new Map(node.getConnections().map(c => [c.remotePeer.toString(), c.remotePeer]))
    for (const peer of peers.values()) await this.pingPeer(peer)
  }

  private async pingPeer (peer: PeerId): Promise<void> {
    if (this.libp2p == null) return
    try {
      const ms = await this.libp2p.services.ping.ping(peer, { signal: AbortSignal.timeout(2000) })
      this.stat(peer.toString()).latencyMs = ms
      this.opts.onRtt?.(peer.toString(), ms)
    } catch {
      this.stat(peer.toString()).latencyMs = null
    }
  }
}

const VALIDATOR_TAG = 'novacron-validator'

/** The validators' IP addresses, which the connection manager admits past its limits and never prunes. */
function validatorAllowList (validators: ReadonlyArray<{ addr: string }>): string[] {
  const out = new Set<string>()
  for (const v of validators) {
    const m = /^\/(ip4|ip6)\/([^/]+)/.exec(v.addr)
    if (m != null) out.add(`/${m[1]}/${m[2]}`)
  }
  return [...out]
}

function listenError (err: unknown, listen: string[]): NovacronError {
  const code = (err as NodeJS.ErrnoException).code
  const msg = String((err as Error)?.message ?? err)
  if (code === 'EADDRINUSE' || msg.includes('EADDRINUSE')) return new NovacronError('failure', `cannot listen on ${listen.join(', ')}: address already in use (another node running? choose another --listen port)`)
  if (code === 'EACCES' || msg.includes('EACCES')) return new NovacronError('failure', `cannot listen on ${listen.join(', ')}: permission denied (ports below 1024 need privileges)`)
  return new NovacronError('failure', `cannot start libp2p on ${listen.join(', ')}: ${msg.split('\n')[0]}`, { cause: err })
}
