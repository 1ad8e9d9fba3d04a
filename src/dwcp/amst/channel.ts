// A FrameStream seen as decoded frames, counting what it writes. next() never throws: a transport error,
// a malformed frame and a timeout all come back as failures for the caller to act on.
import { decodeFrame, encodeFrame } from '../wire/frames.ts'
import type { Frame } from '../wire/frames.ts'
import type { WireLimits } from '../wire/limits.ts'
import type { FrameStream } from '../transport/stream.ts'
import { errorMessage, fail } from '../result.ts'
import type { Result } from '../result.ts'

/** Why next() failed: the stream broke or stayed silent, or the peer sent something malformed. */
export type NextFrame = { ok: true, value: Frame | null } | { ok: false, error: string, cause: 'transport' | 'timeout' | 'protocol' }

export class FrameChannel {
  readonly stream: FrameStream
  private readonly limits: WireLimits
  private readonly iterator: AsyncIterator<Uint8Array>
  /** A read that outlived a timeout is kept, so its frame is not lost to the next call. */
  private pending: Promise<IteratorResult<Uint8Array>> | undefined
  bytesWritten = 0

  constructor (stream: FrameStream, limits: WireLimits) {
    this.stream = stream
    this.limits = limits
    this.iterator = stream.frames()[Symbol.asyncIterator]()
  }

  async send (frame: Frame): Promise<void> {
    await this.sendEncoded(encodeFrame(frame))
  }

  async sendEncoded (bytes: Uint8Array): Promise<void> {
    this.bytesWritten += bytes.byteLength
    await this.stream.write(bytes)
  }

  /** The next frame, null at a clean end of stream. */
  async next (timeoutMs?: number): Promise<NextFrame> {
    this.pending ??= this.iterator.next()
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      const timeout = timeoutMs === undefined
        ? undefined
        : new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs) })
      const r = await (timeout === undefined ? this.pending : Promise.race([this.pending, timeout]))
      if (r === 'timeout') return { ...fail(`no frame within ${timeoutMs} ms`), cause: 'timeout' }
      this.pending = undefined
      if (r.done === true) return { ok: true, value: null }
      const decoded: Result<Frame> = decodeFrame(r.value, this.limits)
      return decoded.ok ? decoded : { ...decoded, cause: 'protocol' }
    } catch (e) {
      this.pending = undefined
      return { ...fail(`stream failed: ${errorMessage(e)}`), cause: 'transport' }
    } finally {
      if (timer !== undefined) clearTimeout(timer)
    }
  }

  abort (reason: string): void {
    this.stream.abort(new Error(reason))
  }
}
