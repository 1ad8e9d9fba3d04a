// Peer reliability behind the guard: both predictions are scored at the next refresh against what each
// peer did, and the peers table shows the one in charge.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { PeerReliability, intervalLogLoss } from '../../../src/node/peer-reliability.ts'
import { ModelGuard } from '../../../src/ml/guard.ts'
import type { ModelRegistry } from '../../../src/ml/registry.ts'
import { RELIABILITY_FEATURES } from '../../../src/ml/features/reliability.ts'

const silent = { warn () {}, info () {}, debug () {}, error () {}, child () { return silent } } as any

/** A registry whose "model" always says `p`, with a logistic baseline that always says about 0.5. */
function fakeRegistry (p: () => number): ModelRegistry {
  return {
    manifest: { version: 1, models: { reliability: { baselineParams: { logisticRegression: { weights: RELIABILITY_FEATURES.map(() => 0), bias: 0 } } } } },
    runRows: async (_name: string, rows: ArrayLike<number>[]) => rows.map(() => Float32Array.of(p()))
  } as unknown as ModelRegistry
}

describe('PeerReliability', () => {
  it('scores a 24 h probability over the interval that followed it', () => {
    assert.ok(intervalLogLoss(0.99, 60, false) < 0.01, 'even a high daily risk is small over a minute')
    assert.ok(intervalLogLoss(0.9, 3600, true) < intervalLogLoss(0.1, 3600, true), 'a failure costs the low forecast more')
    assert.ok(Number.isFinite(intervalLogLoss(0, 60, true)) && Number.isFinite(intervalLogLoss(1, 60, false)))
  })

  it('hands the score to the baseline when the model keeps forecasting failures that do not come, and back', async () => {
    let modelSays = 0.9999
    const guard = new ModelGuard('reliability', { baseline: 'logisticRegression', window: 6, minSamples: 3, margin: 0.05 })
    const r = new PeerReliability(['a', 'b'], { registry: fakeRegistry(() => modelSays), logger: silent, guard })
    r.connected('a')
    r.connected('b')
    let t = Date.now() / 1000 + 1
    for (let i = 0; i < 4; i++) { await r.refresh(t); t += 3600 }
    assert.equal(guard.inCharge, 'baseline')
    assert.equal(r.score('a'), 0.5, 'the peers table shows the baseline: 1 - 0.5')
    modelSays = 0.0001
    for (let i = 0; i < 6; i++) { await r.refresh(t); t += 3600 }
    assert.equal(guard.inCharge, 'model')
    assert.equal(r.score('a'), 1)
  })
})
