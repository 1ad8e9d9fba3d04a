// The consensus-latency pipeline end to end on small inputs: the simulator produces interval rows for a
// configuration, the fixture trains a model that the ONNX runtime reproduces, `models eval` (held-out and
// --by-source) has the JSON shape the card and CLI read, and bad rows or inputs are refused.
import { describe, it, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { intervalRows, readLatencyRows, sampleGrid, simulateRows } from '../../../src/ml/data/consensus-sim.ts'
import { LATENCY_FEATURES, encodeLatency, parseLatencyObservation } from '../../../src/ml/features/consensus-latency.ts'
import { consensusLatencyTask } from '../../../src/ml/tasks/consensus-latency-task.ts'
import { latencyGroups } from '../../../src/ml/tasks/consensus-latency.ts'
import { ModelRegistry } from '../../../src/ml/registry.ts'
import { availableProtocols } from '../../../src/consensus/registry.ts'
import { FIXTURE_PINGS_CSV } from '../../../src/consensus/sim/pings.ts'

const fixture = fileURLToPath(new URL('../../fixtures/consensus-latency', import.meta.url))
const harness = fileURLToPath(new URL('./helpers/models-cli.ts', import.meta.url))
const tmp = mkdtempSync(join(tmpdir(), 'novacron-cl-'))
after(() => rmSync(tmp, { recursive: true, force: true }))

function cli (...args: string[]): { code: number | null, out: any, stderr: string } {
  const r = spawnSync(process.execPath, [harness, ...args], { encoding: 'utf8' })
  let out: any = null
  try { out = JSON.parse(r.stdout) } catch { out = r.stdout }
  return { code: r.status, out, stderr: r.stderr }
}

describe('consensus-latency pipeline', () => {
  it('the grid covers every registered protocol and the simulator turns one configuration into interval rows', () => {
    const grid = sampleGrid(2, 3)
    assert.deepEqual([...new Set(grid.map(c => c.protocol))].sort(), [...availableProtocols()].sort())
    const c = { ...grid[0], protocol: 'pbft', n: 4, rateTxS: 10, adversary: 'none' }
    const rows = simulateRows(c, 1, FIXTURE_PINGS_CSV)
    assert.ok(rows.length >= 2, `${rows.length} rows`)
    for (const r of rows) {
      assert.equal(r.source, 'sim')
      assert.ok(r.nextP99Ms >= r.nextP50Ms && r.nextP50Ms > 0)
      assert.ok(r.rttP90Ms >= r.rttP50Ms && r.rttP50Ms > 0)
      assert.equal(encodeLatency(r).length, LATENCY_FEATURES.length)
    }
  })

  it('intervalRows: features from the interval before, EWMA over the ones before that, sparse intervals skipped', () => {
    const base = { source: 'sim', config: 'c', protocol: 'pbft', n: 4, batchSize: 1, txBytes: 1, rateTxS: 1, latencyScale: 1, spikeChance: 0, spikeMeanMs: 0, loss: 0, adversary: 'none', seed: 1, rttP50Ms: 1, rttP90Ms: 1 }
    const rows = intervalRows(base, [[100, 100, 100], [200, 200, 200], [1], [400, 400, 400], [800, 800, 800]])
    assert.deepEqual(rows.map(r => [r.interval, r.lastP99Ms, r.ewmaP99Ms, r.nextP99Ms]), [[1, 100, 100, 200], [4, 400, 275, 800]])
  })

  it('trains on the fixture; the ONNX file reproduces the TypeScript trees; eval has the card\'s shape', async () => {
    const out = join(tmp, 'models')
    const { entry } = await consensusLatencyTask.train({ dataDir: fixture, outDir: out, seed: 1 })
    assert.equal(entry.features.length, LATENCY_FEATURES.length)
    const registry = new ModelRegistry(out)
    try {
      const ref = entry.reference!
      const got = await registry.run('consensus-latency', { features: { data: Float32Array.from(ref.feeds.features.data), dims: ref.feeds.features.dims } })
      ref.outputs.ratio.data.forEach((v, i) => assert.ok(Math.abs(got.ratio.data[i] - v) <= 1e-5 * Math.max(1, v), `row ${i}`))
      const ev = await consensusLatencyTask.evaluate(registry, fixture)
      assert.equal(ev.model, 'consensus-latency')
      assert.deepEqual(Object.keys(ev.metrics.baselines).sort(), ['ewma', 'lastValue', 'linearRtt'])
      for (const m of [ev.metrics.model, ...Object.values(ev.metrics.baselines)]) assert.deepEqual(Object.keys(m).sort(), ['maeMs', 'mape', 'within20'])
      const p = await consensusLatencyTask.predict(registry, { protocol: 'pbft', n: 4, batchSize: 16, txBytes: 1024, rateTxS: 30, rttP50Ms: 200, rttP90Ms: 300, loss: 0, lastP50Ms: 900, lastP99Ms: 1500, ewmaP99Ms: 1400 }) as { p99Ms: number }
      assert.ok(p.p99Ms > 0 && Number.isFinite(p.p99Ms))
    } finally {
      await registry.close()
    }
    assert.ok(entry.bySource != null && entry.bySource.folds.length === latencyGroups(readLatencyRows(fixture)).length)
  })

  it('models eval consensus-latency --by-source --json: one fold per protocol and cluster size, with the verdict', () => {
    const r = cli('models', 'eval', 'consensus-latency', '--by-source', '--data', fixture, '--json')
    assert.equal(r.code, 0, r.stderr)
    assert.deepEqual(Object.keys(r.out).sort(), ['data', 'folds', 'lowerIsBetter', 'metric', 'model', 'seed', 'sourceKind'])
    assert.equal(r.out.metric, 'mape')
    const sources = r.out.folds.map((f: any) => f.source)
    // A newly registered protocol needs its slice: `npx node scripts/consensus-latency-data.ts --protocol P --per-protocol 5 --seeds 1 --out test/fixtures/consensus-latency`.
    for (const p of availableProtocols()) assert.ok(sources.includes(`protocol=${p}`), `${p}: no fold, so no rows for it in test/fixtures/consensus-latency`)
    assert.ok(sources.some((s: string) => s.startsWith('n=')))
    for (const f of r.out.folds) {
      assert.deepEqual(Object.keys(f).sort(), ['baselines', 'bestBaseline', 'groups', 'model', 'modelWins', 'samples', 'source'])
      assert.equal(typeof f.model.mape, 'number')
      assert.deepEqual(Object.keys(f.baselines).sort(), ['ewma', 'lastValue', 'linearRtt'])
      assert.equal(typeof f.modelWins, 'boolean')
    }
  })

  it('refuses malformed rows, rows out of range and bad prediction inputs', () => {
    const bad = join(tmp, 'bad')
    rmSync(bad, { recursive: true, force: true })
    spawnSync('mkdir', ['-p', bad])
    writeFileSync(join(bad, 'x.jsonl'), '{"not json\n')
    assert.throws(() => readLatencyRows(bad), /not JSON/)
    writeFileSync(join(bad, 'x.jsonl'), JSON.stringify({ source: 'sim', config: 'c', protocol: 'pbft', n: 4, batchSize: 1, txBytes: 1, rateTxS: 1, rttP50Ms: -1, rttP90Ms: 1, lastP50Ms: 1, lastP99Ms: 1, ewmaP99Ms: 1, nextP99Ms: 1 }) + '\n')
    assert.throws(() => readLatencyRows(bad), /rttP50Ms/)
    assert.throws(() => readLatencyRows(join(tmp, 'nope')), /not a readable directory/)
    const ok = { protocol: 'pbft', n: 4, batchSize: 16, txBytes: 1024, rateTxS: 30, rttP50Ms: 200, rttP90Ms: 300, loss: 0, lastP50Ms: 900, lastP99Ms: 1500, ewmaP99Ms: 1400 }
    assert.doesNotThrow(() => parseLatencyObservation(ok))
    assert.throws(() => parseLatencyObservation({ ...ok, protocol: 'raft' }), /protocol must be one of/)
    assert.throws(() => parseLatencyObservation({ ...ok, extra: 1 }), /unknown field/)
    assert.throws(() => parseLatencyObservation({ ...ok, n: 1e9 }), /n must be/)
    assert.throws(() => parseLatencyObservation({ ...ok, ewmaP99Ms: 0 }), /ewmaP99Ms/)
    assert.throws(() => parseLatencyObservation({ ...ok, loss: Infinity }), /loss/)
    assert.throws(() => parseLatencyObservation([]), /must be an object/)
  })
})
