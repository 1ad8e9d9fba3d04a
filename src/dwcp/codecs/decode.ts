import { createHash } from 'node:crypto'
import { lz4Decode } from './lz4.ts'
import { snappyDecode } from './snappy.ts'
import { zstdDecode } from './zstd.ts'
import type { CodecName } from '../wire/frames.ts'
import { errorMessage, fail, ok } from '../result.ts'
import type { Result } from '../result.ts'

/**
 * Decodes a chunk payload of a declared raw length and checks it against the declared sha256. Input is
 * untrusted: the raw length is already bounded by the frame decoder, and every codec is held to it.
 */
export async function decodePayload (codec: CodecName, payload: Uint8Array, rawLength: number, hash: Uint8Array): Promise<Result<Uint8Array>> {
  let raw: Uint8Array
  try {
    switch (codec) {
      case 'none': raw = payload; break
      case 'zstd': raw = await zstdDecode(payload, rawLength); break
      case 'lz4': raw = await lz4Decode(payload, rawLength); break
      case 'snappy': raw = await snappyDecode(payload, rawLength); break
    }
  } catch (e) {
    return fail(`${codec} decode failed: ${errorMessage(e)}`)
  }
  if (raw.byteLength !== rawLength) return fail(`decoded ${raw.byteLength} bytes, header says ${rawLength}`)
  if (!createHash('sha256').update(raw).digest().equals(hash)) return fail('chunk hash mismatch')
  return ok(raw)
}
