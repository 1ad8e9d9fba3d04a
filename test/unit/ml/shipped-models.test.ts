// Every shipped model loads through the registry (sha256 and shapes checked) and its ONNX file agrees with
// the TypeScript forward pass recorded at training time, to 1e-5.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ModelRegistry } from '../../../src/ml/registry.ts'
import { DEFAULT_MODELS_DIR, readManifest } from '../../../src/ml/manifest.ts'
import { LATENCY_FEATURES } from '../../../src/ml/features/consensus-latency.ts'

const manifest = readManifest()

describe('shipped models', () => {
  const registry = new ModelRegistry()
  after(() => registry.close())

  it('ships at least one model', () => {
    assert.ok(Object.keys(manifest.models).length >= 1)
  })

  for (const entry of Object.values(manifest.models)) {
    it(`${entry.name}: ONNX output matches the TypeScript reference to 1e-5`, async () => {
      assert.ok(entry.reference != null, 'manifest entry carries reference inputs and outputs')
      const feeds = Object.fromEntries(Object.entries(entry.reference.feeds).map(([k, t]) => [k, { data: Float32Array.from(t.data), dims: t.dims }]))
      const out = await registry.run(entry.name, feeds)
      for (const [name, expected] of Object.entries(entry.reference.outputs)) {
        const got = out[name]
        assert.deepEqual(got.dims, expected.dims, `${name} dims`)
        for (let i = 0; i < expected.data.length; i++) {
          // Relative above 1: float32 cannot hold a latency in ms to 1e-5 absolute.
          assert.ok(Math.abs(got.data[i] - expected.data[i]) <= 1e-5 * Math.max(1, Math.abs(expected.data[i])), `${name}[${i}]: onnx ${got.data[i]} vs reference ${expected.data[i]}`)
        }
      }
    })
  }

  // Its features include one input per registered protocol: registering a protocol without retraining
  // would feed the shipped model rows of the wrong width.
  it('consensus-latency takes as many inputs as the feature encoder builds (retrain after registering a protocol)', () => {
    const entry = manifest.models['consensus-latency']
    assert.ok(entry !== undefined)
    assert.deepEqual(entry.inputs.map((t) => t.shape[1]), [LATENCY_FEATURES.length])
  })

  it('loads each model once', async () => {
    const name = Object.keys(manifest.models)[0]
    const [a, b] = await Promise.all([registry.load(name), registry.load(name)])
    assert.equal(a, b)
  })

  it('refuses an unknown model with a usage error', async () => {
    await assert.rejects(registry.load('no-such-model'), (err: any) => err.kind === 'usage' && /unknown model/.test(err.message))
  })

  it('refuses a batch whose width differs from the manifest', async () => {
    const entry = Object.values(manifest.models).find(e => e.inputs.length === 1 && e.inputs[0].shape.length === 2)!
    const input = entry.inputs[0]
    const width = Number(input.shape[1]) + 1
    await assert.rejects(registry.run(entry.name, { [input.name]: { data: new Float32Array(width), dims: [1, width] } }), (err: any) => err.kind === 'usage')
  })
})

describe('registry integrity checks', () => {
  it('refuses a file whose sha256 differs from the manifest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'novacron-ml-'))
    const entry = Object.values(manifest.models)[0]
    copyFileSync(join(DEFAULT_MODELS_DIR, entry.file), join(dir, entry.file))
    const m = JSON.parse(readFileSync(join(DEFAULT_MODELS_DIR, 'manifest.json'), 'utf8'))
    m.models[entry.name].sha256 = '0'.repeat(64)
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m))
    const registry = new ModelRegistry(dir)
    await assert.rejects(registry.load(entry.name), /sha256/)
    await registry.close()
  })

  it('refuses a file whose input shape differs from the manifest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'novacron-ml-'))
    const entry = Object.values(manifest.models).find(e => e.inputs[0].shape.length === 2)!
    copyFileSync(join(DEFAULT_MODELS_DIR, entry.file), join(dir, entry.file))
    const m = JSON.parse(readFileSync(join(DEFAULT_MODELS_DIR, 'manifest.json'), 'utf8'))
    m.models[entry.name].inputs[0].shape = ['N', 99]
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m))
    const registry = new ModelRegistry(dir)
    await assert.rejects(registry.load(entry.name), /shape/)
    await registry.close()
  })
})
