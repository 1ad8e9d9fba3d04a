// `models predict|eval|train consensus`.
import { NovacronError } from '../../config/errors.ts'
import type { ModelTask } from '../catalog.ts'
import { readHotstuffRuns } from '../data/hotstuff.ts'
import { encodeConsensus, parseConsensusInput } from '../features/consensus.ts'
import type { LinearModel } from '../train/linear.ts'
import { consensusBySource, consensusRows, evaluateConsensus, pick } from './consensus.ts'

export const consensusTask: ModelTask = {
  name: 'consensus',
  dataSet: 'consensus-bench/hotstuff-aws',
  describe: 'consensus commit latency (ms) from protocol, committee size, faults and input rate',
  async predict (registry, input) {
    const many = Array.isArray(input)
    const items = (many ? input : [input]).map(parseConsensusInput)
    if (items.length === 0) throw new NovacronError('usage', 'consensus input: empty batch')
    const out = await registry.runRows('consensus', items.map(encodeConsensus))
    const results = out.map(o => ({ latencyMs: o[0] }))
    return many ? results : results[0]
  },
  async evaluate (registry, dataDir) {
    const entry = registry.entry('consensus')
    const b = entry.baselineParams as { linear: LinearModel, logLinear: LinearModel } | undefined
    if (b?.linear == null) throw new NovacronError('failure', 'consensus: the manifest lacks the linear-regression baseline')
    const runs = readHotstuffRuns(dataDir)
    const rows = consensusRows(runs)
    // Configurations the model trained on are left out; on other data every configuration counts.
    const test = rows.part.some(p => p === 'test') ? pick(rows, 'test') : { x: rows.x, y: rows.y }
    const configs = new Set(runs.filter((_, i) => rows.part[i] === 'test').map(r => r.file)).size
    const pred = (await registry.runRows('consensus', test.x)).map(r => r[0])
    const ev = evaluateConsensus(test, configs, pred, b)
    return {
      model: 'consensus',
      data: dataDir,
      samples: ev.samples,
      scope: `held-out configurations (split by benchmark file): ${configs}`,
      metrics: { model: { ...ev.metrics.model }, baselines: Object.fromEntries(Object.entries(ev.metrics.baselines).map(([k, v]) => [k, { ...v }])) }
    }
  },
  async evaluateBySource (dataDir, opts) {
    return await consensusBySource(readHotstuffRuns(dataDir), dataDir, opts.seed)
  },
  async train (req) {
    const { trainConsensus } = await import('../train/consensus.ts')
    return await trainConsensus(req)
  }
}
