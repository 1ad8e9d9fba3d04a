// The adaptive view-change / leader timeout: a prediction only raises it above the genesis value (one below
// yields the genesis value; one above, TIMEOUT_SAFETY × share × it up to the genesis maximum), it scales the
// protocol's own timer (doubling kept, never below the protocol's duration), leaves other timers alone, and
// follows the guard: when the model loses online the baseline sets the timeout, and the model again once it wins.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { AdaptiveTimeout, TIMEOUT_SAFETY, boundTimeout, raisedTimeout } from '../../../src/node/adaptive-timeout.ts'
import { ModelGuard } from '../../../src/ml/guard.ts'
import { pbftModule } from '../../../src/consensus/pbft/module.ts'
import { bullsharkModule } from '../../../src/consensus/bullshark/module.ts'
import { PROTOCOL_MODULES } from '../../../src/consensus/registry.ts'

const VC = 'pbft/view-change'
const base = { protocol: 'pbft', n: 4, batchSize: 16, timers: [VC], baseMs: 2000, maxMs: 16_000, intervalMs: 1000, baselines: { name: 'ewma', ewmaAlpha: 0.5 } }

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

  it('raisedTimeout: a prediction below the genesis value yields it; above, TIMEOUT_SAFETY × share × it up to the maximum', () => {
    assert.equal(raisedTimeout(10, 1, 2000, 16_000), 2000)
    assert.equal(raisedTimeout(999, 1, 2000, 16_000), 2000, 'TIMEOUT_SAFETY × 999 is under the genesis value')
    assert.equal(raisedTimeout(1500, 1, 2000, 16_000), TIMEOUT_SAFETY * 1500)
    assert.equal(raisedTimeout(1e9, 1, 2000, 16_000), 16_000)
    // A timer that waits for an eighth of a commit (Bullshark's leader wait) is raised only past 4 × its base.
    assert.equal(raisedTimeout(3900, 0.125, 1000, 8000), 1000)
    assert.equal(raisedTimeout(6000, 0.125, 1000, 8000), TIMEOUT_SAFETY * 0.125 * 6000)
    for (const bad of [NaN, Infinity, -1, 0]) assert.equal(raisedTimeout(bad, 1, 2000, 16_000), 2000, String(bad))
  })

  it('starts at the genesis value, then the baseline raises it from the measured p99; the genesis value is the floor, the maximum holds', () => {
    const t = new AdaptiveTimeout(base)
    assert.deepEqual([t.state().timeoutMs, t.state().setBy, t.state().floorMs], [2000, 'genesis', 2000])
    let now = 0
    t.roll(now)
    now = interval(t, now, 1500)
    assert.deepEqual([t.state().timeoutMs, t.state().setBy, t.state().predictedP99Ms], [TIMEOUT_SAFETY * 1500, 'baseline', 1500])
    // The latency falls again: back to the genesis value, never below it.
    now = interval(t, now, 100)
    now = interval(t, now, 100)
    assert.deepEqual([t.state().timeoutMs, t.state().setBy], [2000, 'genesis'])
    // A cluster far faster than the genesis value: a model predicting a few ms leaves the genesis value.
    const fast = new AdaptiveTimeout({ ...base, predict: () => 5 })
    fast.roll(0)
    interval(fast, 0, 5)
    assert.deepEqual([fast.state().timeoutMs, fast.state().setBy, fast.state().predictedP99Ms], [2000, 'genesis', 5])
    assert.equal(fast.timerMs(VC, 2000), 2000)
    // A prediction past the genesis maximum: the maximum holds.
    const slow = new AdaptiveTimeout({ ...base, predict: () => 1e7 })
    slow.roll(0)
    interval(slow, 0, 100)
    assert.deepEqual([slow.state().timeoutMs, slow.state().setBy], [16_000, 'model'])
  })

  it('scales the protocol timer by timeout / genesis value (PBFT doubling kept, capped, never below its own duration) and leaves other timers alone', () => {
    const t = new AdaptiveTimeout({ ...base, predict: () => 2000 })
    t.roll(0)
    interval(t, 0, 100)
    assert.equal(t.state().timeoutMs, 4000)
    assert.equal(t.timerMs(VC, 2000), 4000)
    assert.equal(t.timerMs(VC, 4000), 8000, 'a doubled timeout after failed views stays doubled')
    assert.equal(t.timerMs(VC, 12_000), 16_000, 'capped at the maximum')
    assert.equal(t.timerMs(VC, 32_000), 32_000, 'never below what the protocol asked for')
    assert.equal(t.timerMs('pbft/resend', 1000), 1000)
  })

  it('a module latencyShare scales what the prediction asks for (Bullshark: raised only once the p99 passes 4 × its base)', () => {
    const opts = { ...base, protocol: 'bullshark', timers: ['bullshark/header'], baseMs: 1000, maxMs: 8000, latencyShare: 0.125 }
    const low = new AdaptiveTimeout({ ...opts, predict: () => 3800 })
    low.roll(0)
    interval(low, 0, 100)
    assert.deepEqual([low.state().timeoutMs, low.state().setBy], [1000, 'genesis'])
    const high = new AdaptiveTimeout({ ...opts, predict: () => 12_000 })
    high.roll(0)
    interval(high, 0, 100)
    assert.deepEqual([high.state().timeoutMs, high.state().setBy], [3000, 'model'])
    assert.equal(bullsharkModule.adaptiveTimeout?.latencyShare, 0.125)
    assert.equal(pbftModule.adaptiveTimeout?.latencyShare ?? 1, 1)
  })

  it('an interval with too few commits changes nothing; a failing model leaves the baseline in charge', () => {
    const errors: unknown[] = []
    const t = new AdaptiveTimeout({ ...base, predict: () => { throw new Error('worker gone') }, onError: (e) => errors.push(e) })
    t.roll(0)
    interval(t, 0, 1400, 2)
    assert.equal(t.state().setBy, 'genesis')
    interval(t, 1000, 1400)
    assert.deepEqual([t.state().timeoutMs, t.state().setBy, errors.length], [2800, 'baseline', 1])
  })

  it('follows the guard: a model that keeps missing hands the timeout to the baseline, and takes it back when it wins', () => {
    let modelSays = 5000
    const guard = new ModelGuard('consensus-latency', { baseline: 'ewma', window: 6, minSamples: 4, margin: 0.05 })
    const t = new AdaptiveTimeout({ ...base, predict: () => modelSays, guard })
    let now = 0
    t.roll(now)
    now = interval(t, now, 1500)
    assert.equal(t.state().setBy, 'model')
    assert.equal(t.state().timeoutMs, 10_000)
    for (let i = 0; i < 5; i++) now = interval(t, now, 1500)
    assert.equal(guard.inCharge, 'baseline')
    assert.deepEqual([t.state().setBy, t.state().timeoutMs], ['baseline', 3000])
    modelSays = 1600
    for (let i = 0; i < 8; i++) now = interval(t, now, 1500 + (i % 2) * 200)
    assert.equal(guard.inCharge, 'model')
    assert.deepEqual([t.state().setBy, t.state().timeoutMs], ['model', 3200])
  })

  it('an asynchronous prediction applies when it arrives, unless a newer interval superseded it', async () => {
    const t = new AdaptiveTimeout({ ...base, predict: async () => 3000 })
    t.roll(0)
    interval(t, 0, 1500)
    assert.deepEqual([t.state().setBy, t.state().timeoutMs], ['baseline', 3000])
    await new Promise(resolve => setImmediate(resolve))
    assert.deepEqual([t.state().setBy, t.state().timeoutMs], ['model', 6000])
  })

  it('every registered protocol with an adaptive timeout names timers it has, a maximum at or above its genesis value and a share in (0, 1]', () => {
    for (const m of PROTOCOL_MODULES) {
      if (m.adaptiveTimeout == null) continue
      const p = m.params.fromGenesis(m.params.genesisDefaults, 4)
      for (const id of m.adaptiveTimeout.timers) assert.ok(m.timers.includes(id), `${m.name}: ${id}`)
      assert.ok(m.adaptiveTimeout.maxMs(p) >= m.adaptiveTimeout.baseMs(p), m.name)
      const share = m.adaptiveTimeout.latencyShare ?? 1
      assert.ok(share > 0 && share <= 1, m.name)
    }
    assert.ok(pbftModule.adaptiveTimeout != null && bullsharkModule.adaptiveTimeout != null)
  })
})
