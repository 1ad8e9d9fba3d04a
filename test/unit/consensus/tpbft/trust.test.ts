// EigenTrust in fixed point (src/consensus/tpbft/trust.ts): a hand-worked example, the fallbacks and edge
// cases of Kamvar et al.'s Algorithm 2, the contraction bound, the clique bound and convictions.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ONE, QUANTISED_ONE, eigenTrust, eigenTrustTrace, l1Distance, uniformPreTrust } from '../../../../src/consensus/tpbft/trust.ts'

const asFraction = (q: number): number => q / QUANTISED_ONE

test('hand-worked 3-node example converges to the exact fixed point', () => {
  // A rates B 3 and C 1; B rates A 1; C rates A 1 and B 1. So C = [[0, 3/4, 1/4], [1, 0, 0], [1/2, 1/2, 0]]
  // and with a = 1/2, p = 1/3 the fixed point of t = (1/2) C^T t + (1/2) p is, by substitution:
  //   t_C = t_A/8 + 1/6, t_B = 13 t_A/32 + 5/24, t_A = 15 t_A/64 + 15/48
  //   => t_A = 20/49, t_B = 55/147, t_C = 32/147 (sum 147/147).
  const { quantised } = eigenTrust({ local: [[0, 3, 1], [1, 0, 0], [1, 1, 0]], dampingPpm: 500_000, iterations: 48 })
  const exact = [20 / 49, 55 / 147, 32 / 147]
  // 48 steps of a 1/2-contraction leave < 2^-48 of error; floor rounding costs a few 2^-48 per step.
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(quantised[i] - exact[i] * QUANTISED_ONE) <= 2, `t_${i} = ${asFraction(quantised[i])}, expected ${exact[i]}`)
})

test('one step by hand: t^1 = (1 - a) C^T p + a p', () => {
  const trace = eigenTrustTrace({ local: [[0, 1, 0], [0, 0, 1], [1, 0, 0]], dampingPpm: 250_000, iterations: 1 })
  // A permutation matrix keeps the uniform vector uniform.
  for (const t of trace[1]) assert.ok(l1Distance([t], [ONE / 3n]) <= 2n)
})

test('a row with no positive rating falls back to pre-trust', () => {
  // Row 0 rates only negatively, row 1 rates nobody: both equal p, so the matrix is all p and t = p.
  const local = [[0, -5, -1], [0, 0, 0], [0, 0, 0]]
  const p = [ONE / 2n, ONE / 4n, ONE / 4n]
  const { trust } = eigenTrust({ local, preTrust: p, dampingPpm: 150_000, iterations: 32 })
  for (let i = 0; i < 3; i++) assert.ok(l1Distance([trust[i]], [p[i]]) <= 64n, `t_${i} = ${trust[i]}, p = ${p[i]}`)
  // And a positive rating elsewhere still flows: row 2 rating node 0 lifts it above its pre-trust.
  const lifted = eigenTrust({ local: [[0, -5, -1], [0, 0, 0], [7, 0, 0]], preTrust: p, dampingPpm: 150_000, iterations: 32 })
  assert.ok(lifted.trust[0] > p[0])
})

test('damping 1 gives exactly the pre-trust', () => {
  const local = [[0, 9, 1, 0], [3, 0, 0, 4], [0, 0, 0, 1], [5, 5, 5, 0]]
  const { trust } = eigenTrust({ local, dampingPpm: 1_000_000, iterations: 32 })
  assert.deepEqual(trust, uniformPreTrust(4))
})

test('contraction: ||t^{k+1} - t^k||_1 <= (1 - a)^k ||t^1 - t^0||_1, shrinking geometrically', () => {
  const local = [[0, 9, 1, 0, 0], [3, 0, 0, 4, 0], [0, 0, 0, 1, 0], [5, 5, 5, 0, 1], [0, 1, 0, 0, 0]]
  const dampingPpm = 150_000
  const trace = eigenTrustTrace({ local, dampingPpm, iterations: 32 })
  const first = l1Distance(trace[1], trace[0])
  assert.ok(first > 0n, 'the example must move')
  for (let k = 1; k < 32; k++) {
    const step = l1Distance(trace[k + 1], trace[k])
    // (1 - a)^k * first, in exact rationals: 0.85^k = 85^k / 100^k; plus n units per step of floor rounding.
    const bound = (first * 85n ** BigInt(k)) / 100n ** BigInt(k) + BigInt(5 * (k + 1))
    assert.ok(step <= bound, `step ${k}: ${step} > ${bound}`)
  }
  assert.ok(l1Distance(trace[32], trace[31]) * 100n < first, 'after 32 steps the change is below 1% of the first')
})

test('the result is a distribution: sum of t is 1 within quantisation', () => {
  const local = [[0, 2, 0, 1], [1, 0, 3, 0], [0, 0, 0, 0], [4, 4, 4, 0]]
  const { trust, quantised } = eigenTrust({ local, dampingPpm: 150_000, iterations: 32 })
  const sum = trust.reduce((a, b) => a + b, 0n)
  assert.ok(ONE - sum >= 0n && ONE - sum < 4n * 33n * 4n, `sum ${sum} vs ${ONE}`)
  assert.ok(Math.abs(quantised.reduce((a, b) => a + b, 0) - QUANTISED_ONE) <= 4)
})

test('a clique rating only itself gains no more than its inflow plus its share of pre-trust', () => {
  // Honest 0..3 rate each other and, with weight 1 of 13, the clique member 4; the clique M = {4, 5} rates
  // only itself. Each step M keeps (1 - a) of its own mass, receives (1 - a) * inflow from honest raters and
  // a * |P n M| / |P| = a/3 of pre-trust, so at the fixed point t_M = ((1 - a) * inflow + a/3) / a: all of
  // its mass traces back to what honest raters gave it plus its pre-trust share, nothing more.
  const h = [0, 1, 2, 3]
  const local = Array.from({ length: 6 }, (_, i) => Array.from({ length: 6 }, (_, j) => {
    if (i === j) return 0
    if (h.includes(i)) return h.includes(j) ? 4 : j === 4 ? 1 : 0
    return j === 4 || j === 5 ? 10 : 0
  }))
  const a = 150_000
  const { trust } = eigenTrust({ local, dampingPpm: a, iterations: 64 })
  const tM = Number(trust[4] + trust[5]) / Number(ONE)
  const honestRate = 1 / 13 // each honest rater gives 1 of its 3*4 + 1 = 13 units to node 4
  const inflow = h.reduce((s, i) => s + Number(trust[i]) / Number(ONE) * honestRate, 0)
  const aF = a / 1e6
  assert.ok(tM <= ((1 - aF) * inflow + aF * 2 / 6) / aF + 1e-6, `clique ${tM}, inflow ${inflow}`)
  // Without honest inflow the clique holds exactly its pre-trust share: it cannot manufacture trust.
  const isolated = local.map((row, i) => row.map((s, j) => (h.includes(i) && !h.includes(j) ? 0 : s)))
  const iso = eigenTrust({ local: isolated, dampingPpm: a, iterations: 64 })
  const isoM = Number(iso.trust[4] + iso.trust[5]) / Number(ONE)
  assert.ok(Math.abs(isoM - 2 / 6) < 1e-9, `isolated clique holds ${isoM}, its pre-trust share is ${2 / 6}`)
  assert.ok(tM > isoM, 'and honest inflow is what lifts it above that')
})

test('a convicted node gets exactly zero, whoever rates it', () => {
  const local = [[0, 1, 9], [1, 0, 9], [9, 9, 0]]
  const { trust, quantised } = eigenTrust({ local, convicted: [false, false, true], dampingPpm: 150_000, iterations: 32 })
  assert.equal(trust[2], 0n)
  assert.equal(quantised[2], 0)
  assert.ok(quantised[0] > QUANTISED_ONE / 3 && quantised[1] > QUANTISED_ONE / 3)
})

test('bad input is refused with a reason', () => {
  assert.throws(() => eigenTrust({ local: [], dampingPpm: 1, iterations: 1 }), /at least one/)
  assert.throws(() => eigenTrust({ local: [[0, 1], [1]], dampingPpm: 1, iterations: 1 }), /2 x 2/)
  assert.throws(() => eigenTrust({ local: [[0, 0.5], [1, 0]], dampingPpm: 1, iterations: 1 }), /safe integers/)
  assert.throws(() => eigenTrust({ local: [[0]], dampingPpm: 2_000_000, iterations: 1 }), /dampingPpm/)
  assert.throws(() => eigenTrust({ local: [[0]], dampingPpm: 1, iterations: -1 }), /iterations/)
})

test('damping 0 on a strongly connected aperiodic matrix: the principal left eigenvector (float64 power iteration)', () => {
  const local = [[0, 3, 1, 1], [2, 0, 1, 0], [1, 1, 0, 4], [1, 0, 2, 0]]
  const { quantised } = eigenTrust({ local, dampingPpm: 0, iterations: 300 })
  // Reference: t = C^T t in doubles from uniform until it stops moving.
  const c = local.map((row) => { const s = row.reduce((a, b) => a + b, 0); return row.map((x) => x / s) })
  let t = [0.25, 0.25, 0.25, 0.25]
  for (let k = 0; k < 10_000; k++) {
    const next = t.map((_, j) => t.reduce((acc, ti, i) => acc + ti * c[i][j], 0))
    const moved = next.reduce((acc, x, j) => acc + Math.abs(x - t[j]), 0)
    t = next
    if (moved < 1e-15) break
  }
  for (let j = 0; j < 4; j++) assert.ok(Math.abs(quantised[j] / QUANTISED_ONE - t[j]) < 1e-8, `t_${j}: ${quantised[j] / QUANTISED_ONE} vs ${t[j]}`)
  // And it is an eigenvector: C^T t = t.
  const back = t.map((_, j) => t.reduce((acc, ti, i) => acc + ti * c[i][j], 0))
  for (let j = 0; j < 4; j++) assert.ok(Math.abs(back[j] - t[j]) < 1e-9)
})
