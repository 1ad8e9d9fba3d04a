// The guard: switches to the baseline when fed a stream on which the model loses, and back when it wins.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ModelGuard, startFromManifest } from '../../../src/ml/guard.ts'

describe('ModelGuard', () => {
  it('hands over to the baseline when the model loses over the window, and back when it wins', () => {
    const g = new ModelGuard('bandwidth', { baseline: 'ewma', window: 20, minSamples: 10, margin: 0.05 })
    assert.equal(g.inCharge, 'model')
    for (let i = 0; i < 9; i++) g.record(2, 1)
    assert.equal(g.inCharge, 'model', 'no switch before minSamples')
    g.record(2, 1)
    assert.equal(g.inCharge, 'baseline')
    assert.equal(g.pick('m', 'b'), 'b')
    assert.match(g.state().reason, /lost/)
    // The model starts winning: the window still holds its losses for a while.
    for (let i = 0; i < 5; i++) g.record(0.5, 1)
    assert.equal(g.inCharge, 'baseline')
    for (let i = 0; i < 20; i++) g.record(0.5, 1)
    assert.equal(g.inCharge, 'model')
    const s = g.state()
    assert.equal(s.switches, 2)
    assert.equal(s.samples, 20)
    assert.equal(s.observed, 35)
    assert.equal(s.modelLoss, 0.5)
    assert.equal(s.baselineLoss, 1)
  })

  it('does not flap on a tie within the margin, and ignores non-finite losses', () => {
    const g = new ModelGuard('x', { baseline: 'b', window: 10, minSamples: 5, margin: 0.1 })
    for (let i = 0; i < 50; i++) g.record(1.05, 1)
    assert.equal(g.inCharge, 'model')
    g.record(NaN, 1)
    g.record(1, Infinity)
    assert.equal(g.state().observed, 50)
    assert.throws(() => new ModelGuard('x', { baseline: 'b', window: 5, minSamples: 6 }), RangeError)
  })

  it('starts on the baseline where the model lost a left-out source', () => {
    assert.deepEqual(startFromManifest(undefined).startWith, 'model')
    assert.equal(startFromManifest({ folds: [{ source: 'a', modelWins: true }] }).startWith, 'model')
    const s = startFromManifest({ folds: [{ source: 'a', modelWins: true }, { source: 'site1', modelWins: false }] })
    assert.equal(s.startWith, 'baseline')
    assert.match(s.startReason, /site1/)
    const g = new ModelGuard('r', { baseline: 'lr', ...s, window: 4, minSamples: 2 })
    assert.equal(g.inCharge, 'baseline')
    g.record(0.1, 0.5)
    g.record(0.1, 0.5)
    assert.equal(g.inCharge, 'model')
  })
})
