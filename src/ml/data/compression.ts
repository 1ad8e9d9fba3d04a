// Measures every codec on chunks of real files, on this machine, and draws link conditions from the real
// bandwidth and RTT traces: the compression selector's labels come from here, not from a formula.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { constants, zstdCompressSync, zstdDecompressSync } from 'node:zlib'
import { compressSync as lz4Compress, uncompressSync as lz4Uncompress } from 'lz4-napi'
import { compressSync as snappyCompress, uncompressSync as snappyUncompress } from 'snappy'
import { CODECS, type CodecLabel, type CodecMeasure } from '../features/compression.ts'
import { mulberry32 } from '../train/random.ts'

export const CHUNK_SIZES = [64 * 1024, 256 * 1024]

/** `group` is the content hash of the original file: a file and its compressed variant split together. */
export interface CorpusFile { name: string, sha256: string, group: string, bytes: Buffer }

/**
 * Every regular file under dir, once per distinct content (the corpora share several files), and each
 * also as a zstd-9 archive: already-compressed payloads (images, archives, VM images of compressed data)
 * are common on the wire, and the research corpora hold almost none, so without them the selector would
 * never see a chunk where `none` wins on a fast link.
 */
export function readCorpus (dir: string): CorpusFile[] {
  const out: CorpusFile[] = []
  const seen = new Set<string>()
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name)
      const st = statSync(p)
      if (st.isDirectory()) walk(p)
      else if (st.isFile() && st.size > 0) {
        const bytes = readFileSync(p)
        const sha256 = createHash('sha256').update(bytes).digest('hex')
        if (seen.has(sha256)) continue
        seen.add(sha256)
        out.push({ name: relative(dir, p), sha256, group: sha256, bytes })
      }
    }
  }
  walk(dir)
  const variants = out.map(f => {
    const bytes = zstdCompressSync(f.bytes, { params: { [constants.ZSTD_c_compressionLevel]: 9 } })
    return { name: `${f.name}.zst`, sha256: createHash('sha256').update(bytes).digest('hex'), group: f.group, bytes }
  })
  return [...out, ...variants]
}

export interface ChunkRef { file: string, sha256: string, group: string, chunkSize: number, offset: number, bytes: number }

export function chunksOf (files: CorpusFile[]): ChunkRef[] {
  const out: ChunkRef[] = []
  for (const f of files) {
    for (const size of CHUNK_SIZES) {
      for (let off = 0; off < f.bytes.length; off += size) out.push({ file: f.name, sha256: f.sha256, group: f.group, chunkSize: size, offset: off, bytes: Math.min(size, f.bytes.length - off) })
    }
  }
  return out
}

type Pair = [(b: Buffer) => Buffer, (b: Buffer) => unknown]
const zstd = (level: number): Pair => [
  (b) => zstdCompressSync(b, { params: { [constants.ZSTD_c_compressionLevel]: level } }),
  (b) => zstdDecompressSync(b)
]
const IMPLS: Record<CodecLabel, Pair | null> = {
  none: null,
  lz4: [(b) => lz4Compress(b), (b) => lz4Uncompress(b)],
  snappy: [(b) => snappyCompress(b), (b) => snappyUncompress(b)],
  zstd1: zstd(1),
  zstd3: zstd(3),
  zstd6: zstd(6),
  zstd9: zstd(9),
  zstd15: zstd(15)
}

function timeUs (fn: () => unknown, repeats: number): number {
  let best = Infinity
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint()
    fn()
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1000)
  }
  return best
}

/** Best of `repeats` runs: the minimum is the least disturbed by other work on a shared machine. */
export function measureChunk (chunk: Buffer, repeats = 3): Record<CodecLabel, CodecMeasure> {
  const out = {} as Record<CodecLabel, CodecMeasure>
  for (const c of CODECS) {
    const impl = IMPLS[c]
    if (impl == null) {
      out[c] = { size: chunk.length, compressUs: 0, decompressUs: 0 }
      continue
    }
    const [enc, dec] = impl
    const packed = enc(chunk)
    out[c] = { size: packed.length, compressUs: Math.round(timeUs(() => enc(chunk), repeats) * 10) / 10, decompressUs: Math.round(timeUs(() => dec(packed), repeats) * 10) / 10 }
  }
  return out
}

export interface Link { bandwidthMbps: number, rttMs: number, source: string }

function numbersFrom (path: string, column: number, sep: RegExp, skipHeader: boolean): number[] {
  const lines = readFileSync(path, 'utf8').split('\n')
  const out: number[] = []
  lines.forEach((l, i) => {
    if (skipHeader && i === 0) return
    const v = Number(l.trim().split(sep)[column])
    if (Number.isFinite(v) && v > 0) out.push(v)
  })
  return out
}

/**
 * Link conditions from real measurements: half from 5G TCP throughput runs (5Gophers, 10 Mbit/s-2 Gbit/s),
 * half from mobile/broadband throughput traces (HSDPA, FCC, Oboe, Puffer; mostly under 20 Mbit/s), and
 * RTTs from the 5Gophers RTT samples. Samples under 0.05 Mbit/s (outages) are dropped.
 */
export function linkPool (sharedData: string, count: number, seed: number): Link[] {
  const rand = mulberry32(seed)
  const fiveG = join(sharedData, 'bandwidth', '5gophers', 'All-Carriers')
  const fast = numbersFrom(join(fiveG, '01-Throughput', 'data.csv'), 6, /,/, true)
  const rtts = numbersFrom(join(fiveG, '02-Round-Trip-Times', 'data.csv'), 0, /,/, true)
  const traces: Array<{ name: string, values: number[] }> = []
  for (const set of ['norway-hsdpa', 'fcc', 'oboe', 'puffer-2022']) {
    const files: string[] = []
    const walk = (d: string): void => { for (const n of readdirSync(d).sort()) { const p = join(d, n); if (statSync(p).isDirectory()) walk(p); else files.push(p) } }
    walk(join(sharedData, 'bandwidth', set))
    const values = files.flatMap(f => numbersFrom(f, 1, /\s+/, false)).filter(v => v >= 0.05)
    traces.push({ name: set, values })
  }
  const pick = <T>(a: T[]): T => a[Math.floor(rand() * a.length)]
  const out: Link[] = []
  for (let i = 0; i < count; i++) {
    const rttMs = pick(rtts)
    if (i % 2 === 0) out.push({ bandwidthMbps: pick(fast), rttMs, source: '5gophers' })
    else {
      const t = pick(traces)
      out.push({ bandwidthMbps: pick(t.values), rttMs, source: t.name })
    }
  }
  return out
}
