import { test } from 'node:test'
import assert from 'node:assert/strict'
import { detectTier, LinkMonitor } from '../../../src/dwcp/link/tier.ts'
import { bdpBytes, planTransfer, MAX_WINDOW_BYTES } from '../../../src/dwcp/amst/plan.ts'

test('tiers follow the documented thresholds', () => {
  assert.equal(detectTier(0.3, 10_000), 1)
  assert.equal(detectTier(0.3, 500), 2, 'a slow LAN is not a datacenter link')
  assert.equal(detectTier(12, 1000), 2)
  assert.equal(detectTier(12, 50), 3)
  assert.equal(detectTier(80, 10_000), 3)
  assert.equal(detectTier(1, null), 1, 'RTT alone until throughput is measured')
})

test('the link monitor smooths RTT, keeps the best recent throughput, and knows nothing before measuring', () => {
  const m = new LinkMonitor()
  assert.equal(m.tier('p'), null)
  assert.equal(m.link('p'), null)
  for (const ms of [10, 10, 10, 40]) m.recordRtt('p', ms)
  const rtt = m.measurement('p').rttMs as number
  assert.ok(rtt > 10 && rtt < 20, `smoothed ${rtt}`)
  m.recordThroughput('p', 100e6, 1) // 800 Mbit/s
  m.recordThroughput('p', 50e6, 1)
  m.recordThroughput('p', 100, 1) // too small to count
  assert.equal(m.measurement('p').bandwidthMbps, 800)
  assert.equal(m.tier('p'), 2)
  assert.deepEqual(m.link('p'), { rttMs: rtt, bandwidthMbps: 800 })
})

test('streams and chunk size grow with the bandwidth-delay product, memory stays bounded', () => {
  const lan = planTransfer({ bandwidthMbps: 10_000, rttMs: 0.2 })
  const wan = planTransfer({ bandwidthMbps: 1000, rttMs: 80 })
  assert.ok(bdpBytes({ bandwidthMbps: 1000, rttMs: 80 }) === 10e6)
  assert.ok(wan.streams > lan.streams)
  assert.ok(wan.chunkSize >= lan.chunkSize)
  assert.equal(wan.streams, 16)
  for (const p of [lan, wan, planTransfer({ bandwidthMbps: 100_000, rttMs: 300 })]) {
    assert.ok(p.window * p.chunkSize <= MAX_WINDOW_BYTES)
    assert.ok(p.window >= p.streams)
  }
  assert.deepEqual(planTransfer({ bandwidthMbps: 1, rttMs: 1 }, { streams: 3, chunkSize: 65536 }).streams, 3)
})
