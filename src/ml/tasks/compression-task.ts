// `models predict|eval|train compression`.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { NovacronError } from '../../config/errors.ts'
import type { ModelTask } from '../catalog.ts'
import { readCorpus } from '../data/compression.ts'
import { CODECS, chunkFeatures, encodeCompression, parseLink } from '../features/compression.ts'
import { calibrateHost } from '../features/calibration.ts'
import type { ModelRegistry } from '../registry.ts'
import { compressionBySource, compressionRows, evaluateCompression, measureLabels, type LabelTable } from './compression.ts'
import { DEFAULT_MODELS_DIR } from '../manifest.ts'

const DEFAULT_CHUNK = 256 * 1024
const MAX_CHUNKS = 1_000_000
const CLI_CALIBRATION_MS = 300

async function choose (registry: ModelRegistry, x: Float32Array[]): Promise<number[]> {
  if (x.length === 0) return []
  const out = await registry.runRows('compression', x, 'probabilities')
  // Argmax of the probabilities rather than the label output: one reading for every class count.
  return out.map(p => { let b = 0; for (let k = 1; k < p.length; k++) if (p[k] > p[b]) b = k; return b })
}

export const compressionTask: ModelTask = {
  name: 'compression',
  dataSet: 'compression',
  describe: 'codec (none, lz4, snappy, zstd level) per chunk for a link',
  async predict (registry, input) {
    if (input == null || typeof input !== 'object' || Array.isArray(input)) throw new NovacronError('usage', 'compression input must be an object: { "file": PATH, "bandwidthMbps": N, "rttMs": N [, "chunkSize": BYTES] }')
    const v = input as Record<string, unknown>
    const extra = Object.keys(v).filter(k => !['file', 'bandwidthMbps', 'rttMs', 'chunkSize'].includes(k))
    if (extra.length > 0) throw new NovacronError('usage', `compression input: unknown field(s) ${extra.join(', ')}`)
    if (typeof v.file !== 'string' || v.file === '') throw new NovacronError('usage', 'compression input: file must be a path')
    const link = parseLink(v)
    const chunkSize = v.chunkSize ?? DEFAULT_CHUNK
    if (typeof chunkSize !== 'number' || !Number.isInteger(chunkSize) || chunkSize < 1) throw new NovacronError('usage', 'compression input: chunkSize must be a positive integer')
    if (!existsSync(v.file) || !statSync(v.file).isFile()) throw new NovacronError('usage', `compression input: ${v.file} is not a readable file`)
    const bytes = readFileSync(v.file)
    if (bytes.length / chunkSize > MAX_CHUNKS) throw new NovacronError('usage', 'compression input: too many chunks; raise chunkSize')
    const offsets: number[] = []
    for (let off = 0; off < bytes.length; off += chunkSize) offsets.push(off)
    // The choice depends on this host's codec speeds: measured now, as a node measures them at start.
    const calibration = await calibrateHost(CLI_CALIBRATION_MS)
    const x = offsets.map(off => encodeCompression(chunkFeatures(bytes.subarray(off, off + chunkSize)), link.bandwidthMbps, calibration))
    const chosen = await choose(registry, x)
    return { chunks: offsets.map((offset, i) => ({ offset, bytes: Math.min(chunkSize, bytes.length - offset), codec: CODECS[chosen[i]] })) }
  },
  async evaluate (registry, dataDir) {
    registry.entry('compression')
    const table = JSON.parse(readFileSync(join(registry.dir, 'compression-labels.json'), 'utf8')) as LabelTable
    const files = readCorpus(dataDir)
    const known = new Set(table.chunks.map(c => c.sha256))
    const replay = files.length > 0 && files.every(f => known.has(f.sha256))
    let rows
    let scope: string
    let names: string[]
    if (replay) {
      // The committed measurements, held-out files only: the card's figures.
      const present = new Set(files.map(f => f.sha256))
      const test = { ...table, chunks: table.chunks.filter(c => c.part === 'test' && present.has(c.sha256)) }
      rows = compressionRows(test, files)
      names = [...new Set(test.chunks.map(c => c.file))]
      scope = 'training corpus: held-out files, replayed from the committed label table'
    } else {
      // New files: every chunk of every file is measured now, on this machine, against the same link pool.
      const live = await measureLabels(files, table.links, 3)
      rows = compressionRows({ ...live, chunks: live.chunks.map(c => ({ ...c, part: 'test' as const })) }, files)
      names = files.map(f => f.name)
      scope = 'new files: measured live on this machine (codec timings vary between runs)'
    }
    if (rows.length === 0) throw new NovacronError('usage', `no held-out chunks in ${dataDir}`)
    const ev = await evaluateCompression(rows, names, (x) => choose(registry, x))
    return {
      model: 'compression',
      data: dataDir,
      samples: ev.samples,
      scope,
      metrics: { model: { ...ev.metrics.model }, baselines: Object.fromEntries(Object.entries(ev.metrics.baselines).map(([k, v]) => [k, { ...v }])) }
    }
  },
  async evaluateBySource (dataDir, opts) {
    const { COMPRESSION_GBDT, labelsFor } = await import('../train/compression.ts')
    const files = readCorpus(dataDir)
    const seed = opts.seed ?? 1
    const { table } = await labelsFor(files, { dataDir, outDir: DEFAULT_MODELS_DIR, seed, log: opts.log }, seed)
    // Early stopping needs validation rows of the training sources; a fixed number of rounds keeps folds alike.
    return compressionBySource(compressionRows(table, files, 'simulated'), dataDir, { ...COMPRESSION_GBDT, rounds: 60, seed })
  },
  async train (req) {
    const { trainCompression } = await import('../train/compression.ts')
    return await trainCompression(req)
  }
}
