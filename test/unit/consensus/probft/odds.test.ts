// ProBFT's analytic odds: exact binomial tails against hand-computed fractions, the sizes' exact rounding,
// the values of PROBFT.md §5.3's table, tails far below the double range, and a seeded Monte Carlo run of the
// real sampling (each sender draws s distinct replicas without replacement) that must land inside the 99%
// interval of the analytic value.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mulberry32 } from '../../../../src/ml/train/random.ts'
import {
  binomialTail, probftOdds, probftQuorum, probftRefusal, probftSampleSize, recommendProbft, sampledQuorumOdds,
  PROBFT_MAX_FAILURE_ODDS, PROBFT_MAX_MISS_ODDS
} from '../../../../src/consensus/probft/odds.ts'

const close = (actual: number, expected: number, rel = 1e-12): void => {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${actual} vs ${expected}`)
}

test('hand-computed small cases, exactly', () => {
  // n=16, f=5, l=1, o=2: q=4, s=8, p=1/2. miss = P[Bin(11, 1/2) < 4] = (1 + 11 + 55 + 165) / 2^11;
  // byz = P[Bin(5, 1/2) >= 4] = (5 + 1) / 2^5.
  const a = probftOdds({ n: 16, f: 5, l: 1, o: 2 })
  assert.equal(a.q, 4)
  assert.equal(a.sampleSize, 8)
  close(a.missQuorum, 232 / 2048)
  close(a.byzantineQuorum, 6 / 32)
  close(a.forgedCertificate, 5 * 6 / 32)
  close(a.decisionUnsafe, 1) // 2 * 16 * 6/32 = 6, capped
  close(a.missQuorumNoFaults, (1 + 16 + 120 + 560) / 65536)
  assert.equal(a.messages.probft, 15 * 17)
  assert.equal(a.messages.pbft, 480)
  // n=9, f=2, l=1, o=1.5: q=3, s=ceil(4.5)=5, p=5/9. miss = (4^7 + 7*5*4^6 + 21*25*4^5) / 9^7; two
  // Byzantine replicas can never fill a quorum of 3.
  const b = probftOdds({ n: 9, f: 2, l: 1, o: 1.5 })
  assert.equal(b.q, 3)
  assert.equal(b.sampleSize, 5)
  close(b.missQuorum, (16384 + 143360 + 537600) / 4782969)
  assert.equal(b.byzantineQuorum, 0)
  assert.equal(b.byzantineQuorumLog10, -Infinity)
  assert.equal(b.decisionUnsafe, 0)
  // n=4, f=1, l=1.5, o=1: q=3, s=3, p=3/4: miss = 1 - (3/4)^3.
  const c = probftOdds({ n: 4, f: 1, l: 1.5, o: 1 })
  assert.equal(c.q, 3)
  close(c.missQuorum, 37 / 64)
  // f = 0: nothing Byzantine, and sampling everyone never misses.
  const d = probftOdds({ n: 10, f: 0, l: 1, o: 10 })
  assert.equal(d.sampleSize, 10)
  assert.equal(d.missQuorum, 0)
  assert.equal(d.byzantineQuorum, 0)
})

test('q and s round exactly, never by a float product', () => {
  assert.equal(probftQuorum(100, 1.1), 11) // 1.1 * 10 = 11.000000000000002 in doubles
  assert.equal(probftQuorum(100, 0.3), 3) // 0.30000000000000004 * 10
  assert.equal(probftQuorum(100, 2), 20)
  assert.equal(probftQuorum(101, 2), 21)
  assert.equal(probftQuorum(16, 1.5), 6)
  assert.equal(probftQuorum(200, 2), 29) // 28.28...
  assert.equal(probftSampleSize(100, 10, 1.1), 11)
  assert.equal(probftSampleSize(100, 20, 1.6), 32)
  assert.equal(probftSampleSize(100, 15, 1.7), 26) // 25.5
  assert.equal(probftSampleSize(16, 8, 2), 16)
  assert.equal(probftSampleSize(16, 8, 3), 16, 'capped at n')
  // The protocol's integer lPercent arithmetic (least q with (100 q)^2 >= l^2 n) agrees on a 0.01 grid.
  for (let n = 1; n <= 300; n += 7) {
    for (let lp = 10; lp <= 400; lp += 13) {
      let q = 0
      while (BigInt(100 * q) ** 2n < BigInt(lp) ** 2n * BigInt(n)) q++
      assert.equal(probftQuorum(n, lp / 100), q, `n=${n} l=${lp / 100}`)
    }
  }
})

test("the values of PROBFT.md §5.3's table", () => {
  const rows: Array<[number, number, number, number, number, number]> = [
    // n, f, l, o, miss, f * byzQ
    [64, 21, 2, 2, 3.3e-2, 2.8e-1],
    [100, 33, 2, 2, 3.2e-2, 4.4e-1],
    [200, 66, 2, 2, 2.2e-2, 4.6e-1],
    [1000, 333, 2, 2, 4.3e-3, 2.0e-1],
    [100, 33, 2, 1.6, 3.1e-1, 2.2e-2],
    [1000, 333, 3, 1.6, 2.3e-1, 1.4e-7],
    [100, 20, 2, 2, 1.7e-3, 2.2e-7],
    [1000, 200, 1.5, 1.7, 7.7e-3, 2.2e-9]
  ]
  for (const [n, f, l, o, miss, forged] of rows) {
    const r = probftOdds({ n, f, l, o })
    close(r.missQuorum, miss, 0.04)
    close(r.forgedCertificate, forged, 0.04)
  }
})

test('tails far below the double range keep their log10, and the two tails sum to one', () => {
  const t = binomialTail(1000, 1, 2, 1000, true) // 2^-1000
  close(t.p, 2 ** -1000, 1e-12)
  close(t.log10, -1000 * Math.log10(2), 1e-12)
  const u = binomialTail(2000, 1, 2, 2000, true) // 2^-2000: 0 as a double
  assert.equal(u.p, 0)
  close(u.log10, -2000 * Math.log10(2), 1e-12)
  for (const [m, a, b, k] of [[30, 7, 19, 9], [200, 58, 200, 29], [333, 152, 1000, 95], [5, 1, 3, 0], [5, 1, 3, 6], [50, 0, 4, 1], [50, 4, 4, 50]]) {
    const lo = binomialTail(m, a, b, k, false)
    const hi = binomialTail(m, a, b, k, true)
    close(lo.p + hi.p, 1, 1e-12)
    // against a plain float sum of the pmf
    let s = 0
    for (let j = k; j <= m; j++) {
      let logc = 0
      for (let i = 1; i <= j; i++) logc += Math.log(m - j + i) - Math.log(i)
      const p = a / b
      s += p === 0 ? (j === 0 ? 1 : 0) : p === 1 ? (j === m ? 1 : 0) : Math.exp(logc + j * Math.log(p) + (m - j) * Math.log(1 - p))
    }
    close(hi.p, Math.min(1, s), 1e-9)
  }
  assert.throws(() => binomialTail(3, 5, 4, 1, true), RangeError)
  assert.throws(() => binomialTail(-1, 1, 4, 1, true), RangeError)
})

test('bad input is refused', () => {
  assert.throws(() => probftOdds({ n: 0, f: 0, l: 1, o: 1 }), /n must be/)
  assert.throws(() => probftOdds({ n: 10, f: 10, l: 1, o: 1 }), /f must be/)
  assert.throws(() => probftOdds({ n: 10, f: 1.5, l: 1, o: 1 }), /f must be/)
  assert.throws(() => probftOdds({ n: 10, f: 1, l: 0, o: 1 }), /l must be/)
  assert.throws(() => probftOdds({ n: 10, f: 1, l: 1, o: Number.NaN }), /o must be/)
  assert.throws(() => sampledQuorumOdds({ n: 10, f: 1, q: 3, sampleSize: 11 }), /sample size/)
})

test('refusals name the reason; the recommendation is accepted and the cheapest', () => {
  assert.match(probftRefusal(probftOdds({ n: 16, f: 5, l: 3, o: 1 })) ?? '', /quorum q=12 exceeds the 11 correct/)
  assert.match(probftRefusal(probftOdds({ n: 100, f: 33, l: 2, o: 2 })) ?? '', /Byzantine votes alone .* over the bound 1e-9/)
  assert.match(probftRefusal(probftOdds({ n: 100, f: 33, l: 3.5, o: 1 })) ?? '', /misses a phase quorum .* over the bound 0.25/)
  assert.equal(PROBFT_MAX_MISS_ODDS, 0.25)
  for (const [n, f] of [[4, 1], [16, 5], [100, 33], [100, 20], [200, 66]]) {
    const r = recommendProbft(n, f)
    assert.ok(r !== null, `n=${n}`)
    assert.equal(r.refusal, null)
    assert.ok(r.decisionUnsafe <= PROBFT_MAX_FAILURE_ODDS && r.missQuorum <= PROBFT_MAX_MISS_ODDS)
    // one fewer copy per vote, at any quorum size, is refused (smallest s wins)
    for (let q = 1; q <= n; q++) {
      if (r.sampleSize - 1 < 1) break
      assert.notEqual(probftRefusal(sampledQuorumOdds({ n, f, q, sampleSize: r.sampleSize - 1 })), null, `n=${n} q=${q} s=${r.sampleSize - 1}`)
    }
  }
})

// ---- Monte Carlo ----------------------------------------------------------------------------------------

const MONTE_CARLO_TRIALS = 20_000
const MONTE_CARLO_SEED = 0x5eed

/** Wilson score interval at z (2.576: 99%). */
function wilson (hits: number, trials: number, z = 2.576): [number, number] {
  const p = hits / trials
  const denom = 1 + z * z / trials
  const centre = (p + z * z / (2 * trials)) / denom
  const half = z * Math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
  return [centre - half, centre + half]
}

for (const [n, f, l, o] of [[16, 5, 1, 2], [64, 21, 1, 2], [31, 10, 1, 2]]) {
  test(`Monte Carlo of the sampling (n=${n}, f=${f}, l=${l}, o=${o}): inside the 99% interval of the analytic odds`, () => {
    const odds = probftOdds({ n, f, l, o })
    const rnd = mulberry32(MONTE_CARLO_SEED + n)
    const pool = Array.from({ length: n }, (_, i) => i)
    // Replica 0 is the (correct) recipient; replicas 1..f are Byzantine; every sender, replica 0 included,
    // draws s distinct replicas by a partial Fisher-Yates shuffle.
    let misses = 0
    let byzFull = 0
    for (let t = 0; t < MONTE_CARLO_TRIALS; t++) {
      let correctVotes = 0
      let byzVotes = 0
      for (let sender = 0; sender < n; sender++) {
        let hit = false
        for (let m = 0; m < odds.sampleSize; m++) {
          const j = m + Math.floor(rnd() * (n - m))
          const x = pool[m]; pool[m] = pool[j]; pool[j] = x
          if (pool[m] === 0) { hit = true; break }
        }
        if (hit) {
          if (sender >= 1 && sender <= f) byzVotes++
          else correctVotes++
        }
      }
      if (correctVotes < odds.q) misses++
      if (byzVotes >= odds.q) byzFull++
    }
    const [mLo, mHi] = wilson(misses, MONTE_CARLO_TRIALS)
    const [bLo, bHi] = wilson(byzFull, MONTE_CARLO_TRIALS)
    assert.ok(odds.missQuorum > 0.005 && odds.byzantineQuorum > 0.005, 'parameters where both events are frequent enough to measure')
    assert.ok(mLo <= odds.missQuorum && odds.missQuorum <= mHi, `miss ${misses}/${MONTE_CARLO_TRIALS}: [${mLo}, ${mHi}] vs ${odds.missQuorum}`)
    assert.ok(bLo <= odds.byzantineQuorum && odds.byzantineQuorum <= bHi, `byz ${byzFull}/${MONTE_CARLO_TRIALS}: [${bLo}, ${bHi}] vs ${odds.byzantineQuorum}`)
  })
}
