// The consensus-latency task: one row per benchmark run, split by configuration (file), MAPE on held-out ones.
import type { BenchRun } from '../data/hotstuff.ts'
import { encodeConsensus } from '../features/consensus.ts'
import { fitLinear, linearPredict, type LinearModel } from '../train/linear.ts'
import { NovacronError } from '../../config/errors.ts'
import { predict as gbdtPredict, train } from '../train/gbdt.ts'
import { judgeFold, type BySourceResult } from './by-source.ts'
import { mae, mape, round, withinShare } from '../train/metrics.ts'
import { partOf, type Part } from './split.ts'

export interface ConsensusRows { x: Float32Array[], y: number[], part: Part[], runs: BenchRun[] }

export function consensusRows (runs: BenchRun[]): ConsensusRows {
  return {
    x: runs.map(encodeConsensus),
    y: runs.map(r => r.consensusLatencyMs),
    part: runs.map(r => partOf(r.file, 'consensus')),
    runs
  }
}

export function pick (rows: ConsensusRows, part: Part): { x: Float32Array[], y: number[] } {
  const keep = rows.part.map((p, i) => p === part ? i : -1).filter(i => i >= 0)
  return { x: keep.map(i => rows.x[i]), y: keep.map(i => rows.y[i]) }
}

export interface RegressionMetrics { mape: number, maeMs: number, within20: number }

export function regressionMetrics (pred: number[], actual: number[]): RegressionMetrics {
  return { mape: round(mape(pred, actual)), maeMs: round(mae(pred, actual), 1), within20: round(withinShare(pred, actual, 0.2)) }
}

export interface ConsensusEval { samples: number, configurations: number, metrics: { model: RegressionMetrics, baselines: Record<string, RegressionMetrics> } }

export function evaluateConsensus (test: { x: Float32Array[], y: number[] }, configurations: number, modelPred: number[], baselines: { linear: LinearModel, logLinear: LinearModel }): ConsensusEval {
  const lin = test.x.map(r => Math.max(1, linearPredict(baselines.linear, r)))
  const logLin = test.x.map(r => Math.exp(linearPredict(baselines.logLinear, r)))
  return {
    samples: test.y.length,
    configurations,
    metrics: {
      model: regressionMetrics(modelPred, test.y),
      baselines: { linearRegression: regressionMetrics(lin, test.y), logLinearRegression: regressionMetrics(logLin, test.y) }
    }
  }
}

/**
 * Leave-one-protocol-out on the benchmark runs: the GBDT (no early stopping: the fold has no validation
 * configurations of the protocol) and both regressions are fitted on the other protocols. The protocol is a
 * one-hot input, so the left-out protocol's column is all zeros in training: this measures how far the
 * committee size, faults and rate carry to a protocol the model has not seen.
 */
export async function consensusBySource (runs: BenchRun[], data: string, seed = 1): Promise<BySourceResult> {
  const { CONSENSUS_GBDT } = await import('../train/consensus.ts')
  const rows = consensusRows(runs)
  const protocols = [...new Set(runs.map(r => r.protocol))]
  if (protocols.length < 2) throw new NovacronError('usage', `leave-one-source-out needs at least two protocols; ${data} has ${protocols.length}`)
  const folds = protocols.map(left => {
    const tr = rows.x.map((_, i) => i).filter(i => runs[i].protocol !== left)
    const te = rows.x.map((_, i) => i).filter(i => runs[i].protocol === left)
    const x = tr.map(i => rows.x[i])
    const y = tr.map(i => rows.y[i])
    const model = train(x, Float64Array.from(y, Math.log), { ...CONSENSUS_GBDT, rounds: 150, seed })
    const test = { x: te.map(i => rows.x[i]), y: te.map(i => rows.y[i]) }
    const ev = evaluateConsensus(test, new Set(te.map(i => runs[i].file)).size, test.x.map(r => Math.exp(gbdtPredict(model, r)[0])), { linear: fitLinear(x, y), logLinear: fitLinear(x, y.map(Math.log)) })
    return judgeFold({ source: left, groups: ev.configurations, samples: ev.samples, model: { ...ev.metrics.model }, baselines: Object.fromEntries(Object.entries(ev.metrics.baselines).map(([k, v]) => [k, { ...v }])) }, m => m.mape as number, true)
  })
  return { model: 'consensus', data, sourceKind: 'protocol (HotStuff family)', metric: 'mape', lowerIsBetter: true, seed, folds }
}

export const CONSENSUS_BY_SOURCE_COLUMNS: Array<[string, (m: Record<string, unknown>) => unknown]> = [['MAPE', m => m.mape], ['MAE ms', m => m.maeMs]]
