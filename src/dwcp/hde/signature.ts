// A signature is what the receiver knows of its old version: the truncated sha256 of each of its
// content-defined chunks, in file order. The sender matches its own chunks against it.
import { createHash } from 'node:crypto'
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
  return createHash('sha256').update(data).digest().subarray(0, SIGNATURE_HASH_BYTES)
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
