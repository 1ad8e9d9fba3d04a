// A signature is what the receiver knows of its old version: the truncated sha256 of each of its
// content-defined chunks, in file order. The sender matches its own chunks against it.
import { hash } from 'node:crypto'
import { stat } from 'node:fs/promises'
import { chunkFile } from './fastcdc.ts'
import type { CdcParams } from './fastcdc.ts'
import { SIGNATURE_HASH_BYTES } from '../wire/limits.ts'

export interface Signature {
  params: CdcParams
  /** count × SIGNATURE_HASH_BYTES bytes. */
  hashes: Uint8Array
}

export interface BaseChunk {
  offset: number
  length: number
}

export function chunkDigest (data: Uint8Array): Buffer {
  return hash('sha256', data, 'buffer').subarray(0, SIGNATURE_HASH_BYTES)
}

/** The signature of a file and where each of its chunks lies (the receiver keeps the latter). */
export async function signFile (path: string, params: CdcParams): Promise<{ signature: Signature, chunks: BaseChunk[] }> {
  const digests: Buffer[] = []
  const chunks: BaseChunk[] = []
  for await (const c of chunkFile(path, params)) {
    digests.push(chunkDigest(c.data))
    chunks.push({ offset: c.offset, length: c.data.byteLength })
  }
  return { signature: { params, hashes: Buffer.concat(digests) }, chunks }
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
  private readonly entries = new Map<string, { signature: Signature, chunks: BaseChunk[] }>()
  private readonly keep: number

  constructor (keep = 2) {
    this.keep = keep
  }

  async sign (path: string, params: CdcParams): Promise<{ signature: Signature, chunks: BaseChunk[] }> {
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
