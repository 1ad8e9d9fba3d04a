// The consensus-latency task on NovaCron's own protocols: one row per interval of a simulated (or devnet)
// run, the target the next interval's p99 commit latency, split by configuration (every seed and interval
// of one configuration in one part). Baselines a node could run without a model: the last interval's p99,
// the EWMA of past p99s, and least squares on RTT × message delays.
import { NovacronError } from '../../config/errors.ts'
import type { LatencyRow } from '../data/consensus-sim.ts'
import { decodeLatency, encodeLatency, messageDelays } from '../features/consensus-latency.ts'
import { predict as gbdtPredict, train, type GbdtModel, type GbdtParams, DEFAULT_PARAMS } from '../train/gbdt.ts'
import { fitLinear, linearPredict, type LinearModel } from '../train/linear.ts'
import { judgeFold, type BySourceResult } from './by-source.ts'
import { regressionMetrics, type RegressionMetrics } from './consensus.ts'
import { partOf, type Part } from './split.ts'

// Shallow trees with large leaves: the target is noisy and held-out groups are far from the training ones.
// In a sweep on the generated set (depth 2-4, 5-40 rows per leaf) depth 2 / 20 rows per leaf beat depth 4 / 5
// on every left-out group, at 0.005 MAPE worse on the random configuration split.
export const LATENCY_GBDT: GbdtParams = { ...DEFAULT_PARAMS, loss: 'squared', rounds: 300, learningRate: 0.05, maxDepth: 2, minChildWeight: 20, lambda: 1, subsample: 0.9, seed: 1 }
export const FOLD_ROUNDS = 100
export const SPLIT_SALT = 'consensus-latency'

export interface LatencyBaselines { linearRtt: LinearModel }

/** The row's RTT-times-delays inputs for the linear baseline. */
export const rttInputs = (r: Pick<LatencyRow, 'protocol' | 'rttP50Ms' | 'rttP90Ms'>): number[] => [r.rttP50Ms * messageDelays(r.protocol), r.rttP90Ms * messageDelays(r.protocol)]

export function fitBaselines (rows: LatencyRow[]): LatencyBaselines {
  return { linearRtt: fitLinear(rows.map(rttInputs), rows.map(r => r.nextP99Ms)) }
}

/** Every baseline's prediction of the next p99 (ms). */
export function baselinePredictions (b: LatencyBaselines, r: LatencyRow): Record<string, number> {
  return { lastValue: r.lastP99Ms, ewma: r.ewmaP99Ms, linearRtt: Math.max(1, linearPredict(b.linearRtt, rttInputs(r))) }
}

export const partOfRow = (r: LatencyRow): Part => r.source === 'sim' ? partOf(r.config, SPLIT_SALT) : 'test'

export function trainLatencyModel (rows: LatencyRow[], params: GbdtParams, valid?: LatencyRow[]): GbdtModel {
  const target = (r: LatencyRow): number => Math.log(r.nextP99Ms / r.ewmaP99Ms)
  return train(rows.map(encodeLatency), Float64Array.from(rows, target), {
    ...params,
    ...(valid != null && valid.length > 0 ? { valid: { x: valid.map(encodeLatency), y: Float64Array.from(valid, target) }, patience: 40 } : {})
  })
}

export const modelPredictMs = (model: GbdtModel, r: LatencyRow): number => decodeLatency(Math.exp(gbdtPredict(model, encodeLatency(r))[0]), r)

export interface LatencyEval { samples: number, configurations: number, metrics: { model: RegressionMetrics, baselines: Record<string, RegressionMetrics> } }

export function evaluateLatency (test: LatencyRow[], modelPred: number[], b: LatencyBaselines): LatencyEval {
  const actual = test.map(r => r.nextP99Ms)
  const preds = test.map(r => baselinePredictions(b, r))
  const names = Object.keys(preds[0] ?? {})
  return {
    samples: test.length,
    configurations: new Set(test.map(r => r.config)).size,
    metrics: {
      model: regressionMetrics(modelPred, actual),
      baselines: Object.fromEntries(names.map(n => [n, regressionMetrics(preds.map(p => p[n]), actual)]))
    }
  }
}

/** The held-out groups: each protocol, each cluster size, and (when present) every devnet row. */
export function latencyGroups (rows: LatencyRow[]): Array<{ name: string, test: (r: LatencyRow) => boolean }> {
  const sim = rows.filter(r => r.source === 'sim')
  const groups: Array<{ name: string, test: (r: LatencyRow) => boolean }> = []
  for (const p of [...new Set(sim.map(r => r.protocol))].sort()) groups.push({ name: `protocol=${p}`, test: r => r.protocol === p })
  for (const n of [...new Set(sim.map(r => r.n))].sort((a, b) => a - b)) groups.push({ name: `n=${n}`, test: r => r.n === n })
  for (const s of [...new Set(rows.map(r => r.source))].filter(s => s !== 'sim').sort()) groups.push({ name: `source=${s}`, test: r => r.source === s })
  return groups
}

/**
 * Leave-one-configuration-group-out: for each group (a protocol, a cluster size, the devnet runs) the GBDT
 * and the fitted baselines are trained on the simulator rows outside it and scored on every row in it.
 */
export function latencyBySource (rows: LatencyRow[], data: string, seed = 1): BySourceResult {
  const groups = latencyGroups(rows)
  if (groups.length < 2) throw new NovacronError('usage', `leave-one-group-out needs at least two configuration groups; ${data} has ${groups.length}`)
  const folds = groups.map(g => {
    const tr = rows.filter(r => r.source === 'sim' && !g.test(r))
    const te = rows.filter(g.test)
    const model = trainLatencyModel(tr, { ...LATENCY_GBDT, rounds: FOLD_ROUNDS, seed })
    const ev = evaluateLatency(te, te.map(r => modelPredictMs(model, r)), fitBaselines(tr))
    return judgeFold({ source: g.name, groups: ev.configurations, samples: ev.samples, model: { ...ev.metrics.model }, baselines: Object.fromEntries(Object.entries(ev.metrics.baselines).map(([k, v]) => [k, { ...v }])) }, m => m.mape as number, true)
  })
  return { model: 'consensus-latency', data, sourceKind: 'configuration group (protocol, cluster size, devnet)', metric: 'mape', lowerIsBetter: true, seed, folds }
}
