// Length-prefixed frames on a byte stream: u32 big-endian length, then the payload. A peer's bytes are
// untrusted, so a declared length above the limit is an error (the caller drops the stream and counts it)
// rather than an allocation.
export const FRAME_HEADER_BYTES = 4
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024

export class FrameTooLargeError extends Error {
  readonly declared: number
  constructor (declared: number, limit: number) {
    super(`frame of ${declared} bytes exceeds the limit of ${limit}`)
    this.declared = declared
  }
}

/** Encodes several payloads into one buffer, so a whole tick's messages cost one stream write. */
export function encodeFrames (payloads: readonly Uint8Array[], totalPayloadBytes?: number): Uint8Array {
  const total = (totalPayloadBytes ?? payloads.reduce((n, p) => n + p.byteLength, 0)) + payloads.length * FRAME_HEADER_BYTES
  const out = Buffer.allocUnsafe(total)
  let offset = 0
  for (const p of payloads) {
    out.writeUInt32BE(p.byteLength, offset)
    out.set(p, offset + FRAME_HEADER_BYTES)
    offset += FRAME_HEADER_BYTES + p.byteLength
  }
  return out
}

export interface FrameDecoderOptions {
  /** 'throw' (default): an oversized frame is an error, the caller drops the stream. 'skip': its bytes are
   *  read past without being kept and counted in `skippedFrames`, so one bad frame costs that frame only. */
  oversized?: 'throw' | 'skip'
}

/** Incremental decoder: feed it whatever chunks the stream delivers, get whole frames back. */
export class FrameDecoder {
  private readonly maxFrameBytes: number
  private readonly skipOversized: boolean
  private pending: Buffer[] = []
  private pendingBytes = 0
  /** Bytes of an oversized frame still to be read past. */
  private skipping = 0
  /** Oversized frames read past (skip mode). */
  skippedFrames = 0

  constructor (maxFrameBytes = DEFAULT_MAX_FRAME_BYTES, opts: FrameDecoderOptions = {}) {
    this.maxFrameBytes = maxFrameBytes
    this.skipOversized = opts.oversized === 'skip'
  }

  /** Returns the frames completed by this chunk; throws FrameTooLargeError on a hostile length (unless skipping). */
  push (chunk: Uint8Array): Uint8Array[] {
    if (this.skipping > 0) {
      const n = Math.min(this.skipping, chunk.byteLength)
      this.skipping -= n
      chunk = chunk.subarray(n)
    }
    if (chunk.byteLength === 0) return []
    this.pending.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))
    this.pendingBytes += chunk.byteLength
    const frames: Uint8Array[] = []
    while (this.pendingBytes >= FRAME_HEADER_BYTES) {
      const head = this.peekHeader()
      if (head > this.maxFrameBytes) {
        if (!this.skipOversized) throw new FrameTooLargeError(head, this.maxFrameBytes)
        this.skippedFrames++
        const buf = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes)
        const have = buf.byteLength - FRAME_HEADER_BYTES
        const dropNow = Math.min(have, head)
        this.skipping = head - dropNow
        const rest = buf.subarray(FRAME_HEADER_BYTES + dropNow)
        this.pending = rest.byteLength > 0 ? [rest] : []
        this.pendingBytes = rest.byteLength
        continue
      }
      if (this.pendingBytes < FRAME_HEADER_BYTES + head) break
      const buf = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes)
      frames.push(buf.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + head))
      const rest = buf.subarray(FRAME_HEADER_BYTES + head)
      this.pending = rest.byteLength > 0 ? [rest] : []
      this.pendingBytes = rest.byteLength
    }
    return frames
  }

  get bufferedBytes (): number {
    return this.pendingBytes
  }

  private peekHeader (): number {
    const first = this.pending[0]
    if (first.byteLength >= FRAME_HEADER_BYTES) return first.readUInt32BE(0)
    this.pending = [Buffer.concat(this.pending, this.pendingBytes)]
    return this.pending[0].readUInt32BE(0)
  }
}
