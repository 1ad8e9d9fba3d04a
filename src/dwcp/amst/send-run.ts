// One attempt at moving one payload over already-open streams: offer, resume from what the receiver
// has, chunks over every stream under a fixed window, acks and nacks, complete. Memory is the window
// of chunks in flight (each read from disk when sent, again if nacked), whatever the payload size.
import { createHash } from 'node:crypto'
import { open } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import type { CodecSelector, LinkInfo } from '../codecs/select.ts'
import type { CodecName, DeltaTarget, Frame, FrameOf } from '../wire/frames.ts'
import { encodeFrame } from '../wire/frames.ts'
import type { WireLimits } from '../wire/limits.ts'
import { Bitmap } from './bitmap.ts'
import type { FrameChannel } from './channel.ts'
import { chunkCountOf, chunkLengthOf } from './file-hash.ts'
import { Notifier, Semaphore } from './sync.ts'
import { TransferError } from './types.ts'
import type { TransferSummary } from './types.ts'
import type { TransferProgress } from './types.ts'

export interface Payload {
  path: string
  size: number
  hash: Uint8Array
}

export interface RunParams {
  id: string
  name: string
  payload: Payload
  delta: DeltaTarget | null
  chunkSize: number
  window: number
  link: LinkInfo
  selector: CodecSelector
  limits: WireLimits
  controlTimeoutMs: number
  idleTimeoutMs: number
  maxChunkResends: number
  onProgress?: (p: TransferProgress) => void
  signal?: AbortSignal
}

/** What one run measured: the summary's per-run fields, documented on TransferSummary. */
export type RunResult = Pick<TransferSummary, 'sentBytes' | 'codecMix' | 'chunkSize' | 'chunks' | 'resumedChunks' | 'resentChunks' | 'window' | 'peakInFlight'>

type Control = FrameOf<'accept' | 'reject' | 'result'>

export class SendRun {
  private readonly p: RunParams
  private readonly channels: FrameChannel[]
  private readonly changed = new Notifier()
  private readonly control: Control[] = []
  private failure: Error | undefined
  private finished = false
  private chunkSize = 0
  private chunks = 0
  private queue: number[] = []
  /** Chunks sent and not yet answered, with the stream each went out on. */
  private readonly inflight = new Map<number, FrameChannel>()
  private readonly dead = new Set<FrameChannel>()
  private readonly resends = new Map<number, number>()
  private window: Semaphore
  private remaining = 0
  private doneBytes = 0
  private resumed = 0
  private resent = 0
  private peakInFlight = 0
  private readonly codecMix: Partial<Record<CodecName, number>> = {}
  private readonly started = performance.now()
  private idleTimer: ReturnType<typeof setTimeout> | undefined
  private file: FileHandle | undefined

  constructor (channels: FrameChannel[], params: RunParams) {
    this.channels = channels
    this.p = params
    this.window = new Semaphore(params.window)
  }

  private get sentBytes (): number {
    return this.channels.reduce((sum, c) => sum + c.bytesWritten, 0)
  }

  async execute (): Promise<RunResult> {
    const onAbort = (): void => this.fail(new TransferError('transfer aborted'))
    this.p.signal?.addEventListener('abort', onAbort)
    if (this.p.signal?.aborted === true) onAbort()
    const readers = this.channels.map(async (c, i) => await this.readReplies(c, i === 0))
    try {
      this.file = await open(this.p.payload.path, 'r')
      await this.negotiate()
      const [, ...others] = this.channels
      await Promise.all(others.map(async (c) => await c.send({ type: 'join', id: this.p.id })))
      this.armIdleTimer()
      await Promise.all(this.channels.map(async (c) => await this.sendChunks(c)))
      this.throwIfFailed()
      // Verifying (and rebuilding) a large file takes the receiver a while: the result timeout covers it.
      clearTimeout(this.idleTimer)
      await this.channels[0].send({ type: 'complete', id: this.p.id })
      const result = await this.nextControl(this.p.controlTimeoutMs + this.p.payload.size / 50_000)
      if (result.type !== 'result') throw new TransferError(`expected result, got ${result.type}`)
      if (!result.ok) throw new TransferError(`receiver failed the transfer: ${result.reason}`)
      // A delta's receiver reports the hash of the file it rebuilt, not of the delta.
      const expected = this.p.delta?.targetHash ?? this.p.payload.hash
      if (!Buffer.from(result.hash).equals(expected)) throw new TransferError('receiver reports a different file hash')
      this.finished = true
      await Promise.all(this.channels.map(async (c) => await c.stream.close()))
      return {
        sentBytes: this.sentBytes,
        codecMix: this.codecMix,
        chunkSize: this.chunkSize,
        chunks: this.chunks,
        resumedChunks: this.resumed,
        resentChunks: this.resent,
        window: this.p.window,
        peakInFlight: this.peakInFlight
      }
    } catch (e) {
      this.fail(e instanceof Error ? e : new Error(String(e)))
      throw this.failure ?? e
    } finally {
      this.p.signal?.removeEventListener('abort', onAbort)
      if (this.idleTimer !== undefined) clearTimeout(this.idleTimer)
      await this.file?.close()
      if (this.failure !== undefined) await Promise.allSettled(readers)
    }
  }

  private async negotiate (): Promise<void> {
    const { payload, name, delta, id } = this.p
    await this.channels[0].send({ type: 'offer', id, name, size: payload.size, chunkSize: this.p.chunkSize, fileHash: payload.hash, delta })
    const reply = await this.nextControl(this.p.controlTimeoutMs)
    if (reply.type === 'reject') throw new TransferError(`receiver refused: ${reply.reason}`, true)
    if (reply.type !== 'accept') throw new TransferError(`expected accept, got ${reply.type}`)
    // On resume the receiver keeps the chunk size its partial file was cut with.
    const { limits } = this.p
    if (reply.chunkSize < limits.minChunkSize || reply.chunkSize > limits.maxChunkSize) throw new TransferError(`receiver chose a bad chunk size ${reply.chunkSize}`)
    this.chunkSize = reply.chunkSize
    this.chunks = chunkCountOf(payload.size, this.chunkSize)
    if (reply.verified.byteLength !== Math.ceil(this.chunks / 8)) throw new TransferError('resume bitmap of the wrong size')
    const have = new Bitmap(this.chunks, reply.verified)
    for (let i = 0; i < this.chunks; i++) {
      if (have.has(i)) {
        this.resumed++
        this.doneBytes += chunkLengthOf(i, payload.size, this.chunkSize)
      } else {
        this.queue.push(i)
      }
    }
    this.remaining = this.queue.length
  }

  private async nextControl (timeoutMs: number): Promise<Control> {
    const deadline = performance.now() + timeoutMs
    while (true) {
      this.throwIfFailed()
      const c = this.control.shift()
      if (c !== undefined) return c
      const left = deadline - performance.now()
      if (left <= 0) throw new TransferError(`no reply from the receiver within ${Math.round(timeoutMs)} ms`)
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([this.changed.wait(), new Promise((resolve) => { timer = setTimeout(resolve, left) })])
      clearTimeout(timer)
    }
  }

  private async readReplies (c: FrameChannel, isControl: boolean): Promise<void> {
    while (this.failure === undefined && !this.dead.has(c)) {
      const r = await c.next()
      if (!r.ok && r.cause === 'protocol') return this.fail(new TransferError(r.error))
      if (!r.ok) return this.lose(c, isControl, r.error)
      if (r.value === null) {
        if (!this.finished) this.lose(c, isControl, 'receiver closed a stream before the end')
        return
      }
      const f: Frame = r.value
      if (f.id !== this.p.id) return this.fail(new TransferError('reply for another transfer'))
      if (f.type === 'reject' && !isControl) return this.fail(new TransferError(`receiver aborted the transfer: ${f.reason}`))
      if (f.type === 'ack') this.onAck(f.index)
      else if (f.type === 'nack') this.onNack(f.index, f.reason)
      else if (isControl && (f.type === 'accept' || f.type === 'reject' || f.type === 'result')) {
        this.control.push(f)
        this.changed.notify()
      } else return this.fail(new TransferError(`unexpected ${f.type} from the receiver`))
    }
  }

  /**
   * A stream failed. Without the first stream the offer's exchange cannot finish, so the attempt fails
   * (a retry resumes); a data stream's unanswered chunks go back in the queue for the others.
   */
  private lose (c: FrameChannel, isControl: boolean, reason: string): void {
    if (this.dead.has(c) || this.failure !== undefined) return
    if (isControl || this.dead.size + 1 >= this.channels.length) return this.fail(new TransferError(reason))
    this.dead.add(c)
    c.abort(reason)
    for (const [index, via] of this.inflight) {
      if (via !== c) continue
      this.inflight.delete(index)
      this.window.release()
      this.queue.unshift(index)
    }
    this.changed.notify()
  }

  private onAck (index: number): void {
    if (!this.inflight.delete(index)) return
    this.window.release()
    this.remaining--
    this.doneBytes += chunkLengthOf(index, this.p.payload.size, this.chunkSize)
    this.idleTimer?.refresh()
    this.reportProgress()
    this.changed.notify()
  }

  private onNack (index: number, reason: string): void {
    if (!this.inflight.delete(index)) return
    this.window.release()
    const n = (this.resends.get(index) ?? 0) + 1
    if (n > this.p.maxChunkResends) return this.fail(new TransferError(`chunk ${index} refused ${n} times: ${reason}`))
    this.resends.set(index, n)
    this.resent++
    this.queue.unshift(index)
    this.changed.notify()
  }

  private async sendChunks (c: FrameChannel): Promise<void> {
    const isControl = c === this.channels[0]
    while (this.failure === undefined && !this.dead.has(c) && this.remaining > 0) {
      const index = this.queue.shift()
      if (index === undefined) {
        await this.changed.wait()
        continue
      }
      await this.window.acquire()
      if (this.failure !== undefined) return
      if (this.dead.has(c)) {
        this.window.release()
        this.queue.unshift(index)
        return
      }
      this.inflight.set(index, c)
      this.peakInFlight = Math.max(this.peakInFlight, this.inflight.size)
      let frame: Uint8Array
      try {
        frame = await this.chunkFrame(index)
      } catch (e) {
        return this.fail(e instanceof Error ? e : new Error(String(e)))
      }
      try {
        await c.sendEncoded(frame)
      } catch (e) {
        return this.lose(c, isControl, `sending chunk ${index}: ${e instanceof Error ? e.message : String(e)}`)
      }
    }
  }

  private async chunkFrame (index: number): Promise<Uint8Array> {
    const length = chunkLengthOf(index, this.p.payload.size, this.chunkSize)
    const raw = Buffer.allocUnsafe(length)
    const { bytesRead } = await (this.file as FileHandle).read(raw, 0, length, index * this.chunkSize)
    if (bytesRead !== length) throw new TransferError('file shrank during the transfer')
    const hash = createHash('sha256').update(raw).digest()
    const codec = await this.p.selector.choose(raw, this.p.link)
    let payload: Uint8Array = await codec.encode(raw)
    let name = codec.name
    if (payload.byteLength >= length) {
      payload = raw
      name = 'none'
    }
    this.codecMix[name] = (this.codecMix[name] ?? 0) + 1
    return encodeFrame({ type: 'chunk', id: this.p.id, index, codec: name, rawLength: length, hash, payload })
  }

  private armIdleTimer (): void {
    this.idleTimer = setTimeout(() => this.fail(new TransferError(`no ack for ${this.p.idleTimeoutMs} ms`)), this.p.idleTimeoutMs)
    this.idleTimer.unref()
  }

  private reportProgress (): void {
    if (this.p.onProgress === undefined) return
    const elapsedS = (performance.now() - this.started) / 1000
    const MBps = elapsedS > 0 ? this.doneBytes / 1e6 / elapsedS : 0
    const left = this.p.payload.size - this.doneBytes
    this.p.onProgress({
      id: this.p.id,
      doneBytes: this.doneBytes,
      totalBytes: this.p.payload.size,
      sentBytes: this.sentBytes,
      chunksDone: this.chunks - this.remaining,
      chunks: this.chunks,
      elapsedS,
      MBps,
      etaS: MBps > 0 ? left / 1e6 / MBps : null
    })
  }

  private throwIfFailed (): void {
    if (this.failure !== undefined) throw this.failure
  }

  private fail (err: Error): void {
    if (this.failure !== undefined || this.finished) return
    this.failure = err
    for (const c of this.channels) c.abort(err.message)
    this.window.open()
    this.changed.notify()
  }
}
