// Bounds-checked big-endian reader and writer for the DWCP wire format. The reader throws WireError on a
// short or malformed input; the frame decoders catch it at their boundary and return a Result.

export class WireError extends Error {}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true })
const utf8Encoder = new TextEncoder()

export class ByteReader {
  private readonly view: DataView
  private pos = 0
  private readonly bytes: Uint8Array

  constructor (bytes: Uint8Array) {
    this.bytes = bytes
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  get remaining (): number {
    return this.bytes.byteLength - this.pos
  }

  private need (n: number, what: string): void {
    if (n > this.remaining) throw new WireError(`truncated ${what}: need ${n} bytes, have ${this.remaining}`)
  }

  u8 (what: string): number {
    this.need(1, what)
    return this.view.getUint8(this.pos++)
  }

  u16 (what: string): number {
    this.need(2, what)
    const v = this.view.getUint16(this.pos)
    this.pos += 2
    return v
  }

  u32 (what: string): number {
    this.need(4, what)
    const v = this.view.getUint32(this.pos)
    this.pos += 4
    return v
  }

  /** A u64 that must fit a safe integer; larger values are refused rather than rounded. */
  u64 (what: string): number {
    this.need(8, what)
    const v = this.view.getBigUint64(this.pos)
    this.pos += 8
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new WireError(`${what} too large: ${v}`)
    return Number(v)
  }

  /** A view into the input (no copy): callers that keep it beyond the frame's life must copy. */
  bytesOf (n: number, what: string): Uint8Array {
    this.need(n, what)
    const out = this.bytes.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  string (maxBytes: number, what: string): string {
    const len = this.u16(`${what} length`)
    if (len > maxBytes) throw new WireError(`${what} too long: ${len} > ${maxBytes} bytes`)
    try {
      return utf8Decoder.decode(this.bytesOf(len, what))
    } catch (e) {
      if (e instanceof WireError) throw e
      throw new WireError(`${what} is not valid UTF-8`)
    }
  }

  rest (): Uint8Array {
    return this.bytesOf(this.remaining, 'rest')
  }

  end (what: string): void {
    if (this.remaining !== 0) throw new WireError(`${this.remaining} trailing bytes after ${what}`)
  }
}

export class ByteWriter {
  private buf: Uint8Array
  private view: DataView
  private pos = 0

  constructor (initial = 256) {
    this.buf = new Uint8Array(initial)
    this.view = new DataView(this.buf.buffer)
  }

  private ensure (n: number): void {
    if (this.pos + n <= this.buf.byteLength) return
    let size = this.buf.byteLength * 2
    while (size < this.pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  u8 (v: number): this {
    this.ensure(1)
    this.view.setUint8(this.pos++, v)
    return this
  }

  u16 (v: number): this {
    this.ensure(2)
    this.view.setUint16(this.pos, v)
    this.pos += 2
    return this
  }

  u32 (v: number): this {
    this.ensure(4)
    this.view.setUint32(this.pos, v)
    this.pos += 4
    return this
  }

  u64 (v: number): this {
    this.ensure(8)
    this.view.setBigUint64(this.pos, BigInt(v))
    this.pos += 8
    return this
  }

  bytes (b: Uint8Array): this {
    this.ensure(b.byteLength)
    this.buf.set(b, this.pos)
    this.pos += b.byteLength
    return this
  }

  string (s: string): this {
    const b = utf8Encoder.encode(s)
    if (b.byteLength > 0xffff) throw new RangeError('string longer than 65535 bytes')
    return this.u16(b.byteLength).bytes(b)
  }

  finish (): Uint8Array {
    return this.buf.subarray(0, this.pos)
  }
}
