// `models predict|eval|train reliability`.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { NovacronError } from '../../config/errors.ts'
import type { ModelTask } from '../catalog.ts'
import { readFtaSources } from '../data/fta.ts'
import { encodeReliability, parseReliabilityInput } from '../features/reliability.ts'
import type { LinearModel } from '../train/linear.ts'
import { evaluateReliabilityDir, reliabilityBySource } from './reliability.ts'

export const reliabilityTask: ModelTask = {
  name: 'reliability',
  dataSet: 'reliability/grid5000-fta',
  describe: 'P(node becomes unavailable within 24 h) from its availability history',
  async predict (registry, input) {
    const many = Array.isArray(input)
    const items = (many ? input : [input]).map(parseReliabilityInput)
    if (items.length === 0) throw new NovacronError('usage', 'reliability input: empty batch')
    const out = await registry.runRows('reliability', items.map(encodeReliability))
    const results = out.map(o => ({ pFail: o[0] }))
    return many ? results : results[0]
  },
  async evaluate (registry, dataDir) {
    const entry = registry.entry('reliability')
    const lr = entry.baselineParams?.logisticRegression as LinearModel | undefined
    if (lr == null) throw new NovacronError('failure', 'reliability: the manifest lacks the logistic-regression baseline')
    const traces = readFtaSources(dataDir)
    const file = join(dataDir, 'event_trace.tab.gz')
    const heldOut = existsSync(file) && createHash('sha256').update(readFileSync(file)).digest('hex') === entry.dataSha256
    const ev = await evaluateReliabilityDir(traces, heldOut, lr, async (x) => (await registry.runRows('reliability', x)).map(r => r[0]))
    return {
      model: 'reliability',
      data: dataDir,
      samples: ev.samples,
      scope: heldOut ? 'training data: held-out test nodes only' : 'new data: every node',
      metrics: { model: { ...ev.metrics.model }, baselines: Object.fromEntries(Object.entries(ev.metrics.baselines).map(([k, v]) => [k, { ...v }])) }
    }
  },
  async evaluateBySource (dataDir, opts) {
    return reliabilityBySource(readFtaSources(dataDir), dataDir, opts)
  },
  async train (req) {
    const { trainReliability } = await import('../train/reliability.ts')
    return await trainReliability(req)
  }
}
