// The consensus-latency task: one row per benchmark run, split by configuration (file), MAPE on held-out ones.
import type { BenchRun } from '../data/hotstuff.ts'
import { encodeConsensus } from '../features/consensus.ts'
import { linearPredict, type LinearModel } from '../train/linear.ts'
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
