// The placement simulator under every policy: capacity is never exceeded after any event, every accepted
// request is released exactly once at placement + duration, accepted + missed = offered, and a stream
// replays to byte-identical metrics.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { biddingPolicy, HEURISTICS, randomPolicy, type Policy } from '../../../../src/alloc/policies.ts'
import { offeredLoad, simulate, streamAtLoad, thin } from '../../../../src/alloc/sim/sim.ts'
import type { TraceHost, TraceRequest, TraceWindow } from '../../../../src/alloc/sim/trace.ts'
import { mulberry32 } from '../../../../src/ml/train/random.ts'

function policies (seed: number): Policy[] {
  const r = mulberry32(seed)
  return [...Object.values(HEURISTICS), randomPolicy(r), biddingPolicy('random-bids', (_req, hosts) => hosts.map(() => r()))]
}

const requestArb = fc.record({
  t: fc.integer({ min: 0, max: 20_000 }),
  cpu: fc.integer({ min: 0, max: 9 }).map(c => c * 1000),
  memMiB: fc.integer({ min: 0, max: 40 }).map(m => m * 512),
  durationS: fc.integer({ min: 1, max: 8000 })
}).map((r): TraceRequest => ({ ...r, diskGiB: 0, censored: false, batch: -1 }))

const hostArb = fc.record({ cpu: fc.integer({ min: 1, max: 16 }), mem: fc.integer({ min: 1, max: 32 }) })

test('property: under every policy no host exceeds capacity after any event, and each accepted request is released once', () => {
  fc.assert(fc.property(fc.array(requestArb, { minLength: 1, maxLength: 300 }), fc.array(hostArb, { minLength: 1, maxLength: 6 }), fc.integer(), (reqs, hs, seed) => {
    const requests = [...reqs].sort((a, b) => a.t - b.t)
    const hosts: TraceHost[] = hs.map((h, i) => ({ id: `h${i}`, capacity: { cpu: h.cpu * 1000, memMiB: h.mem * 1024, diskGiB: 0 } }))
    const window: TraceWindow = { name: 'prop', start: 0, end: 20_000, requests }
    for (const p of policies(seed)) {
      const { metrics } = simulate(p, hosts, window, requests, { check: true, warmupS: 0, waitS: 300 })
      assert.equal(metrics.accepted + metrics.missed, metrics.requests, `${p.name}: accepted + missed = offered`)
      assert.ok(metrics.cpuAlloc <= 1 && metrics.memAlloc <= 1)
    }
  }), { numRuns: 60 })
})

test('a stream replays to byte-identical metrics; thinning is seeded; load follows p', () => {
  const rand = mulberry32(3)
  const requests: TraceRequest[] = Array.from({ length: 4000 }, (_, i) => ({ t: i * 50, cpu: (1 + Math.floor(rand() * 4)) * 1000, memMiB: 1024 * (1 + Math.floor(rand() * 8)), diskGiB: 0, durationS: 600 + Math.floor(rand() * 20_000), censored: false, batch: -1 }))
  const window: TraceWindow = { name: 'synthetic', start: 0, end: 200_000, requests }
  const hosts: TraceHost[] = Array.from({ length: 4 }, (_, i) => ({ id: `h${i}`, capacity: { cpu: 32_000, memMiB: 65_536, diskGiB: 0 } }))
  const a = simulate(HEURISTICS['best-fit'], hosts, window, requests, { warmupS: 20_000 })
  const b = simulate(HEURISTICS['best-fit'], hosts, window, requests, { warmupS: 20_000 })
  assert.equal(JSON.stringify(a.metrics), JSON.stringify(b.metrics))
  assert.deepEqual(thin(requests, 0.3, 7), thin(requests, 0.3, 7))
  assert.notDeepEqual(thin(requests, 0.3, 7), thin(requests, 0.3, 8))
  const full = offeredLoad(requests, hosts, window, 20_000)
  const half = streamAtLoad(window, hosts, full / 2, 1, 20_000)
  assert.ok(Math.abs(half.p - 0.5) < 1e-9)
  assert.ok(Math.abs(half.offered - full / 2) / full < 0.1, `thinned load ${half.offered} vs ${full / 2}`)
  assert.ok(a.metrics.series.length > 0 && a.metrics.series.every(s => s.cpu >= 0 && s.cpu <= 1))
})

test('overload misses requests and counts their vCPU-hours', () => {
  const requests: TraceRequest[] = Array.from({ length: 10 }, (_, i) => ({ t: i, cpu: 4000, memMiB: 1024, diskGiB: 0, durationS: 3600, censored: false, batch: -1 }))
  const window: TraceWindow = { name: 'tiny', start: 0, end: 7200, requests }
  const hosts: TraceHost[] = [{ id: 'h0', capacity: { cpu: 8000, memMiB: 8192, diskGiB: 0 } }]
  const { metrics } = simulate(HEURISTICS['first-fit'], hosts, window, requests, { warmupS: 0, waitS: 300, check: true })
  assert.deepEqual([metrics.accepted, metrics.missed], [2, 8])
  assert.equal(metrics.missedVcpuH, 8 * 4)
  assert.equal(metrics.missedVcpuHPct, 80)
})

test('a policy that ignores capacity is caught', () => {
  const requests: TraceRequest[] = Array.from({ length: 3 }, (_, i) => ({ t: i, cpu: 6000, memMiB: 1024, diskGiB: 0, durationS: 100, censored: false, batch: -1 }))
  const hosts: TraceHost[] = [{ id: 'h0', capacity: { cpu: 8000, memMiB: 8192, diskGiB: 0 } }]
  const greedy: Policy = { name: 'always-h0', choose: () => 0 }
  assert.throws(() => simulate(greedy, hosts, { name: 'x', start: 0, end: 1000, requests }, requests, { warmupS: 0, check: true }), /chose host h0, which has no room/)
})
