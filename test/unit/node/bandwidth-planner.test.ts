// The bandwidth-driven DWCP plan: forecasts set the planned link, the guard hands planning to EWMA when
// the model forecasts this node's own links badly, and back when it forecasts them well.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { BandwidthPlanner, relativeError } from '../../../src/node/bandwidth-planner.ts'
import { ModelGuard } from '../../../src/ml/guard.ts'
import { planTransfer } from '../../../src/dwcp/index.ts'

describe('BandwidthPlanner', () => {
  it('plans streams and chunks for the forecast bandwidth, with the measured RTT', async () => {
    const p = new BandwidthPlanner({ forecast: async () => 2000, ewmaAlpha: 0.5 })
    assert.equal(p.plan('a', null), null)
    const measured = { rttMs: 40, bandwidthMbps: 100 }
    assert.deepEqual(p.estimate('a', measured), measured, 'no sample yet: the measurement as is')
    await p.observe('a', 100)
    assert.deepEqual(p.estimate('a', measured), { rttMs: 40, bandwidthMbps: 2000 })
    const plan = p.plan('a', measured)!
    assert.deepEqual(plan, planTransfer({ rttMs: 40, bandwidthMbps: 2000 }))
    // 2 Gbit/s × 40 ms is 10 MB in flight: more streams and bigger chunks than the measured 100 Mbit/s gets.
    const slow = planTransfer(measured)
    assert.ok(plan.streams > slow.streams && plan.chunkSize > slow.chunkSize, `${JSON.stringify(plan)} vs ${JSON.stringify(slow)}`)
    await p.observe('b', -1)
    assert.equal(p.forecastMbps('b'), null, 'a bad sample is ignored')
  })

  it('switches planning to EWMA when the model loses on the observed stream, and back', async () => {
    let modelSays = 1000
    const guard = new ModelGuard('bandwidth', { baseline: 'ewma', window: 10, minSamples: 5, margin: 0.05 })
    const p = new BandwidthPlanner({ forecast: async () => modelSays, ewmaAlpha: 0.5, guard })
    for (let i = 0; i < 8; i++) await p.observe('a', 50)
    assert.equal(guard.inCharge, 'baseline')
    assert.equal(p.forecastMbps('a'), 50)
    modelSays = 50
    for (let i = 0; i < 15; i++) await p.observe('a', 50 + (i % 2))
    assert.equal(guard.inCharge, 'model')
    assert.equal(p.forecastMbps('a'), 50)
    assert.ok(relativeError(0, 0) === 0 && relativeError(1, 0) === 10)
  })

  it('falls back to EWMA when the model cannot run', async () => {
    const p = new BandwidthPlanner({ forecast: async () => { throw new Error('no model') }, ewmaAlpha: 0.5 })
    await p.observe('a', 10)
    await p.observe('a', 20)
    assert.equal(p.forecastMbps('a'), 15)
  })
})
