// ProBFT's sampler and VRF input frozen byte for byte: golden vectors (a change here forks every cluster),
// plus the sampler's properties and a uniformity check over many VRF outputs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { sampleAlpha, sampleIndices } from '../../../../src/consensus/probft/sampling.ts'
import { probftQuorum, probftSampleSize } from '../../../../src/consensus/probft/odds.ts'

const beta = (i: number): Uint8Array => new Uint8Array(createHash('sha512').update(`probft-golden-${i}`).digest())

test('golden vectors: Sample(beta, n, s) for (16, 8), (100, 40), (200, 58)', () => {
  const golden: Array<[number, number, number, number[]]> = [
    [16, 8, 0, [14, 13, 4, 12, 5, 0, 6, 8]],
    [16, 8, 1, [11, 3, 2, 14, 0, 1, 9, 13]],
    [100, 40, 0, [50, 70, 60, 5, 53, 48, 1, 98, 63, 72, 16, 80, 2, 90, 94, 33, 43, 67, 47, 34, 35, 88, 10, 45, 52, 12, 68, 39, 24, 54, 92, 11, 73, 71, 59, 74, 77, 0, 66, 75]],
    [100, 40, 1, [75, 39, 86, 69, 59, 98, 0, 70, 43, 38, 57, 64, 53, 51, 7, 85, 46, 16, 78, 76, 49, 40, 73, 26, 37, 23, 48, 92, 4, 94, 77, 61, 44, 45, 15, 5, 30, 36, 93, 41]],
    [200, 58, 0, [150, 148, 156, 109, 3, 98, 174, 99, 139, 121, 46, 185, 112, 114, 196, 43, 191, 181, 165, 56, 175, 102, 167, 184, 1, 135, 0, 79, 192, 83, 152, 78, 49, 146, 187, 149, 45, 77, 178, 123, 104, 23, 87, 169, 70, 35, 153, 40, 133, 120, 73, 151, 80, 115, 63, 18, 29, 53]],
    [200, 58, 1, [75, 61, 184, 162, 87, 18, 151, 66, 31, 194, 37, 52, 149, 177, 9, 185, 190, 83, 172, 5, 129, 86, 161, 67, 89, 51, 166, 138, 25, 121, 10, 176, 68, 88, 191, 32, 133, 147, 1, 70, 91, 16, 116, 72, 59, 128, 148, 187, 126, 42, 3, 150, 199, 168, 79, 57, 198, 144]]
  ]
  for (const [n, s, i, want] of golden) assert.deepEqual(sampleIndices(beta(i), n, s), want, `n=${n} s=${s} beta ${i}`)
})

test('golden vector: the VRF input is tag || genesis || u64be(seq) || u64be(view) || phase byte', () => {
  const hex = Buffer.from(sampleAlpha(new Uint8Array(32).fill(0xab), 5, 2, 'commit')).toString('hex')
  assert.equal(hex, '4e6f766143726f6e2f50726f4246542f7631' + 'ab'.repeat(32) + '0000000000000005' + '0000000000000002' + '02')
  // Every field moves the input.
  const base = Buffer.from(sampleAlpha(new Uint8Array(32), 1, 1, 'prepare')).toString('hex')
  for (const other of [sampleAlpha(new Uint8Array(32).fill(1), 1, 1, 'prepare'), sampleAlpha(new Uint8Array(32), 2, 1, 'prepare'), sampleAlpha(new Uint8Array(32), 1, 2, 'prepare'), sampleAlpha(new Uint8Array(32), 1, 1, 'commit')]) {
    assert.notEqual(Buffer.from(other).toString('hex'), base)
  }
})

test('a sample is s distinct indices of [0, n), deterministic; bad sizes are refused', () => {
  for (let i = 0; i < 50; i++) {
    const s = sampleIndices(beta(i), 37, 20)
    assert.equal(new Set(s).size, 20)
    assert.ok(s.every((x) => Number.isInteger(x) && x >= 0 && x < 37))
    assert.deepEqual(sampleIndices(beta(i), 37, 20), s)
  }
  assert.deepEqual([...sampleIndices(beta(0), 5, 5)].sort(), [0, 1, 2, 3, 4])
  for (const [n, s] of [[5, 6], [0, 0], [5, -1], [5, 1.5]]) assert.throws(() => sampleIndices(beta(0), n, s), RangeError)
})

test('every index is drawn with frequency s/n (chi-square over 20,000 VRF outputs)', () => {
  const n = 16
  const s = 6
  const runs = 20_000
  const counts = new Array(n).fill(0)
  for (let i = 0; i < runs; i++) for (const x of sampleIndices(beta(1000 + i), n, s)) counts[x]++
  const expected = runs * s / n
  const chi2 = counts.reduce((a, c) => a + (c - expected) ** 2 / expected, 0)
  // 15 degrees of freedom: P[chi2 > 37.7] = 0.001.
  assert.ok(chi2 < 37.7, `chi-square ${chi2.toFixed(1)} over ${JSON.stringify(counts)}`)
})

test('q = ceil(l sqrt n) and s = min(n, ceil(o q)) exactly for hundredths', () => {
  assert.equal(probftQuorum(100, 1.2), 12)
  assert.equal(probftQuorum(100, 1.1), 11)
  assert.equal(probftQuorum(16, 1.5), 6)
  assert.equal(probftQuorum(7, 1.5), 4)
  assert.equal(probftSampleSize(100, 12, 2), 24)
  assert.equal(probftSampleSize(7, 4, 2), 7)
})
