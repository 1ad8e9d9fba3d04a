// The compression selector behind the guard: sampled chunks where the model and the rule disagree are
// compressed both ways and timed; a model that picks a slow codec for a fast link loses `auto` to the rule.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { ModelCodecSelector, SAMPLE_EVERY, compressAndSendSeconds } from '../../../src/node/model-codec-selector.ts'
import { ModelGuard } from '../../../src/ml/guard.ts'
import { CODECS } from '../../../src/ml/features/compression.ts'
import { calibrationBuffer } from '../../../src/ml/features/calibration.ts'
import { createCodec } from '../../../src/dwcp/index.ts'
import type { ModelRegistry } from '../../../src/ml/registry.ts'

function fakeRegistry (label: () => string): ModelRegistry {
  const calibration = Object.fromEntries(CODECS.map((c, i) => [c, i * 0.001]))
  return {
    manifest: { version: 1, models: { compression: { baselineParams: { calibration } } } },
    runRows: async (_name: string, rows: ArrayLike<number>[]) => rows.map(() => Float32Array.of(CODECS.indexOf(label() as typeof CODECS[number])))
  } as unknown as ModelRegistry
}

describe('ModelCodecSelector', () => {
  it('compress-and-send time is the codec\'s measured time plus the output at the link\'s rate', async () => {
    const chunk = calibrationBuffer().subarray(0, 64 * 1024)
    const none = await compressAndSendSeconds(createCodec('none'), chunk, { bandwidthMbps: 8, rttMs: 1 })
    assert.ok(none >= 65536 / 1e6 && none < 65536 / 1e6 + 0.05, String(none))
  })

  it('hands `auto` to the rule when the model\'s codec costs more on the chunks this node sends', async () => {
    const guard = new ModelGuard('compression', { baseline: 'rule', window: 4, minSamples: 2, margin: 0.05 })
    const selector = new ModelCodecSelector(fakeRegistry(() => 'zstd15'), guard)
    const chunk = calibrationBuffer().subarray(0, 64 * 1024)
    const link = { bandwidthMbps: 10_000, rttMs: 1 }
    const first = await selector.choose(chunk, link)
    assert.equal(first.label, createCodec('zstd', 15).label, 'the model is in charge at first')
    for (let i = 0; i < 2 * SAMPLE_EVERY; i++) await selector.choose(chunk, link)
    assert.equal(guard.inCharge, 'baseline')
    const now = await selector.choose(chunk, link)
    assert.notEqual(now.label, first.label)
    assert.ok(guard.state().observed >= 2)
  })
})
