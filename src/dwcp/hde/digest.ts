import { hash } from 'node:crypto'
import { SIGNATURE_HASH_BYTES } from '../wire/limits.ts'

/** A chunk's name in signatures and manifests: the first 16 bytes of its sha256. */
export function chunkDigest (data: Uint8Array): Buffer {
  return hash('sha256', data, 'buffer').subarray(0, SIGNATURE_HASH_BYTES)
}
