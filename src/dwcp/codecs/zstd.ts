import { constants, zstdCompress, zstdDecompress } from 'node:zlib'
import { promisify } from 'node:util'
import type { Codec } from './codec.ts'

const compress = promisify(zstdCompress)
const decompress = promisify(zstdDecompress)

export const ZSTD_MIN_LEVEL = 1
export const ZSTD_MAX_LEVEL = 19

export class ZstdCodec implements Codec {
  readonly name = 'zstd' as const
  readonly label: string
  readonly level: number
  private readonly dictionary: Uint8Array | undefined

  constructor (level = 3, dictionary?: Uint8Array) {
    if (!Number.isInteger(level) || level < ZSTD_MIN_LEVEL || level > ZSTD_MAX_LEVEL) throw new RangeError(`zstd level must be ${ZSTD_MIN_LEVEL}..${ZSTD_MAX_LEVEL}`)
    this.level = level
    this.dictionary = dictionary
    this.label = `zstd-${level}`
  }

  async encode (raw: Uint8Array): Promise<Uint8Array> {
    return await compress(raw, {
      params: { [constants.ZSTD_c_compressionLevel]: this.level, [constants.ZSTD_c_checksumFlag]: 0 },
      ...(this.dictionary === undefined ? {} : { dictionary: this.dictionary })
    })
  }
}

/** `maxOutputLength` makes zlib stop at the declared size, so a decompression bomb costs nothing. */
export async function zstdDecode (payload: Uint8Array, rawLength: number, dictionary?: Uint8Array): Promise<Uint8Array> {
  return await decompress(payload, {
    maxOutputLength: Math.max(1, rawLength),
    ...(dictionary === undefined ? {} : { dictionary })
  })
}
