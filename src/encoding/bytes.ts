// The one bounds-checked, big-endian byte writer and reader under every binary format of the project
// (consensus messages, state transactions and snapshots, DWCP frames). Each format adds its own
// conventions (length-prefix widths, limits, names) in a thin subclass; the buffer handling lives here.

/** Thrown by readers on short or malformed input; every public decoder turns it into a Result. */
export class DecodeError extends Error {
  override name = 'DecodeError'
}

const utf8Encoder = new TextEncoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const TWO_32 = 2 ** 32

export function utf8Bytes (s: string): Uint8Array {
  return utf8Encoder.encode(s)
}

export type PrefixWidth = 8 | 16 | 32

export class ByteWriter {
  #buf: Uint8Array
  #view: DataView
  #len = 0

  constructor (capacity = 256) {
    this.#buf = new Uint8Array(capacity)
    this.#view = new DataView(this.#buf.buffer)
  }

  get length (): number { return this.#len }

  #reserve (n: number): void {
    const need = this.#len + n
    if (need <= this.#buf.byteLength) return
    let size = Math.max(this.#buf.byteLength * 2, 16)
    while (size < need) size *= 2
    const next = new Uint8Array(size)
    next.set(this.#buf.subarray(0, this.#len))
    this.#buf = next
    this.#view = new DataView(next.buffer)
  }

  u8 (v: number): this {
    this.#reserve(1)
    this.#view.setUint8(this.#len, v)
    this.#len += 1
    return this
  }

  u16 (v: number): this {
    this.#reserve(2)
    this.#view.setUint16(this.#len, v)
    this.#len += 2
    return this
  }

  u32 (v: number): this {
    if (!Number.isInteger(v) || v < 0 || v >= TWO_32) throw new RangeError(`u32 out of range: ${v}`)
    this.#reserve(4)
    this.#view.setUint32(this.#len, v)
    this.#len += 4
    return this
  }

  /** A non-negative safe integer as 8 bytes. */
  u64 (v: number): this {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`u64 out of range: ${v}`)
    this.#reserve(8)
    this.#view.setUint32(this.#len, Math.floor(v / TWO_32))
    this.#view.setUint32(this.#len + 4, v % TWO_32)
    this.#len += 8
    return this
  }

  raw (b: Uint8Array): this {
    this.#reserve(b.byteLength)
    this.#buf.set(b, this.#len)
    this.#len += b.byteLength
    return this
  }

  /** Bytes after their length as a `width`-bit integer. */
  prefixed (width: PrefixWidth, b: Uint8Array): this {
    if (b.byteLength >= 2 ** width) throw new RangeError(`${b.byteLength} bytes do not fit a ${width}-bit length`)
    if (width === 8) this.u8(b.byteLength)
    else if (width === 16) this.u16(b.byteLength)
    else this.u32(b.byteLength)
    return this.raw(b)
  }

  /** What was written, as its own buffer (the internal one may be larger). */
  finish (): Uint8Array {
    return this.#len === this.#buf.byteLength ? this.#buf : this.#buf.slice(0, this.#len)
  }

  /** What was written, without a copy: for large frames that are sent at once and never kept. */
  view (): Uint8Array {
    return this.#buf.subarray(0, this.#len)
  }
}

export class ByteReader {
  readonly #buf: Uint8Array
  readonly #view: DataView
  #pos = 0

  constructor (buf: Uint8Array) {
    this.#buf = buf
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  get remaining (): number { return this.#buf.byteLength - this.#pos }

  protected need (n: number, what: string): void {
    if (this.remaining < n) throw new DecodeError(`truncated: ${what} needs ${n} bytes, ${this.remaining} left`)
  }

  u8 (what = 'u8'): number {
    this.need(1, what)
    return this.#view.getUint8(this.#pos++)
  }

  u16 (what = 'u16'): number {
    this.need(2, what)
    const v = this.#view.getUint16(this.#pos)
    this.#pos += 2
    return v
  }

  u32 (what = 'u32'): number {
    this.need(4, what)
    const v = this.#view.getUint32(this.#pos)
    this.#pos += 4
    return v
  }

  /** A u64 that must be a safe integer: larger values are refused, never rounded. */
  u64 (what = 'u64'): number {
    this.need(8, what)
    const v = this.#view.getUint32(this.#pos) * TWO_32 + this.#view.getUint32(this.#pos + 4)
    this.#pos += 8
    if (!Number.isSafeInteger(v)) throw new DecodeError(`${what} exceeds the safe integer range`)
    return v
  }

  /** A view into the input, no copy: keep it beyond the input's life only as a copy. */
  raw (n: number, what = 'bytes'): Uint8Array {
    this.need(n, what)
    const out = this.#buf.subarray(this.#pos, this.#pos + n)
    this.#pos += n
    return out
  }

  /** Length-prefixed bytes; a length above `max` is refused before anything is read. */
  prefixed (width: PrefixWidth, max: number, what = 'bytes'): Uint8Array {
    const n = width === 8 ? this.u8(what) : width === 16 ? this.u16(what) : this.u32(what)
    if (n > max) throw new DecodeError(`${what} of ${n} bytes exceeds the limit of ${max}`)
    return this.raw(n, what)
  }

  utf8 (bytes: Uint8Array, what = 'string'): string {
    try {
      return strictUtf8.decode(bytes)
    } catch {
      throw new DecodeError(`${what} is not valid UTF-8`)
    }
  }

  /** Canonical encodings have no trailing bytes. */
  end (what = 'the value'): void {
    if (this.remaining !== 0) throw new DecodeError(`${this.remaining} trailing bytes after ${what}`)
  }
}
