// The consensus wire conventions over the shared byte codec: fixed-width big-endian integers and
// u32-length-prefixed byte strings. Every value has exactly one encoding, so the bytes that are signed are
// unambiguous, and the reader bounds every length before allocating.
import { MAX_LIST_ITEMS, MAX_MESSAGE_BYTES, MAX_STRING_BYTES } from './limits.ts'
import { ByteReader, ByteWriter, DecodeError, utf8Bytes } from '../../encoding/bytes.ts'

/** Thrown inside decoders only; the public decode functions turn it into a Result. */
export { DecodeError as CodecError }

export class Writer extends ByteWriter {
  bool (v: boolean): this { return this.u8(v ? 1 : 0) }

  bytes (v: Uint8Array): this { return this.prefixed(32, v) }

  str (v: string): this { return this.bytes(utf8Bytes(v)) }

  list<T> (items: readonly T[], write: (w: this, item: T) => void): this {
    this.u32(items.length)
    for (const item of items) write(this, item)
    return this
  }
}

export class Reader extends ByteReader {
  constructor (buf: Uint8Array) {
    if (buf.byteLength > MAX_MESSAGE_BYTES) throw new DecodeError(`message of ${buf.byteLength} bytes exceeds ${MAX_MESSAGE_BYTES}`)
    super(buf)
  }

  bool (): boolean {
    const v = this.u8('bool')
    if (v > 1) throw new DecodeError(`bool must be 0 or 1, got ${v}`)
    return v === 1
  }

  bytes (max = MAX_MESSAGE_BYTES, what = 'bytes'): Uint8Array {
    return this.prefixed(32, max, what)
  }

  /** Exactly `len` bytes (hashes), so a wrong-length field fails here rather than deep inside a protocol. */
  fixed (len: number, what: string): Uint8Array {
    const v = this.bytes(len, what)
    if (v.byteLength !== len) throw new DecodeError(`${what} must be ${len} bytes, got ${v.byteLength}`)
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
    return this.utf8(raw)
  }

  list<T> (read: (r: this) => T, max = MAX_LIST_ITEMS): T[] {
    const count = this.u32('list length')
    if (count > max) throw new DecodeError(`list of ${count} items exceeds the limit of ${max}`)
    // Each item takes at least one byte, so a huge count with little input fails before allocating.
    if (count > this.remaining) throw new DecodeError(`list of ${count} items cannot fit in ${this.remaining} bytes`)
    const out: T[] = []
    for (let i = 0; i < count; i++) out.push(read(this))
    return out
  }
}
