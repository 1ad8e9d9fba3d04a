// Bandwidth: the scale-free encoding, the LSTM export and starting weights, both trace formats, the quick
// pipeline, and `eval` replaying the card.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readTraces } from '../../../src/ml/data/bandwidth.ts'
import ort from '../../../src/ml/ort.ts'
import { dataSet } from '../../helpers/data.ts'
import { HISTORY, OFFSET, decodeForecast, decodeMbps, encodeHistory, encodeTarget } from '../../../src/ml/features/bandwidth.ts'
import { exportLstm, lstmForward, trainLstm, type LstmWeights } from '../../../src/ml/train/lstm.ts'
import { ModelRegistry } from '../../../src/ml/registry.ts'
import { readManifest } from '../../../src/ml/manifest.ts'
import { bandwidthTask } from '../../../src/ml/tasks/bandwidth-task.ts'
import { harmonicMean5 } from '../../../src/ml/tasks/bandwidth.ts'
import { mulberry32 } from '../../../src/ml/train/random.ts'

const EVAL_TOLERANCE = 2e-3

describe('bandwidth encoding and LSTM export', () => {
  it('pads a short history with its oldest sample, each relative to the last', () => {
    const x = encodeHistory([2, 4])
    assert.equal(x.length, HISTORY)
    assert.equal(x[HISTORY - 1], 0)
    assert.ok(Math.abs(x[0] - Math.log(2.1 / 4.1)) < 1e-6 && x[1] === x[0])
  })
  it('is scale-free: a link 100x faster with the same shape is the same input, and its forecast 100x larger', () => {
    const slow = [2, 3, 2.5, 4, 3.5]
    const fast = slow.map(v => v * 100)
    const a = encodeHistory(slow)
    const b = encodeHistory(fast)
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 0.05, `${v} vs ${b[i]}`))
    assert.ok(Math.abs(encodeTarget(7, slow) - Math.log(7.1 / 3.6)) < 1e-9)
    // An output of (last + offset) ratio 1 decodes to the last sample.
    assert.ok(Math.abs(decodeForecast(1 - OFFSET, fast) - 350) < 1e-9)
    assert.equal(decodeForecast(0, [0]), 0)
  })
  it('harmonic mean of the last five', () => {
    assert.ok(Math.abs(harmonicMean5([100, 1, 2, 4, 4, 2]) - 5 / (1 + 0.5 + 0.25 + 0.25 + 0.5)) < 1e-12)
  })
  it('training starts from given weights (for federated rounds): zero steps give them back unchanged', async () => {
    const rand = mulberry32(3)
    const H = 4
    const r = (n: number): number[] => Array.from({ length: n }, () => Math.fround(rand() - 0.5))
    const init: LstmWeights = { hidden: H, features: 1, steps: HISTORY, W: r(4 * H), R: r(4 * H * H), b: r(4 * H), dense: r(H), denseBias: Math.fround(0.25) }
    const x = [new Float32Array(HISTORY)]
    const back = await trainLstm(x, [0], 1, { hidden: H, steps: 0, batch: 1, learningRate: 0.01, seed: 1, loss: 'log-l1', init })
    assert.deepEqual(back, init)
    await assert.rejects(trainLstm(x, [0], 1, { hidden: H + 1, steps: 0, batch: 1, learningRate: 0.01, seed: 1, loss: 'log-l1', init }), /starting weights/)
  })
  it('ONNX LSTM (gates i,o,f,c) matches the TypeScript cell on random weights to 1e-5', async () => {
    const rand = mulberry32(7)
    const H = 5
    const r = (n: number): number[] => Array.from({ length: n }, () => rand() - 0.5)
    const w: LstmWeights = { hidden: H, features: 1, steps: HISTORY, W: r(4 * H), R: r(4 * H * H), b: r(4 * H), dense: r(H), denseBias: 0.1 }
    const session = await ort.InferenceSession.create(exportLstm([{ w, output: 'mbps' }], { name: 't', doc: '', input: 'history', offset: OFFSET }))
    const rows = Array.from({ length: 4 }, () => Float32Array.from(r(HISTORY), v => v * 4))
    const out = await session.run({ history: new ort.Tensor('float32', Float32Array.from(rows.flatMap(x => Array.from(x))), [4, HISTORY, 1]) })
    rows.forEach((x, i) => assert.ok(Math.abs((out.mbps.data as Float32Array)[i] - decodeMbps(lstmForward(w, x))) <= 1e-5))
    await session.release()
  })
})

describe('bandwidth model', () => {
  const registries: ModelRegistry[] = []
  after(async () => { for (const r of registries) await r.close() })
  const registry = (dir?: string): ModelRegistry => { const r = new ModelRegistry(dir); registries.push(r); return r }

  it('predicts near a steady link\'s rate', async () => {
    const out = await bandwidthTask.predict(registry(), { history: Array.from({ length: 12 }, () => ({ mbps: 8, rttMs: 30 })) }) as { mbps: number, mbpsMedian: number }
    assert.ok(out.mbps > 6 && out.mbps < 10, JSON.stringify(out))
    assert.ok(out.mbpsMedian > 6 && out.mbpsMedian < 10, JSON.stringify(out))
    // Scale-free: a steady 5G link at 800 Mbit/s gets the same forecast, 100 times larger.
    const fast = await bandwidthTask.predict(registry(), { history: Array.from({ length: 12 }, () => ({ mbps: 800, rttMs: 30 })) }) as { mbps: number }
    assert.ok(fast.mbps > 600 && fast.mbps < 1000, JSON.stringify(fast))
  })

  it('refuses bad inputs with usage errors', async () => {
    const r = registry()
    for (const bad of [{}, { history: [] }, { history: 'fast' }, { history: [{ mbps: 'x' }] }, { history: [{ mbps: -1 }] }, { history: [{ mbps: 1, rttMs: Number.NaN }] }, { history: [{ mbps: 1 }], extra: true }, [1]]) {
      await assert.rejects(bandwidthTask.predict(r, bad), (e: any) => e.kind === 'usage', JSON.stringify(bad))
    }
  })

  const traces = dataSet('bandwidth')
  it('trains a few steps on a slice; its ONNX file matches the TypeScript LSTM', { skip: traces.skip }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'novacron-bw-'))
    const { entry } = await bandwidthTask.train({ dataDir: traces.path!, outDir: out, quick: true })
    const ref = entry.reference!
    const got = await registry(out).run('bandwidth', { history: { data: Float32Array.from(ref.feeds.history.data), dims: ref.feeds.history.dims } })
    ref.outputs.mbps.data.forEach((v, i) => assert.ok(Math.abs(got.mbps.data[i] - v) <= 1e-5 * Math.max(1, v)))
  })

  it('eval leaves the training traces out and replays the card', { skip: traces.skip }, async () => {
    const result = await bandwidthTask.evaluate(registry(), traces.path!)
    const card = readManifest().models.bandwidth.metrics
    for (const [name, m] of [['model', result.metrics.model], ...Object.entries(result.metrics.baselines)] as const) {
      for (const k of ['maeMbps', 'mape', 'within20']) assert.ok(Math.abs((m as any)[k] - (card[name] as any)[k]) <= EVAL_TOLERANCE, `${name}.${k}: ${(m as any)[k]} vs ${(card[name] as any)[k]}`)
    }
  })
})

describe('bandwidth data sources', () => {
  it('reads `time_s Mbit/s` files and 5Gophers-style CSV runs, each tagged with its data set', () => {
    const dir = fileURLToPath(new URL('../../fixtures/ml/bandwidth-two-sources', import.meta.url))
    const traces = readTraces(dir)
    assert.deepEqual(traces.map(t => t.source).sort(), ['3g', '5g', '5g'])
    const runs = traces.filter(t => t.source === '5g')
    assert.deepEqual(runs[0].mbps, Array.from({ length: 14 }, (_, q) => 100 + q), 'in seq_num order')
    assert.deepEqual(runs[1].mbps, Array.from({ length: 14 }, (_, q) => 200 + q))
    assert.notEqual(runs[0].id, runs[1].id)
    assert.equal(traces.find(t => t.source === '3g')!.mbps.length, 15)
  })
})
