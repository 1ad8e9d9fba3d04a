// `models predict|eval|train consensus-latency`: next-interval p99 commit latency of NovaCron's own protocols.
import { NovacronError } from '../../config/errors.ts'
import type { ModelTask } from '../catalog.ts'
import { readLatencyRows } from '../data/consensus-sim.ts'
import { decodeLatency, encodeLatency, parseLatencyObservation } from '../features/consensus-latency.ts'
import { evaluateLatency, latencyBySource, partOfRow, type LatencyBaselines } from './consensus-latency.ts'

export const consensusLatencyTask: ModelTask = {
  name: 'consensus-latency',
  dataSet: 'consensus-latency',
  describe: 'next-interval p99 commit latency (ms) of PBFT / Bullshark from what a node observes',
  async predict (registry, input) {
    const many = Array.isArray(input)
    const items = (many ? input : [input]).map(parseLatencyObservation)
    if (items.length === 0) throw new NovacronError('usage', 'consensus-latency input: empty batch')
    if (items.length > 10_000) throw new NovacronError('usage', 'consensus-latency input: at most 10000 rows per batch')
    const out = await registry.runRows('consensus-latency', items.map(encodeLatency))
    const results = out.map((o, i) => ({ p99Ms: Math.round(decodeLatency(o[0], items[i]) * 10) / 10 }))
    return many ? results : results[0]
  },
  async evaluate (registry, dataDir) {
    const b = registry.entry('consensus-latency').baselineParams as LatencyBaselines | undefined
    if (b?.linearRtt == null) throw new NovacronError('failure', 'consensus-latency: the manifest lacks the linear-RTT baseline')
    const rows = readLatencyRows(dataDir)
    // Configurations the model trained on are left out; devnet rows and other data count whole.
    const held = rows.filter(r => partOfRow(r) === 'test')
    const test = held.length > 0 ? held : rows
    const pred = (await registry.runRows('consensus-latency', test.map(encodeLatency))).map((o, i) => decodeLatency(o[0], test[i]))
    const ev = evaluateLatency(test, pred, b)
    return {
      model: 'consensus-latency',
      data: dataDir,
      samples: ev.samples,
      scope: `held-out configurations (split by configuration): ${ev.configurations}`,
      metrics: { model: { ...ev.metrics.model }, baselines: Object.fromEntries(Object.entries(ev.metrics.baselines).map(([k, v]) => [k, { ...v }])) }
    }
  },
  async evaluateBySource (dataDir, opts) {
    return latencyBySource(readLatencyRows(dataDir), dataDir, opts.seed)
  },
  async train (req) {
    const { trainConsensusLatency } = await import('../train/consensus-latency.ts')
    return await trainConsensusLatency(req)
  }
}
