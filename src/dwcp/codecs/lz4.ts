import { compress, uncompress } from 'lz4-napi'
import type { Codec } from './codec.ts'

export class Lz4Codec implements Codec {
  readonly name = 'lz4' as const
  readonly label = 'lz4'

  async encode (raw: Uint8Array): Promise<Uint8Array> {
    return await compress(raw)
  }
}

/** lz4-napi prepends the raw size (u32 LE) and would allocate whatever it says: check it first. */
export async function lz4Decode (payload: Uint8Array, rawLength: number): Promise<Uint8Array> {
  if (payload.byteLength < 4) throw new Error('lz4 payload shorter than its size prefix')
  const declared = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0, true)
  if (declared !== rawLength) throw new Error(`lz4 size prefix ${declared} != raw length ${rawLength}`)
  return await uncompress(payload)
}
