import type { Codec } from './codec.ts'

export class NoneCodec implements Codec {
  readonly name = 'none' as const
  readonly label = 'none'

  async encode (raw: Uint8Array): Promise<Uint8Array> {
    return raw
  }
}
