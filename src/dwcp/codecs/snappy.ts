import { compress, uncompress } from 'snappy'
import type { Codec } from './codec.ts'

export class SnappyCodec implements Codec {
  readonly name = 'snappy' as const
  readonly label = 'snappy'

  async encode (raw: Uint8Array): Promise<Uint8Array> {
    return await compress(raw)
  }
}

/** Reads snappy's varint length preamble so a lying one is refused before the library allocates. */
function preambleLength (payload: Uint8Array): number {
  let value = 0
  for (let i = 0; i < 5 && i < payload.byteLength; i++) {
    const b = payload[i]
    value += (b & 0x7f) * 2 ** (7 * i)
    if ((b & 0x80) === 0) return value
  }
  throw new Error('bad snappy length preamble')
}

export async function snappyDecode (payload: Uint8Array, rawLength: number): Promise<Uint8Array> {
  const declared = preambleLength(payload)
  if (declared !== rawLength) throw new Error(`snappy length ${declared} != raw length ${rawLength}`)
  const out = await uncompress(payload, { asBuffer: true })
  if (typeof out === 'string') throw new Error('snappy returned a string')
  return out
}
