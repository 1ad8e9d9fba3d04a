// The adaptive view-change / leader timeout: bounded between the floor and the genesis maximum whatever is
// predicted, scales the protocol's own timer (doubling kept), leaves other timers alone, and follows the
// guard: when the model loses online the baseline sets the timeout, and the model again once it wins.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { AdaptiveTimeout, TIMEOUT_SAFETY, boundTimeout } from '../../../src/node/adaptive-timeout.ts'
import { ModelGuard } from '../../../src/ml/guard.ts'
import { pbftModule } from '../../../src/consensus/pbft/module.ts'
import { bullsharkModule } from '../../../src/consensus/bullshark/module.ts'
import { PROTOCOL_MODULES } from '../../../src/consensus/registry.ts'

const VC = 'pbft/view-change'
const base = { protocol: 'pbft', n: 4, batchSize: 16, timers: [VC], baseMs: 2000, maxMs: 16_000, floorMs: 250, intervalMs: 1000, baselines: { name: 'ewma', ewmaAlpha: 0.5 } }

/** Feeds one interval of commits of `latencyMs` each, starting at `t`, and closes it. */
function interval (t: AdaptiveTimeout, start: number, latencyMs: number, count = 10): number {
  for (let i = 0; i < count; i++) t.committed(latencyMs, start + i)
  t.roll(start + 1000)
  return start + 1000
}

describe('AdaptiveTimeout', () => {
  it('boundTimeout keeps a value between the floor and the maximum (non-finite: the maximum)', () => {
    assert.equal(boundTimeout(10, 250, 16_000), 250)
    assert.equal(boundTimeout(1e9, 250, 16_000), 16_000)
    assert.equal(boundTimeout(3000, 250, 16_000), 3000)
    assert.equal(boundTimeout(NaN, 250, 16_000), 16_000)
    assert.equal(boundTimeout(-5, 250, 16_000), 250)
  })

  it('starts at the genesis value, then the baseline sets it from the measured p99; floor and maximum hold', () => {
    const t = new AdaptiveTimeout(base)
    assert.deepEqual([t.state().timeoutMs, t.state().setBy], [2000, 'genesis'])
    let now = 0
    t.roll(now)
    now = interval(t, now, 1500)
    assert.deepEqual([t.state().timeoutMs, t.state().setBy], [TIMEOUT_SAFETY * 1500, 'baseline'])
    // A cluster far faster than the floor: the floor holds.
    const fast = new AdaptiveTimeout(base)
    fast.roll(0)
    interval(fast, 0, 5)
    assert.equal(fast.state().timeoutMs, 250)
    // A prediction past the genesis maximum: the maximum holds.
    const slow = new AdaptiveTimeout({ ...base, predict: () => 1e7 })
    slow.roll(0)
    interval(slow, 0, 100)
    assert.deepEqual([slow.state().timeoutMs, slow.state().setBy], [16_000, 'model'])
  })

  it('scales the protocol timer by timeout / genesis value (PBFT doubling kept, capped) and leaves other timers alone', () => {
    const t = new AdaptiveTimeout({ ...base, predict: () => 500 })
    t.roll(0)
    interval(t, 0, 100)
    assert.equal(t.state().timeoutMs, 1000)
    assert.equal(t.timerMs(VC, 2000), 1000)
    assert.equal(t.timerMs(VC, 8000), 4000, 'a doubled timeout after failed views stays doubled')
    assert.equal(t.timerMs(VC, 1e6), 16_000)
    assert.equal(t.timerMs('pbft/resend', 1000), 1000)
  })

  it('an interval with too few commits changes nothing; a failing model leaves the baseline in charge', () => {
    const errors: unknown[] = []
    const t = new AdaptiveTimeout({ ...base, predict: () => { throw new Error('worker gone') }, onError: (e) => errors.push(e) })
    t.roll(0)
    interval(t, 0, 900, 2)
    assert.equal(t.state().setBy, 'genesis')
    interval(t, 1000, 900)
    assert.deepEqual([t.state().timeoutMs, t.state().setBy, errors.length], [1800, 'baseline', 1])
  })

  it('follows the guard: a model that keeps missing hands the timeout to the baseline, and takes it back when it wins', () => {
    let modelSays = 5000
    const guard = new ModelGuard('consensus-latency', { baseline: 'ewma', window: 6, minSamples: 4, margin: 0.05 })
    const t = new AdaptiveTimeout({ ...base, predict: () => modelSays, guard })
    let now = 0
    t.roll(now)
    now = interval(t, now, 1000)
    assert.equal(t.state().setBy, 'model')
    assert.equal(t.state().timeoutMs, 10_000)
    for (let i = 0; i < 5; i++) now = interval(t, now, 1000)
    assert.equal(guard.inCharge, 'baseline')
    assert.deepEqual([t.state().setBy, t.state().timeoutMs], ['baseline', 2000])
    modelSays = 1000
    for (let i = 0; i < 8; i++) now = interval(t, now, 1000 + (i % 2) * 200)
    assert.equal(guard.inCharge, 'model')
    assert.equal(t.state().setBy, 'model')
  })

  it('an asynchronous prediction applies when it arrives, unless a newer interval superseded it', async () => {
    const t = new AdaptiveTimeout({ ...base, predict: async () => 3000 })
    t.roll(0)
    interval(t, 0, 1000)
    assert.equal(t.state().setBy, 'baseline')
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual([t.state().setBy, t.state().timeoutMs], ['model', 6000])
  })

  it('every registered protocol with an adaptive timeout names timers it has and a maximum at or above its genesis value', () => {
    for (const m of PROTOCOL_MODULES) {
      if (m.adaptiveTimeout == null) continue
      const p = m.params.fromGenesis(m.params.genesisDefaults, 4)
      for (const id of m.adaptiveTimeout.timers) assert.ok(m.timers.includes(id), `${m.name}: ${id}`)
      assert.ok(m.adaptiveTimeout.maxMs(p) >= m.adaptiveTimeout.baseMs(p), m.name)
    }
    assert.ok(pbftModule.adaptiveTimeout != null && bullsharkModule.adaptiveTimeout != null)
  })
})
