// Consensus latency: input checks, the quick pipeline, and `eval` replaying the card.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { dataSet } from '../../helpers/data.ts'
import { ModelRegistry } from '../../../src/ml/registry.ts'
import { readManifest } from '../../../src/ml/manifest.ts'
import { consensusTask } from '../../../src/ml/tasks/consensus-task.ts'

const EVAL_TOLERANCE = 2e-3

describe('consensus model', () => {
  const registries: ModelRegistry[] = []
  after(async () => { for (const r of registries) await r.close() })
  const registry = (dir?: string): ModelRegistry => { const r = new ModelRegistry(dir); registries.push(r); return r }

  it('predicts a latency that grows with crashed nodes', async () => {
    const r = registry()
    const [ok, faulty] = await consensusTask.predict(r, [{ protocol: '2-chain', nodes: 20, faults: 0, rateTxS: 50_000 }, { protocol: '2-chain', nodes: 20, faults: 3, rateTxS: 50_000 }]) as Array<{ latencyMs: number }>
    assert.ok(ok.latencyMs > 100 && ok.latencyMs < 20_000)
    assert.ok(faulty.latencyMs > ok.latencyMs)
  })

  it('refuses bad inputs with usage errors', async () => {
    const r = registry()
    const good = { protocol: 'vaba', nodes: 10, faults: 0, rateTxS: 1000 }
    for (const bad of [{ ...good, protocol: 'pbft' }, { ...good, nodes: 'ten' }, { ...good, faults: 4 }, { ...good, rateTxS: Number.NaN }, { ...good, extra: 1 }, 'vaba', []]) {
      await assert.rejects(consensusTask.predict(r, bad), (e: any) => e.kind === 'usage', JSON.stringify(bad))
    }
  })

  const bench = dataSet('consensus-bench/hotstuff-aws')
  it('trains on a slice; its ONNX file matches the TypeScript trees', { skip: bench.skip }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'novacron-cons-'))
    const { entry } = await consensusTask.train({ dataDir: bench.path!, outDir: out, quick: true })
    const ref = entry.reference!
    const got = await registry(out).run('consensus', { features: { data: Float32Array.from(ref.feeds.features.data), dims: ref.feeds.features.dims } })
    ref.outputs.latencyMs.data.forEach((v, i) => assert.ok(Math.abs(got.latencyMs.data[i] - v) <= 1e-5 * Math.max(1, Math.abs(v)), `${got.latencyMs.data[i]} vs ${v}`))
  })

  it('eval replays the card\'s held-out MAPE', { skip: bench.skip }, async () => {
    const result = await consensusTask.evaluate(registry(), bench.path!)
    const card = readManifest().models.consensus.metrics
    for (const [name, m] of [['model', result.metrics.model], ...Object.entries(result.metrics.baselines)] as const) {
      assert.ok(Math.abs((m as any).mape - (card[name] as any).mape) <= EVAL_TOLERANCE, `${name}: ${(m as any).mape} vs ${(card[name] as any).mape}`)
    }
  })
})
