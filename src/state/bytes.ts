// The conventions of the state's binary formats (transactions, records, snapshots) over the shared byte
// codec: fixed-width big-endian integers and explicit lengths make every encoding canonical, and a decoder
// that also rejects trailing bytes and malformed UTF-8 accepts exactly one byte string per value.

import { ByteReader, ByteWriter, DecodeError, utf8Bytes } from '../encoding/bytes.ts'

export { DecodeError, utf8Bytes }

export type Result<T> = { ok: true, value: T } | { ok: false, error: string }

export class Writer extends ByteWriter {
  bytes8 (b: Uint8Array): this { return this.prefixed(8, b) }
  bytes16 (b: Uint8Array): this { return this.prefixed(16, b) }
  bytes32 (b: Uint8Array): this { return this.prefixed(32, b) }
  str16 (s: string): this { return this.bytes16(utf8Bytes(s)) }
}

export class Reader extends ByteReader {
  /** Length-prefixed bytes, refusing lengths above `max` before reading them. */
  bytes (prefix: 8 | 16 | 32, max: number, what: string): Uint8Array {
    return this.prefixed(prefix, max, what)
  }

  str16 (max: number, what: string): string {
    return this.utf8(this.prefixed(16, max, what), what)
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

export { toHex, bytesEqual as equalBytes } from '../crypto/hash.ts'
