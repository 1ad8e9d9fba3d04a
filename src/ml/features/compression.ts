// Compression-selector features and cost model, shared by labelling, training and inference. Chunk
// features are cheap (a 16 KiB sample and a 4 KiB trial compression) so choosing never costs more than it
// can save; the link enters as log10 of its bandwidth.
import { constants, zstdCompressSync } from 'node:zlib'
import { NovacronError } from '../../config/errors.ts'

export const CODECS = ['none', 'lz4', 'snappy', 'zstd1', 'zstd3', 'zstd6', 'zstd9', 'zstd15'] as const
export type CodecLabel = typeof CODECS[number]

export const SAMPLE_BYTES = 16 * 1024
export const TRIAL_BYTES = 4 * 1024

/** Codecs whose CPU cost on this host enters as a feature (`none` costs nothing). */
export const COSTED_CODECS = CODECS.filter(c => c !== 'none')

export const COMPRESSION_FEATURES = ['log2Bytes', 'sampleEntropy', 'trialRatio', 'printableShare', 'zeroShare', 'compressedMagic', 'log10Mbps', ...COSTED_CODECS.map(c => `log10CpuOverLink_${c}`)]

/** Magic numbers of formats that are already compressed (JPEG, PNG, GIF, gzip, zip, zstd, xz, bzip2, PDF streams are not: mixed). */
const MAGICS: number[][] = [[0xff, 0xd8, 0xff], [0x89, 0x50, 0x4e, 0x47], [0x47, 0x49, 0x46, 0x38], [0x1f, 0x8b], [0x50, 0x4b, 0x03, 0x04], [0x28, 0xb5, 0x2f, 0xfd], [0xfd, 0x37, 0x7a, 0x58], [0x42, 0x5a, 0x68]]

export interface ChunkFeatures {
  bytes: number
  sampleEntropy: number
  trialRatio: number
  printableShare: number
  zeroShare: number
  compressedMagic: number
}

export function chunkFeatures (chunk: Uint8Array): ChunkFeatures {
  const sample = chunk.subarray(0, SAMPLE_BYTES)
  const counts = new Uint32Array(256)
  for (let i = 0; i < sample.length; i++) counts[sample[i]]++
  let h = 0
  let printable = 0
  for (let b = 0; b < 256; b++) {
    const c = counts[b]
    if (c === 0) continue
    const p = c / sample.length
    h -= p * Math.log2(p)
    if ((b >= 32 && b < 127) || b === 9 || b === 10 || b === 13) printable += c
  }
  const prefix = chunk.subarray(0, TRIAL_BYTES)
  const trial = prefix.length === 0 ? 1 : zstdCompressSync(prefix, { params: { [constants.ZSTD_c_compressionLevel]: 1 } }).byteLength / prefix.length
  return {
    bytes: chunk.length,
    sampleEntropy: h,
    trialRatio: trial,
    printableShare: sample.length === 0 ? 0 : printable / sample.length,
    zeroShare: sample.length === 0 ? 0 : counts[0] / sample.length,
    compressedMagic: MAGICS.some(m => m.every((b, i) => chunk[i] === b)) ? 1 : 0
  }
}

/**
 * The chunk, the link's rate, and per codec log10 of (this host's CPU time per byte for it) over (the link's
 * time per byte): above 0 the codec is slower than the wire, and `none` or lz4 wins whatever the ratio.
 * `cpuUsPerByte` is the host calibration (src/ml/features/calibration.ts), per codec label.
 */
export function encodeCompression (f: ChunkFeatures, bandwidthMbps: number, cpuUsPerByte: Record<CodecLabel, number>): Float32Array {
  const linkUsPerByte = 8 / bandwidthMbps
  return Float32Array.from([
    Math.log2(Math.max(f.bytes, 1)), f.sampleEntropy, f.trialRatio, f.printableShare, f.zeroShare, f.compressedMagic, Math.log10(bandwidthMbps),
    ...COSTED_CODECS.map(c => Math.log10(Math.max(cpuUsPerByte[c], 1e-6) / linkUsPerByte))
  ])
}

/** One codec's measurement on one chunk: output size and the best of several timed runs. */
export interface CodecMeasure { size: number, compressUs: number, decompressUs: number }

/**
 * End-to-end seconds to move one chunk: compress, send, decompress, one after the other. The RTT is the
 * same whatever the codec, so it does not change the choice and is left out of the cost.
 */
export function costSeconds (m: CodecMeasure, bandwidthMbps: number): number {
  return (m.compressUs + m.decompressUs) / 1e6 + (m.size * 8) / (bandwidthMbps * 1e6)
}

export interface LinkInput { bandwidthMbps: number, rttMs: number }

export function parseLink (v: Record<string, unknown>): LinkInput {
  for (const k of ['bandwidthMbps', 'rttMs']) {
    const x = v[k]
    if (typeof x !== 'number') throw new NovacronError('usage', `compression input: ${k} must be a number, got ${x === undefined ? 'nothing' : typeof x}`)
    if (!Number.isFinite(x) || x < 0) throw new NovacronError('usage', `compression input: ${k} must be a finite number >= 0, got ${x}`)
  }
  if ((v.bandwidthMbps as number) <= 0) throw new NovacronError('usage', 'compression input: bandwidthMbps must be > 0')
  return { bandwidthMbps: v.bandwidthMbps as number, rttMs: v.rttMs as number }
}
