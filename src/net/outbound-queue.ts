// One peer's ordered outbound queue for one channel. Messages queued during a tick leave in one coalesced
// stream write (libp2p's cost is per send(), not per byte); when the stream's buffer is full we wait for its
// 'drain' event (not stream.onDrain(), which returns early after first use in @libp2p/utils 7.4). The queue
// is bounded in bytes: a slow or absent peer gets messages dropped and counted, never unbounded memory.
import { FRAME_HEADER_BYTES, encodeFrames } from './framing.ts'

/** The part of a libp2p stream the queue uses; tests supply a fake. */
export interface SendStream {
  send: (data: Uint8Array) => boolean
  addEventListener: (type: 'drain' | 'close', listener: () => void, options?: { once?: boolean }) => void
  readonly status: string
}

export interface OutboundQueueOptions {
  maxQueueBytes: number
  /** Upper bound of one coalesced write; a larger single message still goes alone. */
  maxWriteBytes: number
}

export const DEFAULT_OUTBOUND_QUEUE_OPTIONS: OutboundQueueOptions = {
  maxQueueBytes: 64 * 1024 * 1024,
  maxWriteBytes: 1024 * 1024
}

export interface OutboundQueueEvents {
  onDropped: (bytes: number) => void
  onWrite: (messages: number, payloadBytes: number) => void
  /** The stream failed or closed while writing; the owner replaces it. */
  onStreamError: (err: unknown) => void
}

export class OutboundQueue {
  private readonly opts: OutboundQueueOptions
  private readonly events: OutboundQueueEvents
  private queue: Uint8Array[] = []
  private head = 0
  private bytes = 0
  private stream: SendStream | null = null
  private scheduled = false
  private waitingForDrain = false

  constructor (opts: OutboundQueueOptions, events: OutboundQueueEvents) {
    this.opts = opts
    this.events = events
  }

  get queuedMessages (): number { return this.queue.length - this.head }
  get queuedBytes (): number { return this.bytes }
  get attached (): boolean { return this.stream != null }

  /** Queues one message; false when the queue is full and the message was dropped. */
  enqueue (payload: Uint8Array): boolean {
    const cost = payload.byteLength + FRAME_HEADER_BYTES
    if (this.bytes + cost > this.opts.maxQueueBytes) {
      this.events.onDropped(payload.byteLength)
      return false
    }
    this.queue.push(payload)
    this.bytes += cost
    this.schedule()
    return true
  }

  attach (stream: SendStream): void {
    this.stream = stream
    this.waitingForDrain = false
    stream.addEventListener('close', () => {
      if (this.stream === stream) this.stream = null
    }, { once: true })
    this.schedule()
  }

  detach (): void {
    this.stream = null
    this.waitingForDrain = false
  }

  /** Drops everything queued (the peer left the set, or the node is stopping). */
  clear (): void {
    this.queue = []
    this.head = 0
    this.bytes = 0
  }

  private schedule (): void {
    if (this.scheduled || this.waitingForDrain || this.stream == null) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.flush()
    })
  }

  private flush (): void {
    const stream = this.stream
    while (stream != null && this.stream === stream && this.head < this.queue.length) {
      if (stream.status !== 'open') { this.stream = null; return }
      const batch: Uint8Array[] = []
      let payloadBytes = 0
      while (this.head < this.queue.length) {
        const next = this.queue[this.head]
        if (batch.length > 0 && payloadBytes + next.byteLength + FRAME_HEADER_BYTES * (batch.length + 1) > this.opts.maxWriteBytes) break
        batch.push(next)
        payloadBytes += next.byteLength
        this.head++
      }
      this.bytes -= payloadBytes + batch.length * FRAME_HEADER_BYTES
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head)
        this.head = 0
      }
      let ok: boolean
      try {
        ok = stream.send(encodeFrames(batch, payloadBytes))
      } catch (err) {
        this.stream = null
        this.events.onStreamError(err)
        return
      }
      this.events.onWrite(batch.length, payloadBytes)
      if (!ok) {
        this.waitingForDrain = true
        stream.addEventListener('drain', () => {
          if (this.stream !== stream) return
          this.waitingForDrain = false
          this.flush()
        }, { once: true })
        return
      }
    }
    if (this.head === this.queue.length) {
      this.queue = []
      this.head = 0
    }
  }
}
