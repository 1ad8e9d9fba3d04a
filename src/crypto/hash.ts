// Hashing helpers shared by consensus, the simulator and storage. node:crypto's sha256 is native and far
// faster than a JS implementation, which matters when the simulator hashes every batch of every seed.
import { createHash } from 'node:crypto'

export type Hash = Uint8Array

export const HASH_BYTES = 32

export function sha256 (...parts: Uint8Array[]): Hash {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

export function toHex (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}

export function fromHex (hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/i.test(hex)) throw new Error(`not a hex string: ${hex.slice(0, 16)}`)
  return new Uint8Array(Buffer.from(hex, 'hex'))
}

export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
}
