import type { Codec, CodecName } from './codec.ts'
import { Lz4Codec } from './lz4.ts'
import { NoneCodec } from './none.ts'
import { SnappyCodec } from './snappy.ts'
import { ZstdCodec } from './zstd.ts'

export const CODEC_NAMES: readonly CodecName[] = ['none', 'zstd', 'lz4', 'snappy']

export function isCodecName (s: string): s is CodecName {
  return (CODEC_NAMES as readonly string[]).includes(s)
}

export function createCodec (name: CodecName, zstdLevel = 3): Codec {
  switch (name) {
    case 'none': return new NoneCodec()
    case 'zstd': return new ZstdCodec(zstdLevel)
    case 'lz4': return new Lz4Codec()
    case 'snappy': return new SnappyCodec()
  }
}
