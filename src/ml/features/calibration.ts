// This host's codec speeds, measured once at start (about a second, in slices off the hot path): the
// compression selector's features include each codec's CPU time per byte here against the link's time per
// byte, so one model serves a slow laptop on a 10 Gbit/s link and a fast server on a 3G one.
import { constants, zstdCompressSync, zstdDecompressSync } from 'node:zlib'
import { compressSync as lz4Compress, uncompressSync as lz4Uncompress } from 'lz4-napi'
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy'
import { CODECS, type CodecLabel } from './compression.ts'
import { mulberry32 } from '../train/random.ts'

/** CPU microseconds per input byte to compress and decompress, per codec (`none` is 0). */
export type HostCalibration = Record<CodecLabel, number>

export const CALIBRATION_BYTES = 256 * 1024

/**
 * The fixed buffer every host is measured on: words from a small vocabulary with numbers and some random
 * bytes (compressible like text and logs, not trivially): the same bytes on every host, so speeds compare.
 */
export function calibrationBuffer (): Buffer {
  const rand = mulberry32(20261202)
  const words = ['node', 'cluster', 'commit', 'view', 'leader', 'batch', 'transfer', 'chunk', 'peer', 'height', 'the', 'of', 'and', 'state', 'root', 'error']
  const out = Buffer.alloc(CALIBRATION_BYTES)
  let i = 0
  while (i < out.length) {
    const r = rand()
    if (r < 0.1) out[i++] = Math.floor(rand() * 256)
    else {
      const w = r < 0.3 ? String(Math.floor(rand() * 100000)) : words[Math.floor(rand() * words.length)]
      i += out.write(w + (rand() < 0.1 ? '\n' : ' '), i)
    }
  }
  return out
}

type Pair = [(b: Buffer) => Buffer, (b: Buffer) => unknown]
const zstd = (level: number): Pair => [
  (b) => zstdCompressSync(b, { params: { [constants.ZSTD_c_compressionLevel]: level } }),
  (b) => zstdDecompressSync(b)
]
export const CODEC_IMPLS: Record<CodecLabel, Pair | null> = {
  none: null,
  lz4: [(b) => lz4Compress(b), (b) => lz4Uncompress(b)],
  snappy: [(b) => snappyCompress(b), (b) => snappyUncompress(b)],
  zstd1: zstd(1),
  zstd3: zstd(3),
  zstd6: zstd(6),
  zstd9: zstd(9),
  zstd15: zstd(15)
}

const nowUs = (): number => Number(process.hrtime.bigint()) / 1000

/**
 * Measures every codec on the calibration buffer, round after round until `budgetMs` is spent (at least
 * one round), keeping each codec's fastest round: the minimum is the least disturbed by other work. Yields
 * to the event loop between measurements (`yieldEvery` is how, setImmediate by default), so a node that
 * calibrates at start keeps serving.
 */
export async function calibrateHost (budgetMs = 1000, yieldEvery: () => Promise<void> = async () => await new Promise(resolve => setImmediate(resolve))): Promise<HostCalibration> {
  const buf = calibrationBuffer()
  const best = Object.fromEntries(CODECS.map(c => [c, c === 'none' ? 0 : Infinity])) as HostCalibration
  const packed = new Map<CodecLabel, Buffer>()
  const start = nowUs()
  for (let round = 0; round === 0 || nowUs() - start < budgetMs * 1000; round++) {
    for (const c of CODECS) {
      const impl = CODEC_IMPLS[c]
      if (impl == null) continue
      const [enc, dec] = impl
      const t0 = nowUs()
      const p = packed.get(c) ?? enc(buf)
      if (!packed.has(c)) packed.set(c, p)
      else enc(buf)
      dec(p)
      best[c] = Math.min(best[c], (nowUs() - t0) / buf.length)
      await yieldEvery()
    }
  }
  return best
}

/** A calibration scaled as a host `factor` times slower (training simulates other hosts with it). */
export function scaleCalibration (c: HostCalibration, factor: number): HostCalibration {
  return Object.fromEntries(CODECS.map(k => [k, c[k] * factor])) as HostCalibration
}

/** Checks a calibration read from a file or the manifest: every codec, finite and not negative. */
export function isCalibration (v: unknown): v is HostCalibration {
  if (v == null || typeof v !== 'object') return false
  return CODECS.every(c => typeof (v as Record<string, unknown>)[c] === 'number' && Number.isFinite((v as Record<string, number>)[c]) && (v as Record<string, number>)[c] >= 0)
}
