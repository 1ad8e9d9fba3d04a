// Reliability: features on a hand-made trace, the quick pipeline end to end, and `eval` replaying the card.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dataSet } from '../../helpers/data.ts'
import { DAY, HOUR, HistoryIndex, parseReliabilityInput } from '../../../src/ml/features/reliability.ts'
import { ModelRegistry } from '../../../src/ml/registry.ts'
import { readManifest } from '../../../src/ml/manifest.ts'
import { reliabilityTask } from '../../../src/ml/tasks/reliability-task.ts'
import { rocAuc } from '../../../src/ml/train/metrics.ts'

/** Card figures are rounded to 4 decimals and the ONNX file computes in float32. */
const EVAL_TOLERANCE = 2e-3

describe('reliability features', () => {
  const t0 = 1_000_000
  const idx = new HistoryIndex({ node: 'n', observedFrom: t0, observedTo: t0 + 40 * DAY, outages: [[t0 + 2 * DAY, t0 + 2 * DAY + HOUR], [t0 + 10 * DAY, t0 + 10 * DAY + 2 * HOUR]] })
  it('counts failures in windows and time since the last one', () => {
    const f = idx.features(t0 + 11 * DAY)
    assert.equal(f.failures1d, 1) // windows are [t - 1 day, t): it started exactly a day ago
    assert.equal(f.failures7d, 1)
    assert.equal(f.failures30d, 2)
    assert.equal(f.hoursSinceLastFailure, 24)
    assert.equal(f.uptimeHours, 22)
    assert.equal(f.lastOutageHours, 2)
    assert.ok(Math.abs(f.downFraction7d - 2 / (7 * 24)) < 1e-12)
  })
  it('labels an outage that starts within the horizon', () => {
    assert.equal(idx.failsWithin(t0 + 9.5 * DAY), 1)
    assert.equal(idx.failsWithin(t0 + 3 * DAY), 0)
    assert.equal(idx.upAt(t0 + 2 * DAY + 60), false)
  })
  it('rejects bad user input with usage errors', () => {
    assert.throws(() => parseReliabilityInput({}), (e: any) => e.kind === 'usage')
    assert.throws(() => parseReliabilityInput(null), (e: any) => e.kind === 'usage')
  })
  it('computes ROC-AUC with ties', () => {
    assert.equal(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75)
    assert.equal(rocAuc([0.5, 0.5], [0, 1]), 0.5)
  })
})

const fta = dataSet('reliability/grid5000-fta')

describe('reliability pipeline and eval', { skip: fta.skip }, () => {
  const registries: ModelRegistry[] = []
  after(async () => { for (const r of registries) await r.close() })

  it('trains a few rounds on a slice, and its ONNX file matches the TypeScript trees', async () => {
    const out = mkdtempSync(join(tmpdir(), 'novacron-rel-'))
    const { entry } = await reliabilityTask.train({ dataDir: fta.path!, outDir: out, quick: true })
    const registry = new ModelRegistry(out)
    registries.push(registry)
    const ref = entry.reference!
    const got = await registry.run('reliability', { features: { data: Float32Array.from(ref.feeds.features.data), dims: ref.feeds.features.dims } })
    ref.outputs.pFail.data.forEach((v, i) => assert.ok(Math.abs(got.pFail.data[i] - v) <= 1e-5))
  })

  it('eval on the training data replays the card\'s held-out figures', async () => {
    const registry = new ModelRegistry()
    registries.push(registry)
    const result = await reliabilityTask.evaluate(registry, fta.path!)
    assert.match(result.scope, /held-out/)
    const card = readManifest().models.reliability.metrics
    for (const [name, metrics] of [['model', result.metrics.model], ...Object.entries(result.metrics.baselines)] as const) {
      for (const k of ['rocAuc', 'brier', 'logLoss']) {
        assert.ok(Math.abs((metrics as any)[k] - (card[name] as any)[k]) <= EVAL_TOLERANCE, `${name}.${k}: eval ${(metrics as any)[k]} vs card ${(card[name] as any)[k]}`)
      }
    }
  })
})
