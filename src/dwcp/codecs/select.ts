// The `auto` codec rule. It stands in for the compression-selector model behind the same interface, so the
// model can replace it without touching the transfer code.
import { compressSync as lz4Sync } from 'lz4-napi'
import { constants, zstdCompressSync } from 'node:zlib'
import type { Codec, CodecName } from './codec.ts'
import { createCodec } from './registry.ts'
import { Lz4Codec } from './lz4.ts'
import { NoneCodec } from './none.ts'
import { ZstdCodec } from './zstd.ts'

export interface LinkInfo {
  bandwidthMbps: number
  rttMs: number
}

export interface CodecSelector {
  /** May answer asynchronously (a model off the main thread). */
  choose (chunk: Uint8Array, link: LinkInfo): Codec | Promise<Codec>
}

export class FixedSelector implements CodecSelector {
  private readonly codec: Codec
  constructor (codec: Codec) {
    this.codec = codec
  }

  choose (): Codec {
    return this.codec
  }
}

/** Shannon entropy in bits per byte of `sample`. */
export function byteEntropy (sample: Uint8Array): number {
  if (sample.byteLength === 0) return 0
  const counts = new Uint32Array(256)
  for (let i = 0; i < sample.byteLength; i++) counts[sample[i]]++
  let h = 0
  for (const c of counts) {
    if (c === 0) continue
    const p = c / sample.byteLength
    h -= p * Math.log2(p)
  }
  return h
}

interface Candidate {
  codec: Codec
  /** Single-core compression speed in MB/s, measured on text (Canterbury and Calgary files). */
  mbps: number
  trial: (prefix: Uint8Array) => number
}

const zstd = (level: number, mbps: number): Candidate => ({
  codec: new ZstdCodec(level),
  mbps,
  trial: (p) => zstdCompressSync(p, { params: { [constants.ZSTD_c_compressionLevel]: level } }).byteLength
})
const NONE: Candidate = { codec: new NoneCodec(), mbps: Infinity, trial: (p) => p.byteLength }
/** Fastest first: the search below stops at the first codec too slow to beat the best so far. */
const CANDIDATES: readonly Candidate[] = [
  NONE,
  zstd(1, 370),
  { codec: new Lz4Codec(), mbps: 300, trial: (p) => lz4Sync(Buffer.from(p.buffer, p.byteOffset, p.byteLength)).byteLength },
  zstd(3, 240),
  zstd(6, 100),
  zstd(9, 40)
]

export const SAMPLE_BYTES = 16 * 1024
/** Above this many bits per byte a chunk is treated as already compressed (or random). */
export const INCOMPRESSIBLE_ENTROPY = 7.9
/** Chunks this small are not worth a codec's framing. */
export const MIN_COMPRESS_BYTES = 64
/** libuv's default pool size, which runs the async compressions. */
export const COMPRESS_THREADS = Number(process.env.UV_THREADPOOL_SIZE ?? 4)

/**
 * Per chunk: skip near-random data by the entropy of a sample, then trial-compress a prefix and take the
 * codec with the least estimated time per byte. Chunks are compressed in parallel on the libuv pool while
 * the link carries earlier ones, so the slower stage sets the pace: max(1 / (speed × threads),
 * ratio / bandwidth). The link's speed prunes the search: on a fast link the best cost is small after
 * the first trials and slower codecs cannot beat it, so they are never tried; on a slow link every level
 * is tried and the smallest output wins.
 */
export class RuleSelector implements CodecSelector {
  choose (chunk: Uint8Array, link: LinkInfo): Codec {
    if (chunk.byteLength < MIN_COMPRESS_BYTES) return NONE.codec
    const prefix = chunk.subarray(0, SAMPLE_BYTES)
    if (byteEntropy(prefix) >= INCOMPRESSIBLE_ENTROPY) return NONE.codec
    const linkBytesPerUs = Math.max(link.bandwidthMbps, 0.001) / 8
    let best = NONE
    let bestCost = 1 / linkBytesPerUs
    for (const c of CANDIDATES) {
      const cpuCost = 1 / (c.mbps * COMPRESS_THREADS)
      if (cpuCost >= bestCost) break
      const cost = Math.max(cpuCost, c.trial(prefix) / prefix.byteLength / linkBytesPerUs)
      if (cost < bestCost) {
        best = c
        bestCost = cost
      }
    }
    return best.codec
  }
}

export type CodecChoice = 'auto' | CodecName

export function selectorFor (choice: CodecChoice | CodecSelector, zstdLevel = 3): CodecSelector {
  if (typeof choice !== 'string') return choice
  if (choice === 'auto') return new RuleSelector()
  return new FixedSelector(createCodec(choice, zstdLevel))
}
