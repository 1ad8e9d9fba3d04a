// In-memory FrameStream pairs for tests and benchmarks: per-link latency and bandwidth, a high-water
// mark that holds back write() like a socket's 'drain', peers that go down, and a tamper hook that sees
// (and may change or drop) every frame on the wire.
import type { FrameStream, StreamDialer, StreamHandler } from './stream.ts'

export interface LinkProfile {
  /** One-way delay added to every frame. */
  latencyMs?: number
  /** Serialization rate shared by all streams of one direction of a link; unset means unlimited. */
  bandwidthMbps?: number
  /** Bytes buffered (in flight plus unread) per stream direction before write() waits. */
  highWaterMark?: number
}

export interface TamperContext {
  from: string
  to: string
  /** Sequence number of the frame within the whole network, from 0. */
  seq: number
}

/** Returns the frame to deliver (the same, a changed copy) or null to drop it. */
export type Tamper = (frame: Uint8Array, ctx: TamperContext) => Uint8Array | null

class StreamResetError extends Error {}

interface Scheduled {
  at: number
  frame: Uint8Array | null // null marks the writer's close
  /** Bytes the sender was charged, which a tampered frame may not have. */
  size: number
}

const DROPPED = new Uint8Array(0)

/** Serialization clock of one link direction, so parallel streams share its bandwidth. */
class LinkClock {
  private freeAt = 0
  readonly profile: LinkProfile
  constructor (profile: LinkProfile) {
    this.profile = profile
  }

  deliveryTime (bytes: number): number {
    const now = performance.now()
    const { bandwidthMbps, latencyMs = 0 } = this.profile
    if (bandwidthMbps === undefined) return latencyMs > 0 ? now + latencyMs : 0
    this.freeAt = Math.max(now, this.freeAt) + (bytes * 8) / (bandwidthMbps * 1000)
    return this.freeAt + latencyMs
  }
}

/** One direction of a stream: ordered delivery at scheduled times into the reader's inbox. */
class Pipe {
  private readonly scheduled: Scheduled[] = []
  private timer: ReturnType<typeof setTimeout> | undefined
  private readonly inbox: Array<{ frame: Uint8Array, size: number }> = []
  private ended = false
  private error: Error | undefined
  private buffered = 0
  private wakeReader: (() => void) | undefined
  private readonly drainWaiters: Array<{ resolve: () => void, reject: (e: Error) => void }> = []
  private readonly highWaterMark: number
  private readonly clock: LinkClock

  constructor (clock: LinkClock) {
    this.clock = clock
    this.highWaterMark = clock.profile.highWaterMark ?? 4 * 1024 * 1024
  }

  get failed (): Error | undefined {
    return this.error
  }

  async push (frame: Uint8Array | null, size: number): Promise<void> {
    this.buffered += size
    const at = this.clock.deliveryTime(size)
    this.scheduled.push({ at, frame, size })
    this.pump()
    if (this.buffered < this.highWaterMark) return
    await new Promise<void>((resolve, reject) => this.drainWaiters.push({ resolve, reject }))
  }

  private pump (): void {
    if (this.timer !== undefined) return
    const now = performance.now()
    while (this.scheduled.length > 0 && this.scheduled[0].at <= now) {
      const item = this.scheduled.shift() as Scheduled
      if (item.frame === null) this.ended = true
      else if (item.frame === DROPPED) this.consumed(item.size)
      else this.inbox.push({ frame: item.frame, size: item.size })
    }
    this.wake()
    if (this.scheduled.length > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined
        this.pump()
      }, Math.max(0, this.scheduled[0].at - now))
    }
  }

  private wake (): void {
    const w = this.wakeReader
    this.wakeReader = undefined
    w?.()
  }

  private consumed (size: number): void {
    this.buffered -= size
    if (this.buffered >= this.highWaterMark) return
    for (const w of this.drainWaiters.splice(0)) w.resolve()
  }

  fail (err: Error): void {
    if (this.error !== undefined) return
    this.error = err
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.scheduled.length = 0
    this.inbox.length = 0
    for (const w of this.drainWaiters.splice(0)) w.reject(err)
    this.wake()
  }

  async * read (): AsyncGenerator<Uint8Array> {
    while (true) {
      if (this.error !== undefined) throw this.error
      const item = this.inbox.shift()
      if (item !== undefined) {
        this.consumed(item.size)
        yield item.frame
        continue
      }
      if (this.ended) return
      await new Promise<void>((resolve) => { this.wakeReader = resolve })
    }
  }
}

class MemoryStream implements FrameStream {
  private readonly out: Pipe
  private readonly in: Pipe
  private readonly tamper: (frame: Uint8Array) => Uint8Array | null
  private closed = false
  peerStream: MemoryStream | undefined

  constructor (out: Pipe, inbound: Pipe, tamper: (frame: Uint8Array) => Uint8Array | null) {
    this.out = out
    this.in = inbound
    this.tamper = tamper
  }

  async write (frame: Uint8Array): Promise<void> {
    if (this.out.failed !== undefined) throw this.out.failed
    if (this.closed) throw new Error('write after close')
    const delivered = this.tamper(frame)
    // A dropped frame still occupied the link for its size.
    await this.out.push(delivered ?? DROPPED, frame.byteLength)
  }

  frames (): AsyncIterable<Uint8Array> {
    return this.in.read()
  }

  async close (): Promise<void> {
    if (this.closed || this.out.failed !== undefined) return
    this.closed = true
    await this.out.push(null, 0)
  }

  abort (err: Error): void {
    this.in.fail(err)
    this.out.fail(new StreamResetError(`stream reset by peer: ${err.message}`))
  }
}

function streamPair (ab: LinkClock, ba: LinkClock, tamperAB: (f: Uint8Array) => Uint8Array | null, tamperBA: (f: Uint8Array) => Uint8Array | null): [MemoryStream, MemoryStream] {
  const pipeAB = new Pipe(ab)
  const pipeBA = new Pipe(ba)
  const a = new MemoryStream(pipeAB, pipeBA, tamperAB)
  const b = new MemoryStream(pipeBA, pipeAB, tamperBA)
  a.peerStream = b
  b.peerStream = a
  return [a, b]
}

/** A set of named peers joined by links of one profile. */
export class MemoryNetwork {
  private readonly handlers = new Map<string, StreamHandler>()
  private readonly down = new Set<string>()
  private readonly clocks = new Map<string, LinkClock>()
  private readonly live = new Map<string, Set<MemoryStream>>()
  private seq = 0
  profile: LinkProfile
  tamper: Tamper | undefined

  constructor (profile: LinkProfile = {}) {
    this.profile = profile
  }

  listen (peer: string, handler: StreamHandler): void {
    this.handlers.set(peer, handler)
  }

  unlisten (peer: string): void {
    this.handlers.delete(peer)
  }

  /** A down peer refuses dials and loses every open stream, as if its process died. */
  setDown (peer: string, isDown: boolean): void {
    if (!isDown) {
      this.down.delete(peer)
      return
    }
    this.down.add(peer)
    for (const s of this.live.get(peer) ?? []) s.abort(new Error(`peer ${peer} went away`))
    this.live.get(peer)?.clear()
  }

  private clock (from: string, to: string): LinkClock {
    const key = `${from}\u0000${to}`
    let c = this.clocks.get(key)
    if (c === undefined) {
      c = new LinkClock(this.profile)
      this.clocks.set(key, c)
    }
    return c
  }

  private tamperer (from: string, to: string): (f: Uint8Array) => Uint8Array | null {
    return (frame) => {
      const seq = this.seq++
      return this.tamper === undefined ? frame : this.tamper(frame, { from, to, seq })
    }
  }

  private track (peer: string, s: MemoryStream): void {
    let set = this.live.get(peer)
    if (set === undefined) {
      set = new Set()
      this.live.set(peer, set)
    }
    set.add(s)
  }

  dialer (from: string): StreamDialer {
    return {
      openStreams: async (peer: string, n: number): Promise<FrameStream[]> => {
        const handler = this.handlers.get(peer)
        if (handler === undefined || this.down.has(peer) || this.down.has(from)) throw new Error(`cannot reach peer ${peer}`)
        const out: FrameStream[] = []
        for (let i = 0; i < n; i++) {
          const [local, remote] = streamPair(this.clock(from, peer), this.clock(peer, from), this.tamperer(from, peer), this.tamperer(peer, from))
          this.track(peer, remote)
          this.track(from, local)
          handler(remote, from)
          out.push(local)
        }
        return out
      }
    }
  }
}
