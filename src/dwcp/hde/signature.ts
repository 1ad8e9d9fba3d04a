// A signature is what the receiver knows of its old version: the truncated sha256 of each of its
// content-defined chunks, in file order. The sender matches its own chunks against it.
import { stat } from 'node:fs/promises'
import { cutFile } from './cut.ts'
import type { CdcParams } from './fastcdc.ts'
import { SIGNATURE_HASH_BYTES } from '../wire/limits.ts'

export { chunkDigest } from './digest.ts'

export interface Signature {
  params: CdcParams
  /** count × SIGNATURE_HASH_BYTES bytes. */
  hashes: Uint8Array
}

/** Where the chunks of a signed file lie: chunk i is bytes [offsets[i], offsets[i + 1]). */
export interface ChunkTable {
  offsets: Float64Array
}

/** The signature of a file and its chunk table (the receiver keeps the latter to rebuild). */
export async function signFile (path: string, params: CdcParams): Promise<{ signature: Signature } & ChunkTable> {
  const cut = await cutFile(path, params)
  const offsets = new Float64Array(cut.lengths.length + 1)
  for (let i = 0; i < cut.lengths.length; i++) offsets[i + 1] = offsets[i] + cut.lengths[i]
  return { signature: { params, hashes: cut.digests }, offsets }
}

export function signatureCount (s: Signature): number {
  return s.hashes.byteLength / SIGNATURE_HASH_BYTES
}

export function signatureEntry (s: Signature, i: number): string {
  return Buffer.from(s.hashes.buffer, s.hashes.byteOffset + i * SIGNATURE_HASH_BYTES, SIGNATURE_HASH_BYTES).toString('latin1')
}

/**
 * The receiver signs its old version when asked and needs the same chunk table again to rebuild: keep
 * the last few, keyed by file identity, so a large base is read once. A stale entry could only yield a
 * wrong rebuild, which the target hash check refuses.
 */
export class SignatureCache {
  private readonly entries = new Map<string, { signature: Signature } & ChunkTable>()
  private readonly keep: number

  constructor (keep = 2) {
    this.keep = keep
  }

  async sign (path: string, params: CdcParams): Promise<{ signature: Signature } & ChunkTable> {
    const st = await stat(path, { bigint: true })
    const key = JSON.stringify([path, String(st.dev), String(st.ino), String(st.size), String(st.mtimeNs), params])
    const hit = this.entries.get(key)
    if (hit !== undefined) return hit
    const signed = await signFile(path, params)
    this.entries.set(key, signed)
    while (this.entries.size > this.keep) this.entries.delete(this.entries.keys().next().value as string)
    return signed
  }
}
