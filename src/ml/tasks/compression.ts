// The compression-selector task: the measured label table, rows of (chunk, link) with the oracle codec,
// the baselines, and the held-out evaluation shared by training and `models eval`.
import { cpus } from 'node:os'
import { CODECS, chunkFeatures, costSeconds, encodeCompression, type ChunkFeatures, type CodecLabel, type CodecMeasure } from '../features/compression.ts'
import { chunksOf, measureChunk, type CorpusFile, type Link } from '../data/compression.ts'
import { hashString } from '../train/random.ts'
import { calibrateHost, scaleCalibration, type HostCalibration } from '../features/calibration.ts'
import { round } from '../train/metrics.ts'
import { partOf, type Part } from './split.ts'
import { predict as gbdtPredict, train as trainGbdt, type GbdtParams } from '../train/gbdt.ts'
import { judgeFold, type BySourceResult } from './by-source.ts'

export const LINKS_PER_CHUNK = 24

export interface LabelChunk {
  file: string
  sha256: string
  group: string
  chunkSize: number
  offset: number
  bytes: number
  part: Part
  /** Per codec, in CODECS order: [size, compressUs, decompressUs]. */
  m: Array<[number, number, number]>
}

export interface LabelTable {
  measuredOn: { cpu: string, node: string, date: string, repeats: number }
  /** The labelling host's codec speeds on the calibration buffer: the features' CPU costs for its timings. */
  calibration?: HostCalibration
  codecs: string[]
  links: Link[]
  linksPerChunk: number
  chunks: LabelChunk[]
}

export async function measureLabels (files: CorpusFile[], links: Link[], repeats = 3, log: (m: string) => void = () => {}): Promise<LabelTable> {
  const calibration = await calibrateHost(1000)
  const byName = new Map(files.map(f => [f.name, f]))
  const refs = chunksOf(files)
  const chunks: LabelChunk[] = refs.map((r, i) => {
    if (i % 50 === 0) log(`compression: measuring chunk ${i}/${refs.length}`)
    const bytes = byName.get(r.file)!.bytes.subarray(r.offset, r.offset + r.bytes)
    const m = measureChunk(bytes, repeats)
    return { ...r, part: partOf(r.group, 'compression'), m: CODECS.map(c => [m[c].size, m[c].compressUs, m[c].decompressUs] as [number, number, number]) }
  })
  return { measuredOn: { cpu: cpus()[0]?.model ?? 'unknown', node: process.version, date: new Date().toISOString().slice(0, 10), repeats }, calibration, codecs: [...CODECS], links, linksPerChunk: LINKS_PER_CHUNK, chunks }
}

export function measureOf (c: LabelChunk, codec: number): CodecMeasure {
  const [size, compressUs, decompressUs] = c.m[codec]
  return { size, compressUs, decompressUs }
}

/** Which links of the pool a chunk is paired with: fixed by its identity, so replays pair the same ones. */
export function linksFor (c: Pick<LabelChunk, 'sha256' | 'offset' | 'chunkSize'>, pool: Link[], k: number): Link[] {
  return Array.from({ length: k }, (_, j) => pool[hashString(`${c.sha256}:${c.chunkSize}:${c.offset}:${j}`) % pool.length])
}

export interface CompressionRow {
  x: Float32Array
  label: number
  costs: number[]
  bandwidthMbps: number
  features: ChunkFeatures
  part: Part
  /** The chunk's file (corpus/name), for leave-one-source-out. */
  file: string
}

/** Simulated hosts run every codec this many times slower than the labelling host, log-uniform in [1/4, 4]. */
export const HOST_FACTOR_RANGE = 4

/** A (chunk, link) pair's simulated host: fixed by its identity, so replays simulate the same hosts. */
export function hostFactor (c: Pick<LabelChunk, 'sha256' | 'offset' | 'chunkSize'>, j: number): number {
  const u = (hashString(`host:${c.sha256}:${c.chunkSize}:${c.offset}:${j}`) % 100_000) / 100_000
  return Math.exp((2 * u - 1) * Math.log(HOST_FACTOR_RANGE))
}

/**
 * Rows of (chunk, link) with every codec's cost and the oracle. `hosts: 'this'` costs the timings as
 * measured (the labelling host); 'simulated' runs each pair on a host `hostFactor` times slower or faster,
 * its calibration scaled alike: what teaches the model to read the CPU-over-link features.
 */
export function compressionRows (table: LabelTable, files: CorpusFile[], hosts: 'this' | 'simulated' = 'this'): CompressionRow[] {
  const bySha = new Map(files.map(f => [f.sha256, f]))
  const rows: CompressionRow[] = []
  const calibration = table.calibration
  if (calibration == null) throw new Error('compression label table has no host calibration')
  for (const c of table.chunks) {
    const f = bySha.get(c.sha256)
    if (f == null) continue
    const features = chunkFeatures(f.bytes.subarray(c.offset, c.offset + c.bytes))
    for (const [j, link] of linksFor(c, table.links, table.linksPerChunk).entries()) {
      const factor = hosts === 'this' ? 1 : hostFactor(c, j)
      const costs = CODECS.map((_, k) => {
        const m = measureOf(c, k)
        return costSeconds({ size: m.size, compressUs: m.compressUs * factor, decompressUs: m.decompressUs * factor }, link.bandwidthMbps)
      })
      let best = 0
      for (let k = 1; k < costs.length; k++) if (costs[k] < costs[best]) best = k
      rows.push({ x: encodeCompression(features, link.bandwidthMbps, scaleCalibration(calibration, factor)), label: best, costs, bandwidthMbps: link.bandwidthMbps, features, part: c.part, file: c.file })
    }
  }
  return rows
}

const idx = (c: CodecLabel): number => CODECS.indexOf(c)

/** The rule an engineer would write: skip incompressible data, then pick by the link's speed tier. */
export function tierRule (f: ChunkFeatures, bandwidthMbps: number): number {
  if (f.compressedMagic === 1 || f.sampleEntropy >= 7.5 || f.bytes < 4096) return idx('none')
  if (bandwidthMbps < 10) return idx('zstd9')
  if (bandwidthMbps < 100) return idx('zstd3')
  if (bandwidthMbps < 1000) return idx('lz4')
  return idx('none')
}

export const BASELINES: Record<string, (r: CompressionRow) => number> = {
  alwaysZstd3: () => idx('zstd3'),
  alwaysLz4: () => idx('lz4'),
  alwaysNone: () => idx('none'),
  sizeBandwidthTierRule: (r) => tierRule(r.features, r.bandwidthMbps)
}

export const TIERS: Array<[string, number, number]> = [['<10Mbps', 0, 10], ['10-100Mbps', 10, 100], ['100-1000Mbps', 100, 1000], ['>=1000Mbps', 1000, Infinity]]

export interface SelectorMetrics { relativeToOracle: Record<string, number>, meanRatioToOracle: number, top1Agreement: number }

/** Total time of the chosen codecs over the oracle's, per link-speed tier and overall; and top-1 agreement. */
export function selectorMetrics (rows: CompressionRow[], choice: (r: CompressionRow, i: number) => number): SelectorMetrics {
  const sums = new Map<string, [number, number]>()
  let agree = 0
  let ratio = 0
  rows.forEach((r, i) => {
    const c = choice(r, i)
    const oracle = r.costs[r.label]
    const got = r.costs[c]
    if (c === r.label || got === oracle) agree++
    ratio += got / oracle
    for (const [name, lo, hi] of [...TIERS, ['all', 0, Infinity] as [string, number, number]]) {
      if (r.bandwidthMbps < lo || r.bandwidthMbps >= hi) continue
      const s = sums.get(name) ?? [0, 0]
      s[0] += got
      s[1] += oracle
      sums.set(name, s)
    }
  })
  const relativeToOracle: Record<string, number> = {}
  for (const [name] of [...TIERS, ['all']]) {
    const s = sums.get(name as string)
    if (s != null) relativeToOracle[name as string] = round(s[0] / s[1])
  }
  return { relativeToOracle, meanRatioToOracle: round(ratio / rows.length), top1Agreement: round(agree / rows.length) }
}

export interface CompressionEval {
  samples: number
  chunks: number
  files: string[]
  metrics: { model: SelectorMetrics, baselines: Record<string, SelectorMetrics> }
}

export async function evaluateCompression (rows: CompressionRow[], files: string[], predict: (x: Float32Array[]) => Promise<number[]>): Promise<CompressionEval> {
  const chosen = await predict(rows.map(r => r.x))
  const baselines: Record<string, SelectorMetrics> = {}
  for (const [name, rule] of Object.entries(BASELINES)) baselines[name] = selectorMetrics(rows, (r) => rule(r))
  return {
    samples: rows.length,
    chunks: rows.length / LINKS_PER_CHUNK,
    files,
    metrics: { model: selectorMetrics(rows, (_, i) => chosen[i]), baselines }
  }
}

/** A file's sources: its corpus (first folder) and its kind (text, binary, or already compressed). */
export function compressionSources (file: string, f: ChunkFeatures): string[] {
  const corpus = file.includes('/') ? file.split('/')[0] : 'files'
  const kind = file.endsWith('.zst') || f.compressedMagic === 1 || f.sampleEntropy >= 7.5 ? 'compressed' : f.printableShare >= 0.9 ? 'text' : 'binary'
  return [`corpus:${corpus}`, `kind:${kind}`]
}

/**
 * Leave-one-source-out over corpora and file kinds: per source, the softmax GBDT (the pipeline's parameters,
 * `rounds` at most) is trained on every chunk not of that source and scored per speed tier on it. A file's
 * kind is decided by its first chunk (a zstd archive or an already-compressed format, mostly printable text,
 * or other binary). The model wins a source when its time over the oracle's is at most the best baseline's.
 */
export function compressionBySource (rows: CompressionRow[], data: string, params: GbdtParams, tierNames: string[] = [...TIERS.map(t => t[0]), 'all']): BySourceResult {
  const first = new Map<string, ChunkFeatures>()
  for (const r of rows) if (!first.has(r.file)) first.set(r.file, r.features)
  const sourcesOf = new Map([...first].map(([file, f]) => [file, compressionSources(file, f)]))
  const sources = [...new Set([...sourcesOf.values()].flat())].sort()
  const folds = sources.map(left => {
    const held = (r: CompressionRow): boolean => sourcesOf.get(r.file)!.includes(left)
    const tr = rows.filter(r => !held(r))
    const te = rows.filter(held)
    const model = trainGbdt(tr.map(r => r.x), Float64Array.from(tr, r => r.label), { ...params, valid: undefined })
    const argmax = (p: number[]): number => p.indexOf(Math.max(...p))
    const m = selectorMetrics(te, r => argmax(gbdtPredict(model, r.x)))
    const baselines: Record<string, Record<string, number | Record<string, number>>> = {}
    for (const [name, rule] of Object.entries(BASELINES)) baselines[name] = { ...selectorMetrics(te, r => rule(r)) }
    const fold = judgeFold({ source: left, groups: new Set(te.map(r => r.file)).size, samples: te.length, model: { ...m }, baselines }, x => (x.relativeToOracle as Record<string, number>).all, true)
    const worst = Math.max(...tierNames.map(t => m.relativeToOracle[t] ?? 1))
    fold.model = { ...fold.model, worstTier: round(worst) }
    fold.modelWins = fold.modelWins || (m.relativeToOracle.all === (baselines[fold.bestBaseline]?.relativeToOracle as Record<string, number>)?.all)
    return fold
  })
  return { model: 'compression', data, sourceKind: 'corpus (calgary, canterbury, snappy-testdata) and file kind (text, binary, compressed)', metric: 'time/oracle (all tiers)', lowerIsBetter: true, seed: params.seed, folds }
}

const tierOf = (name: string) => (m: Record<string, unknown>): unknown => (m.relativeToOracle as Record<string, number> | undefined)?.[name]
export const COMPRESSION_BY_SOURCE_COLUMNS: Array<[string, (m: Record<string, unknown>) => unknown]> = [
  ...TIERS.map(([t]) => [t, tierOf(t)] as [string, (m: Record<string, unknown>) => unknown]), ['all', tierOf('all')]
]
