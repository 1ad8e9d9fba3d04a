// The reliability task: instants once a day per node while it is up; label = an outage starts within 24 h.
import { DAY, HistoryIndex, encodeReliability, type NodeTrace } from '../features/reliability.ts'
import { brier, calibration, logLoss, rocAuc, round, type CalibrationBin } from '../train/metrics.ts'
import { linearPredict, type LinearModel } from '../train/linear.ts'
import { hashString } from '../train/random.ts'
import { partOf, type Part } from './split.ts'
import { NovacronError } from '../../config/errors.ts'
import { DEFAULT_PARAMS, predict as gbdtPredict, train } from '../train/gbdt.ts'
import { fitLogistic } from '../train/linear.ts'
import { judgeFold, type BySourceResult } from './by-source.ts'

export interface ReliabilityRows {
  x: Float32Array[]
  y: Float64Array
  part: Part[]
  node: string[]
  source: string[]
  /** The node's failure rate so far (per hour), for the failure-rate rule. */
  ratePerHour: Float64Array
}

export function reliabilityRows (traces: NodeTrace[], opts: { stepS?: number, maxNodes?: number } = {}): ReliabilityRows {
  const step = opts.stepS ?? DAY
  const x: Float32Array[] = []
  const y: number[] = []
  const part: Part[] = []
  const node: string[] = []
  const source: string[] = []
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
      source.push(trace.source ?? 'all')
      rate.push(f.failures30d / Math.min(30 * 24, f.historyDays * 24))
    }
  }
  return { x, y: Float64Array.from(y), part, node, source, ratePerHour: Float64Array.from(rate) }
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

export interface BinaryMetrics { rocAuc: number, brier: number, logLoss: number, positiveRate: number, meanPredicted: number, ece: number }

export function binaryMetrics (p: ArrayLike<number>, y: ArrayLike<number>): BinaryMetrics {
  let pos = 0
  let mp = 0
  for (let i = 0; i < y.length; i++) { pos += y[i]; mp += p[i] }
  // Expected calibration error: the instants-weighted gap between predicted and observed rate per bin.
  const ece = calibration(p, y).reduce((a, b) => a + b.count * Math.abs(b.predicted - b.observed), 0) / y.length
  return { rocAuc: round(rocAuc(p, y)), brier: round(brier(p, y)), logLoss: round(logLoss(p, y)), positiveRate: round(pos / y.length), meanPredicted: round(mp / y.length), ece: round(ece) }
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

/**
 * Shallow, heavily regularised trees: across Grid'5000 sites deeper ones (depth 5) learnt site-specific
 * patterns and lost to logistic regression on every site left out; depth 2 with 200-instant leaves won 6 of 9.
 */
export const RELIABILITY_GBDT = { ...DEFAULT_PARAMS, loss: 'logistic' as const, rounds: 300, maxDepth: 2, minChildWeight: 200, patience: 20 }

export interface ReliabilityFoldOptions { seed?: number, rounds?: number, maxTrainRows?: number, maxTestRows?: number, log?: (m: string) => void }

/**
 * Leave-one-source-out: per source, the GBDT and the logistic baseline are fitted on every other source
 * (their validation nodes stop the trees early) and scored, with the failure-rate rule, on every instant of
 * the source left out. Calibration per source is the gap between mean predicted and observed rate (and ECE).
 */
export function reliabilityBySource (traces: NodeTrace[], data: string, opts: ReliabilityFoldOptions = {}): BySourceResult {
  const seed = opts.seed ?? 1
  const rows = reliabilityRows(traces)
  const sources = [...new Set(rows.source)]
  if (sources.length < 2) throw new NovacronError('usage', `leave-one-source-out needs at least two sources; ${data} has ${sources.length} (${sources.join(', ')})`)
  const folds = sources.map(left => {
    opts.log?.(`reliability: leaving out ${left}`)
    const pick = (keep: (i: number) => boolean, cap: number): number[] => {
      const all = rows.source.map((_, i) => i).filter(keep)
      const step = Math.max(1, Math.ceil(all.length / cap))
      return all.filter((_, k) => k % step === 0)
    }
    const tr = pick(i => rows.source[i] !== left && rows.part[i] !== 'valid', opts.maxTrainRows ?? 40_000)
    const va = pick(i => rows.source[i] !== left && rows.part[i] === 'valid', 20_000)
    const te = pick(i => rows.source[i] === left, opts.maxTestRows ?? Infinity)
    const x = tr.map(i => rows.x[i])
    const y = Float64Array.from(tr, i => rows.y[i])
    const lr = fitLogistic(x, y)
    const model = train(x, y, { ...RELIABILITY_GBDT, rounds: opts.rounds ?? RELIABILITY_GBDT.rounds, seed, valid: va.length > 0 ? { x: va.map(i => rows.x[i]), y: Float64Array.from(va, i => rows.y[i]) } : undefined, patience: 20 })
    const test = { x: te.map(i => rows.x[i]), y: Float64Array.from(te, i => rows.y[i]), rate: Float64Array.from(te, i => rows.ratePerHour[i]) }
    const ev = evaluateReliability(test, test.x.map(r => gbdtPredict(model, r)[0]), lr)
    return judgeFold({
      source: left,
      groups: new Set(te.map(i => rows.node[i])).size,
      samples: te.length,
      model: { ...ev.metrics.model },
      baselines: Object.fromEntries(Object.entries(ev.metrics.baselines).map(([k, v]) => [k, { ...v }]))
    }, m => m.rocAuc as number, false)
  })
  return { model: 'reliability', data, sourceKind: 'site or system (node name G1/siteN/..., or one folder per archive)', metric: 'rocAuc', lowerIsBetter: false, seed, folds }
}

export const RELIABILITY_BY_SOURCE_COLUMNS: Array<[string, (m: Record<string, unknown>) => unknown]> = [
  ['AUC', m => m.rocAuc], ['mean pred.', m => m.meanPredicted], ['observed', m => m.positiveRate], ['ECE', m => m.ece]
]
