// Selection policies: sizes, determinism per seed, and that Oort and the topology-aware policy prefer
// what they claim to prefer.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { POLICIES, createPolicy, mixture, tvDistance, type ClientInfo } from '../../../src/fl/selection.ts'
import { mulberry32 } from '../../../src/ml/train/random.ts'

const clients: ClientInfo[] = Array.from({ length: 20 }, (_, i) => ({
  id: `c${String(i).padStart(2, '0')}`,
  samples: 100 + 10 * i,
  linkMbps: i < 10 ? 100 : 1,
  rttMs: i < 10 ? 5 : 200,
  reliability: i % 5 === 4 ? 0.2 : 0.95,
  histogram: i % 2 === 0 ? [1, 0] : [0, 1],
  durationS: i < 10 ? 1 : 10
}))

describe('selection policies', () => {
  it('choose k distinct known clients (full: all), the same for the same seed', () => {
    for (const name of POLICIES) {
      const a = createPolicy(name).select(clients, 5, 1, mulberry32(3))
      const b = createPolicy(name).select(clients, 5, 1, mulberry32(3))
      assert.deepEqual(a, b, name)
      assert.equal(new Set(a).size, a.length, name)
      assert.equal(a.length, name === 'full' ? 20 : 5, name)
      for (const id of a) assert.ok(clients.some(c => c.id === id))
      assert.equal(createPolicy(name).select(clients.slice(0, 2), 5, 1, mulberry32(1)).length, 2, 'k above the population takes everyone')
    }
  })

  it('oort exploits high-utility fast clients once explored', () => {
    const oort = createPolicy('oort')
    const rand = mulberry32(5)
    // Every client reports once; the fast ones with a high loss are the most useful.
    oort.observe({ round: 1, results: clients.map(c => ({ id: c.id, samples: c.samples, loss: c.linkMbps > 10 ? 1 : 0.1, durationS: c.durationS })) })
    const counts = new Map<string, number>()
    for (let r = 2; r < 60; r++) for (const id of oort.select(clients, 5, r, rand)) counts.set(id, (counts.get(id) ?? 0) + 1)
    const fast = [...counts].filter(([id]) => Number(id.slice(1)) < 10).reduce((a, [, n]) => a + n, 0)
    assert.ok(fast > 0.8 * 58 * 5, `fast clients chosen ${fast} of ${58 * 5}`)
  })

  it('tcs prefers good, reliable links and keeps the data mix close to the population', () => {
    const tcs = createPolicy('tcs')
    const rand = mulberry32(9)
    let good = 0
    let tv = 0
    const R = 200
    for (let r = 0; r < R; r++) {
      const s = tcs.select(clients, 4, r, rand)
      good += s.filter(id => { const c = clients.find(x => x.id === id) as ClientInfo; return c.linkMbps > 10 && c.reliability > 0.5 }).length
      tv += tvDistance(mixture(clients.filter(c => s.includes(c.id))), mixture(clients))
    }
    const random = createPolicy('random')
    let tvRandom = 0
    for (let r = 0; r < R; r++) { const s = random.select(clients, 4, r, rand); tvRandom += tvDistance(mixture(clients.filter(c => s.includes(c.id))), mixture(clients)) }
    assert.ok(good > 0.8 * 4 * R, `good links ${good} of ${4 * R}`)
    assert.ok(tv < 0.5 * tvRandom, `data mix distance ${tv / R} vs random ${tvRandom / R}`)
  })
})
