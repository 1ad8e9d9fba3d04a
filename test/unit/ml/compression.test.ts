// Compression selector: features and cost, predict on a file, the quick pipeline, and `eval` replaying the card.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { dataSet } from '../../helpers/data.ts'
import { chunkFeatures, costSeconds } from '../../../src/ml/features/compression.ts'
import { ModelRegistry } from '../../../src/ml/registry.ts'
import { readManifest } from '../../../src/ml/manifest.ts'
import { compressionTask } from '../../../src/ml/tasks/compression-task.ts'
import { selectorMetrics, type CompressionRow } from '../../../src/ml/tasks/compression.ts'

/** The card rounds to 4 decimals; replayed labels and float32 ONNX probabilities may flip a near-tie. */
const EVAL_TOLERANCE = 2e-3

describe('compression features', () => {
  it('tells random bytes from text', () => {
    const random = chunkFeatures(randomBytes(64 * 1024))
    const text = chunkFeatures(Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(2000)))
    assert.ok(random.sampleEntropy > 7.9 && random.trialRatio > 0.99)
    assert.ok(text.sampleEntropy < 5 && text.trialRatio < 0.2 && text.printableShare === 1)
    assert.equal(chunkFeatures(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2])).compressedMagic, 1)
  })
  it('costs compress + transfer + decompress', () => {
    assert.equal(costSeconds({ size: 1_000_000, compressUs: 1000, decompressUs: 500 }, 8), 1.0015)
  })
  it('scores a perfect selector 1.00 and a wrong one above', () => {
    const rows = [{ costs: [2, 1], label: 1, bandwidthMbps: 5 }, { costs: [1, 3], label: 0, bandwidthMbps: 500 }] as unknown as CompressionRow[]
    assert.equal(selectorMetrics(rows, (r) => r.label).relativeToOracle.all, 1)
    assert.equal(selectorMetrics(rows, () => 1).relativeToOracle.all, 2)
  })
})

describe('compression model', () => {
  const registries: ModelRegistry[] = []
  after(async () => { for (const r of registries) await r.close() })
  const registry = (dir?: string): ModelRegistry => { const r = new ModelRegistry(dir); registries.push(r); return r }

  it('predict lists a codec per chunk of a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'novacron-comp-'))
    const file = join(dir, 'mixed.bin')
    writeFileSync(file, Buffer.concat([Buffer.from('log line: ok\n'.repeat(40_000)), randomBytes(300_000)]))
    const out = await compressionTask.predict(registry(), { file, bandwidthMbps: 5, rttMs: 40 }) as { chunks: Array<{ offset: number, bytes: number, codec: string }> }
    assert.equal(out.chunks.length, Math.ceil((520_000 + 300_000) / (256 * 1024)))
    assert.equal(out.chunks[0].offset, 0)
    assert.match(out.chunks[0].codec, /^zstd/)
    assert.equal(out.chunks.at(-1)!.codec, 'none')
  })

  it('predict refuses bad inputs with usage errors', async () => {
    const r = registry()
    for (const bad of [{}, { file: '/nonexistent', bandwidthMbps: 1, rttMs: 1 }, { file: '/etc/hostname', bandwidthMbps: 'fast', rttMs: 1 }, { file: '/etc/hostname', bandwidthMbps: 0, rttMs: 1 }, { file: '/etc/hostname', bandwidthMbps: 1, rttMs: 1, x: 1 }, [1, 2]]) {
      await assert.rejects(compressionTask.predict(r, bad), (e: any) => e.kind === 'usage', JSON.stringify(bad))
    }
  })

  const corpus = dataSet('compression')
  it('trains on a slice; its ONNX file matches the TypeScript trees', { skip: corpus.skip }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'novacron-comp-'))
    const { entry } = await compressionTask.train({ dataDir: corpus.path!, outDir: out, quick: true })
    const ref = entry.reference!
    const got = await registry(out).run('compression', { features: { data: Float32Array.from(ref.feeds.features.data), dims: ref.feeds.features.dims } })
    ref.outputs.probabilities.data.forEach((v, i) => assert.ok(Math.abs(got.probabilities.data[i] - v) <= 1e-5))
  })

  it('eval on the training corpus replays the card from the committed label table', { skip: corpus.skip }, async () => {
    const result = await compressionTask.evaluate(registry(), corpus.path!)
    assert.match(result.scope, /replayed/)
    const card = readManifest().models.compression.metrics
    for (const [name, m] of [['model', result.metrics.model], ...Object.entries(result.metrics.baselines)] as const) {
      const c = card[name] as any
      assert.ok(Math.abs((m as any).top1Agreement - c.top1Agreement) <= EVAL_TOLERANCE, `${name} top1`)
      for (const [tier, v] of Object.entries(c.relativeToOracle)) assert.ok(Math.abs((m as any).relativeToOracle[tier] - (v as number)) <= EVAL_TOLERANCE, `${name} ${tier}`)
    }
  })
})
