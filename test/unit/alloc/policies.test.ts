// Placement policies: hand-computed scores where each heuristic picks a different host, and the rules
// every policy shares (never an infeasible or dead host; -1 when nothing fits).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { biddingPolicy, fits, HEURISTICS, randomPolicy, type Amount, type HostView } from '../../../src/alloc/policies.ts'

const host = (id: string, usedCpu: number, usedMem: number, cap = 1000, live = true): HostView =>
  ({ id, capacity: { cpu: cap, memMiB: cap, diskGiB: 10 }, used: { cpu: usedCpu, memMiB: usedMem, diskGiB: 0 }, live })

// Request 10 vCPU / 10 MiB on 1000/1000 hosts; (fc, fm) are the fractions after placing it.
//        (fc, fm)        best-fit leftover   MostAllocated   LeastAllocated   Balanced
// h0  (0.600, 0.200)        1.200              40               60              80
// h1  (0.915, 0.895)        0.190              (91+89)/2 = 90   (8+10)/2 = 9    100-1 = 99
// h2  (0.919, 0.899)        0.182 (least)      (91+89)/2 = 90   (8+10)/2 = 9    99
// h3  (0.300, 0.300)        1.400              30               70              100
// h4  (0.100, 0.300)        1.600              20               80              90
// First-fit takes h0; MostAllocated ties h1/h2 at kube's 0..100 resolution and takes the first, while
// best-fit (to 1e-6) sees h2 leave less; LeastAllocated takes h4; Balanced takes h3.
const HOSTS = [host('h0', 590, 190), host('h1', 905, 885), host('h2', 909, 889), host('h3', 290, 290), host('h4', 90, 290)]
const REQ: Amount = { cpu: 10, memMiB: 10, diskGiB: 1 }

test('each heuristic picks a different host on a hand-computed cluster', () => {
  const picks = Object.fromEntries(Object.entries(HEURISTICS).map(([name, p]) => [name, p.choose(REQ, HOSTS)]))
  assert.deepEqual(picks, { 'first-fit': 0, 'best-fit': 2, 'k8s-most-allocated': 1, 'k8s-least-allocated': 4, 'k8s-balanced': 3 })
})

test('no policy picks a host that is dead, full in any resource, or returns a host when none fits', () => {
  const hosts = [host('dead', 0, 0, 1000, false), host('cpu-full', 995, 0), host('ok', 500, 500)]
  const diskFull = { ...host('disk-full', 0, 0), used: { cpu: 0, memMiB: 0, diskGiB: 10 } }
  for (const p of Object.values(HEURISTICS)) {
    assert.equal(p.choose(REQ, hosts), 2, p.name)
    assert.equal(p.choose(REQ, [diskFull, host('dead2', 0, 0, 1000, false)]), -1, p.name)
    assert.equal(p.choose(REQ, []), -1, p.name)
  }
})

test('the bidding policy places on the highest feasible bid; bids within 1e-6 tie to the earlier host', () => {
  const p = biddingPolicy('t', () => [0.9, 0.95, 0.5, 0.5000004, 0.1])
  const hosts = [...HOSTS]
  assert.equal(p.choose(REQ, hosts), 1)
  hosts[1] = host('h1', 995, 0)
  assert.equal(p.choose(REQ, hosts), 0)
  const tie = biddingPolicy('t', () => [0.5000004, 0.5])
  assert.equal(tie.choose(REQ, [host('a', 0, 0), host('b', 0, 0)]), 0)
})

test('property: every policy returns -1 or the index of a host that fits', () => {
  const hostArb = fc.record({ cap: fc.integer({ min: 0, max: 64 }), usedC: fc.integer({ min: 0, max: 64 }), usedM: fc.integer({ min: 0, max: 64 }), live: fc.boolean() })
    .map(({ cap, usedC, usedM, live }) => ({ id: 'x', capacity: { cpu: cap, memMiB: cap * 4, diskGiB: cap }, used: { cpu: Math.min(cap, usedC), memMiB: Math.min(cap * 4, usedM), diskGiB: 0 }, live }))
  let r = 1
  const policies = [...Object.values(HEURISTICS), randomPolicy(() => ((r = (r * 48271) % 2147483647) / 2147483647))]
  fc.assert(fc.property(fc.array(hostArb, { maxLength: 12 }), fc.integer({ min: 0, max: 70 }), fc.integer({ min: 0, max: 300 }), (hosts, c, m) => {
    const req = { cpu: c, memMiB: m, diskGiB: 1 }
    for (const p of policies) {
      const i = p.choose(req, hosts)
      if (i === -1) assert.ok(!hosts.some((h) => fits(req, h)), `${p.name} gave up with room left`)
      else assert.ok(fits(req, hosts[i]), `${p.name} chose a host without room`)
    }
  }), { numRuns: 300 })
})
