// A tiny length-prefixed binary codec shared by transactions, state records and snapshots.
// Fixed-width big-endian integers and explicit lengths make every encoding canonical: a decoder that also
// rejects trailing bytes and malformed UTF-8 accepts exactly one byte string per value.

/** Thrown only inside this module's readers; public decoders catch it and return a Result. */
export class DecodeError extends Error {
  override name = 'DecodeError'
}

export type Result<T> = { ok: true, value: T } | { ok: false, error: string }

const utf8 = new TextEncoder()
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

export function utf8Bytes (s: string): Uint8Array {
  return utf8.encode(s)
}

export class Writer {
  private buf: Uint8Array
  private view: DataView
  private len = 0

  constructor (initial = 256) {
    this.buf = new Uint8Array(initial)
    this.view = new DataView(this.buf.buffer)
  }

  private reserve (n: number): void {
    if (this.len + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.len + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.len))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  u8 (v: number): this {
    this.reserve(1)
    this.view.setUint8(this.len, v)
    this.len += 1
    return this
  }

  u16 (v: number): this {
    this.reserve(2)
    this.view.setUint16(this.len, v)
    this.len += 2
    return this
  }

  u32 (v: number): this {
    this.reserve(4)
    this.view.setUint32(this.len, v)
    this.len += 4
    return this
  }

  /** Heights and timestamps: safe integers only, stored as u64. */
  u64 (v: number): this {
    this.reserve(8)
    this.view.setBigUint64(this.len, BigInt(v))
    this.len += 8
    return this
  }

  raw (b: Uint8Array): this {
    this.reserve(b.length)
    this.buf.set(b, this.len)
    this.len += b.length
    return this
  }

  bytes8 (b: Uint8Array): this { return this.u8(b.length).raw(b) }
  bytes16 (b: Uint8Array): this { return this.u16(b.length).raw(b) }
  bytes32 (b: Uint8Array): this { return this.u32(b.length).raw(b) }
  str16 (s: string): this { return this.bytes16(utf8.encode(s)) }

  finish (): Uint8Array {
    return this.buf.slice(0, this.len)
  }
}

export class Reader {
  private pos = 0
  private readonly buf: Uint8Array
  private readonly view: DataView

  constructor (buf: Uint8Array) {
    this.buf = buf
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  get remaining (): number { return this.buf.length - this.pos }

  private need (n: number, what: string): void {
    if (this.remaining < n) throw new DecodeError(`truncated: ${what} needs ${n} bytes, ${this.remaining} left`)
  }

  u8 (what = 'u8'): number {
    this.need(1, what)
    return this.view.getUint8(this.pos++)
  }

  u16 (what = 'u16'): number {
    this.need(2, what)
    const v = this.view.getUint16(this.pos)
    this.pos += 2
    return v
  }

  u32 (what = 'u32'): number {
    this.need(4, what)
    const v = this.view.getUint32(this.pos)
    this.pos += 4
    return v
  }

  u64 (what = 'u64'): number {
    this.need(8, what)
    const v = this.view.getBigUint64(this.pos)
    this.pos += 8
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DecodeError(`${what} out of range`)
    return Number(v)
  }

  raw (n: number, what = 'bytes'): Uint8Array {
    this.need(n, what)
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  /** Length-prefixed bytes, refusing lengths above `max` before reading them. */
  bytes (prefix: 8 | 16 | 32, max: number, what: string): Uint8Array {
    const n = prefix === 8 ? this.u8(what) : prefix === 16 ? this.u16(what) : this.u32(what)
    if (n > max) throw new DecodeError(`${what} is ${n} bytes, limit ${max}`)
    return this.raw(n, what)
  }

  str16 (max: number, what: string): string {
    const b = this.bytes(16, max, what)
    try {
      return strictUtf8.decode(b)
    } catch {
      throw new DecodeError(`${what} is not valid UTF-8`)
    }
  }

  end (what: string): void {
    if (this.remaining !== 0) throw new DecodeError(`${this.remaining} trailing bytes after ${what}`)
  }
}

/** Runs a decoder and turns any failure into an error Result: decoders never throw past their caller. */
export function decodeWith<T> (bytes: Uint8Array, fn: (r: Reader) => T): Result<T> {
  try {
    return { ok: true, value: fn(new Reader(bytes)) }
  } catch (err) {
    const message = err instanceof DecodeError ? err.message : `malformed input (${(err as Error)?.message ?? String(err)})`
    return { ok: false, error: message }
  }
}

export function toHex (b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
}

export function equalBytes (a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
}
