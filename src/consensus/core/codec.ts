// A small canonical binary codec: fixed-width big-endian integers and u32-length-prefixed byte strings.
// Every value has exactly one encoding, so the bytes that are signed are unambiguous, and the reader bounds
// every length before allocating.
import { MAX_LIST_ITEMS, MAX_MESSAGE_BYTES, MAX_STRING_BYTES } from './limits.ts'

/** Thrown inside decoders only; the public decode functions turn it into a Result. */
export class CodecError extends Error {}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })
const TWO_32 = 2 ** 32

export class Writer {
  #buf: Uint8Array
  #view: DataView
  #len = 0

  constructor (capacity = 256) {
    this.#buf = new Uint8Array(capacity)
    this.#view = new DataView(this.#buf.buffer)
  }

  #ensure (extra: number): void {
    const need = this.#len + extra
    if (need <= this.#buf.byteLength) return
    let cap = this.#buf.byteLength * 2
    while (cap < need) cap *= 2
    const next = new Uint8Array(cap)
    next.set(this.#buf.subarray(0, this.#len))
    this.#buf = next
    this.#view = new DataView(next.buffer)
  }

  u8 (v: number): this {
    this.#ensure(1)
    this.#view.setUint8(this.#len, v)
    this.#len += 1
    return this
  }

  u32 (v: number): this {
    if (!Number.isInteger(v) || v < 0 || v >= TWO_32) throw new RangeError(`u32 out of range: ${v}`)
    this.#ensure(4)
    this.#view.setUint32(this.#len, v)
    this.#len += 4
    return this
  }

  /** Non-negative safe integer (sequence numbers, views) as 8 bytes. */
  u64 (v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`u64 out of range: ${v}`)
    return this.u32(Math.floor(v / TWO_32)).u32(v % TWO_32)
  }

  bool (v: boolean): this { return this.u8(v ? 1 : 0) }

  bytes (v: Uint8Array): this {
    this.u32(v.byteLength)
    this.#ensure(v.byteLength)
    this.#buf.set(v, this.#len)
    this.#len += v.byteLength
    return this
  }

  str (v: string): this { return this.bytes(encoder.encode(v)) }

  list<T> (items: readonly T[], write: (w: this, item: T) => void): this {
    this.u32(items.length)
    for (const item of items) write(this, item)
    return this
  }

  finish (): Uint8Array { return this.#len === this.#buf.byteLength ? this.#buf : this.#buf.slice(0, this.#len) }
}

export class Reader {
  readonly #buf: Uint8Array
  readonly #view: DataView
  #pos = 0

  constructor (buf: Uint8Array) {
    if (buf.byteLength > MAX_MESSAGE_BYTES) throw new CodecError(`message of ${buf.byteLength} bytes exceeds ${MAX_MESSAGE_BYTES}`)
    this.#buf = buf
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  #need (n: number, what: string): void {
    if (this.#pos + n > this.#buf.byteLength) throw new CodecError(`truncated input reading ${what} at offset ${this.#pos}`)
  }

  u8 (): number {
    this.#need(1, 'u8')
    return this.#view.getUint8(this.#pos++)
  }

  u32 (): number {
    this.#need(4, 'u32')
    const v = this.#view.getUint32(this.#pos)
    this.#pos += 4
    return v
  }

  u64 (): number {
    const hi = this.u32()
    const lo = this.u32()
    const v = hi * TWO_32 + lo
    if (!Number.isSafeInteger(v)) throw new CodecError(`u64 ${hi}:${lo} exceeds the safe integer range`)
    return v
  }

  bool (): boolean {
    const v = this.u8()
    if (v > 1) throw new CodecError(`bool must be 0 or 1, got ${v}`)
    return v === 1
  }

  bytes (max = MAX_MESSAGE_BYTES, what = 'bytes'): Uint8Array {
    const len = this.u32()
    if (len > max) throw new CodecError(`${what} of ${len} bytes exceeds the limit of ${max}`)
    this.#need(len, what)
    const v = this.#buf.subarray(this.#pos, this.#pos + len)
    this.#pos += len
    return v
  }

  /** Exactly `len` bytes (hashes), so a wrong-length field fails here rather than deep inside a protocol. */
  fixed (len: number, what: string): Uint8Array {
    const v = this.bytes(len, what)
    if (v.byteLength !== len) throw new CodecError(`${what} must be ${len} bytes, got ${v.byteLength}`)
    return v
  }

  str (max = MAX_STRING_BYTES): string {
    const raw = this.bytes(max, 'string')
    // Protocol, type and validator ids are short ASCII: decoding them by hand skips TextDecoder's overhead.
    if (raw.byteLength <= 64) {
      let ascii = ''
      let i = 0
      for (; i < raw.byteLength && raw[i] < 0x80; i++) ascii += String.fromCharCode(raw[i])
      if (i === raw.byteLength) return ascii
    }
    try {
      return decoder.decode(raw)
    } catch {
      throw new CodecError('string is not valid UTF-8')
    }
  }

  list<T> (read: (r: this) => T, max = MAX_LIST_ITEMS): T[] {
    const count = this.u32()
    if (count > max) throw new CodecError(`list of ${count} items exceeds the limit of ${max}`)
    // Each item takes at least one byte, so a huge count with little input fails before allocating.
    if (count > this.remaining) throw new CodecError(`list of ${count} items cannot fit in ${this.remaining} bytes`)
    const out: T[] = []
    for (let i = 0; i < count; i++) out.push(read(this))
    return out
  }

  get remaining (): number { return this.#buf.byteLength - this.#pos }

  /** Canonical encodings have no trailing bytes. */
  end (): void {
    if (this.remaining !== 0) throw new CodecError(`${this.remaining} trailing bytes`)
  }
}
