// The reliability task: instants once a day per node while it is up; label = an outage starts within 24 h.
import { DAY, HistoryIndex, encodeReliability, type NodeTrace } from '../features/reliability.ts'
import { brier, calibration, logLoss, rocAuc, round, type CalibrationBin } from '../train/metrics.ts'
import { linearPredict, type LinearModel } from '../train/linear.ts'
import { hashString } from '../train/random.ts'
import { partOf, type Part } from './split.ts'

export interface ReliabilityRows {
  x: Float32Array[]
  y: Float64Array
  part: Part[]
  node: string[]
  /** The node's failure rate so far (per hour), for the failure-rate rule. */
  ratePerHour: Float64Array
}

export function reliabilityRows (traces: NodeTrace[], opts: { stepS?: number, maxNodes?: number } = {}): ReliabilityRows {
  const step = opts.stepS ?? DAY
  const x: Float32Array[] = []
  const y: number[] = []
  const part: Part[] = []
  const node: string[] = []
  const rate: number[] = []
  for (const trace of traces.slice(0, opts.maxNodes ?? traces.length)) {
    const idx = new HistoryIndex(trace)
    const p = partOf(trace.node, 'reliability')
    // A per-node phase, so that instants do not all fall at the same time of day.
    const phase = hashString(trace.node) % step
    for (let t = trace.observedFrom + DAY + phase; t + DAY <= trace.observedTo; t += step) {
      if (!idx.upAt(t)) continue
      const f = idx.features(t)
      x.push(encodeReliability(f))
      y.push(idx.failsWithin(t))
      part.push(p)
      node.push(trace.node)
      rate.push(f.failures30d / Math.min(30 * 24, f.historyDays * 24))
    }
  }
  return { x, y: Float64Array.from(y), part, node, ratePerHour: Float64Array.from(rate) }
}

export function select (rows: ReliabilityRows, which: Part): { x: Float32Array[], y: Float64Array, rate: Float64Array } {
  const keep = rows.part.map((p, i) => p === which ? i : -1).filter(i => i >= 0)
  return { x: keep.map(i => rows.x[i]), y: Float64Array.from(keep, i => rows.y[i]), rate: Float64Array.from(keep, i => rows.ratePerHour[i]) }
}

/** Baseline 1: a Poisson rule from the node's failure rate over the last 30 days. */
export function failureRateRule (ratePerHour: number): number {
  return 1 - Math.exp(-ratePerHour * 24)
}

export function logisticBaseline (m: LinearModel, x: ArrayLike<number>): number {
  return 1 / (1 + Math.exp(-linearPredict(m, x)))
}

export interface BinaryMetrics { rocAuc: number, brier: number, logLoss: number, positiveRate: number, meanPredicted: number }

export function binaryMetrics (p: ArrayLike<number>, y: ArrayLike<number>): BinaryMetrics {
  let pos = 0
  let mp = 0
  for (let i = 0; i < y.length; i++) { pos += y[i]; mp += p[i] }
  return { rocAuc: round(rocAuc(p, y)), brier: round(brier(p, y)), logLoss: round(logLoss(p, y)), positiveRate: round(pos / y.length), meanPredicted: round(mp / y.length) }
}

export interface ReliabilityEval {
  samples: number
  metrics: { model: BinaryMetrics, baselines: Record<string, BinaryMetrics> }
  calibration: Record<string, CalibrationBin[]>
}

export function evaluateReliability (test: { x: Float32Array[], y: Float64Array, rate: Float64Array }, modelP: ArrayLike<number>, lr: LinearModel): ReliabilityEval {
  const rule = Array.from(test.rate, failureRateRule)
  const lrP = test.x.map(r => logisticBaseline(lr, r))
  return {
    samples: test.y.length,
    metrics: {
      model: binaryMetrics(modelP, test.y),
      baselines: { failureRateRule: binaryMetrics(rule, test.y), logisticRegression: binaryMetrics(lrP, test.y) }
    },
    calibration: { model: calibration(modelP, test.y), failureRateRule: calibration(rule, test.y), logisticRegression: calibration(lrP, test.y) }
  }
}

export type PredictRows = (rows: Float32Array[]) => Promise<ArrayLike<number>>

/**
 * The held-out evaluation used by both the training pipeline (TypeScript forward pass) and `models eval`
 * (the ONNX file): on the training data only the test nodes count; on other data every node does.
 */
export async function evaluateReliabilityDir (traces: NodeTrace[], heldOutOnly: boolean, lr: LinearModel, predictRows: PredictRows): Promise<ReliabilityEval> {
  const rows = reliabilityRows(traces)
  const test = heldOutOnly ? select(rows, 'test') : { x: rows.x, y: rows.y, rate: rows.ratePerHour }
  const p = await predictRows(test.x)
  return evaluateReliability(test, p, lr)
}
