import type { CodecName } from '../wire/frames.ts'

/** A chunk compressor. Decoding is codec-wide (see decode.ts); a Codec is one encoder setting. */
export interface Codec {
  readonly name: CodecName
  /** Name plus setting, e.g. `zstd-3`, for logs and benchmarks. */
  readonly label: string
  encode (raw: Uint8Array): Promise<Uint8Array>
}

export type { CodecName }
