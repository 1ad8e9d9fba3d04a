// Measured against analytic: with the protocol's own sampler over many VRF outputs, at parameters where the
// events are frequent (l = 1, f = floor((n - 1) / 3)), the rate at which a correct replica misses a phase
// quorum with f silent, and the rate at which Byzantine votes alone fill a replica's quorum, fall inside the
// 99% Wilson interval around their measurement that holds the exact binomial value (odds.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { binomialTail, probftQuorum, probftSampleSize } from '../../../../src/consensus/probft/odds.ts'
import { sampleIndices } from '../../../../src/consensus/probft/sampling.ts'

function wilson99 (k: number, n: number): [number, number] {
  const z = 2.576
  const p = k / n
  const den = 1 + z * z / n
  const mid = (p + z * z / (2 * n)) / den
  const half = z * Math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
  return [mid - half, mid + half]
}

for (const [n, trials] of [[16, 1500], [64, 300]] as const) {
  test(`n = ${n}, l = 1, o = 2, f = floor((n - 1) / 3): measured miss and Byzantine-quorum rates match the exact tails`, () => {
    const f = Math.floor((n - 1) / 3)
    const q = probftQuorum(n, 1)
    const s = probftSampleSize(n, q, 2)
    let misses = 0
    let byzFull = 0
    let holders = 0
    for (let t = 0; t < trials; t++) {
      // Senders 0 .. n-f-1 are correct, the rest Byzantine; each sender's sample from its own VRF output.
      const correctHits = new Array(n).fill(0)
      const byzHits = new Array(n).fill(0)
      for (let i = 0; i < n; i++) {
        const beta = createHash('sha512').update(`rates/${n}/${t}/${i}`).digest()
        for (const j of sampleIndices(beta, n, s)) {
          if (j === i) continue
          if (i < n - f) correctHits[j]++
          else byzHits[j]++
        }
      }
      for (let j = 0; j < n - f; j++) {
        holders++
        // Own vote plus the correct senders whose sample holds it.
        if (1 + correctHits[j] < q) misses++
        if (byzHits[j] >= q) byzFull++
      }
    }
    const missExact = binomialTail(n - f - 1, s, n, q - 1, false).p
    const byzExact = binomialTail(f, s, n, q, true).p
    const [mlo, mhi] = wilson99(misses, holders)
    const [blo, bhi] = wilson99(byzFull, holders)
    console.log(`# n=${n} q=${q} s=${s}: miss ${(misses / holders).toFixed(4)} vs ${missExact.toFixed(4)}; Byzantine quorum ${(byzFull / holders).toFixed(4)} vs ${byzExact.toFixed(4)} (${holders} holders)`)
    assert.ok(missExact >= mlo && missExact <= mhi, `miss ${misses}/${holders}: [${mlo}, ${mhi}] misses ${missExact}`)
    assert.ok(byzExact >= blo && byzExact <= bhi, `Byzantine quorum ${byzFull}/${holders}: [${blo}, ${bhi}] misses ${byzExact}`)
    // Frequent enough to mean something.
    assert.ok(misses > 20 && byzFull > 20)
  })
}
