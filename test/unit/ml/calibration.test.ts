// The host calibration behind the compression selector: what it measures, that it yields while it
// measures, and how it enters the features (CPU time per byte over the link's time per byte).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { CALIBRATION_BYTES, calibrateHost, calibrationBuffer, isCalibration, scaleCalibration } from '../../../src/ml/features/calibration.ts'
import { CODECS, COMPRESSION_FEATURES, COSTED_CODECS, chunkFeatures, encodeCompression } from '../../../src/ml/features/compression.ts'

describe('host calibration', () => {
  it('measures every codec on one fixed buffer, yielding between measurements', async () => {
    let yields = 0
    const c = await calibrateHost(1, async () => { yields++ })
    assert.ok(isCalibration(c), JSON.stringify(c))
    assert.equal(c.none, 0)
    for (const k of COSTED_CODECS) assert.ok(c[k] > 0, k)
    assert.ok(yields >= COSTED_CODECS.length, `yielded ${yields} times`)
    // zstd at level 15 does far more work per byte than lz4 on any host (tens of times here).
    assert.ok(c.zstd15 > c.lz4)
  })

  it('the calibration buffer is the same bytes every time, compressible but not trivially', () => {
    const a = calibrationBuffer()
    assert.equal(a.length, CALIBRATION_BYTES)
    assert.equal(createHash('sha256').update(a).digest('hex'), createHash('sha256').update(calibrationBuffer()).digest('hex'))
    const f = chunkFeatures(a)
    assert.ok(f.trialRatio > 0.2 && f.trialRatio < 0.8, String(f.trialRatio))
  })

  it('enters the features as CPU time over link time per codec: a faster link or a slower host raises it', () => {
    const c = Object.fromEntries(CODECS.map((k, i) => [k, i * 0.001])) as Parameters<typeof encodeCompression>[2]
    const f = chunkFeatures(calibrationBuffer().subarray(0, 65536))
    const slow = encodeCompression(f, 10, c)
    const fast = encodeCompression(f, 10_000, c)
    const slowHost = encodeCompression(f, 10, scaleCalibration(c, 10))
    assert.equal(slow.length, COMPRESSION_FEATURES.length)
    const lz4 = 7 + COSTED_CODECS.indexOf('lz4')
    assert.ok(Math.abs(fast[lz4] - slow[lz4] - 3) < 1e-5, 'a link 1000x faster: 3 decades more')
    assert.ok(Math.abs(slowHost[lz4] - slow[lz4] - 1) < 1e-5, 'a host 10x slower: one decade more')
    assert.ok(fast[lz4] > 0, 'lz4 is slower than a 10 Gbit/s wire at 1 ns per byte')
  })

  it('rejects a malformed calibration', () => {
    assert.equal(isCalibration(null), false)
    assert.equal(isCalibration({ lz4: 1 }), false)
    assert.equal(isCalibration(Object.fromEntries(CODECS.map(k => [k, k === 'zstd3' ? -1 : 1]))), false)
    assert.equal(isCalibration(Object.fromEntries(CODECS.map(k => [k, k === 'zstd3' ? Number.NaN : 1]))), false)
  })
})
