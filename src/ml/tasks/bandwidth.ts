// The bandwidth task: windows of HISTORY samples and the next one, split by trace; baselines and metrics.
import { NovacronError } from '../../config/errors.ts'
import { HISTORY, decodeForecast, decodeMbps, encodeHistory, encodeTarget } from '../features/bandwidth.ts'
import { groupBy, judgeFold, type BySourceResult, type SourceFold } from './by-source.ts'
import type { Trace } from '../data/bandwidth.ts'
import { mae, mape, round, withinShare } from '../train/metrics.ts'
import { partOf, type Part } from './split.ts'

export const MIN_MBPS = 0.1

export interface Windows { x: Float32Array[], history: number[][], y: number[] }

export function windows (traces: Trace[]): Windows {
  const w: Windows = { x: [], history: [], y: [] }
  for (const t of traces) {
    for (let i = HISTORY; i < t.mbps.length; i++) {
      const h = t.mbps.slice(i - HISTORY, i)
      w.history.push(h)
      w.x.push(encodeHistory(h))
      w.y.push(t.mbps[i])
    }
  }
  return w
}

/** Encoded training targets of windows (relative to each window's last sample). */
export const targets = (w: Windows): number[] => w.y.map((y, i) => encodeTarget(y, w.history[i]))
/** Windows whose target counts in the relative-error loss: those MAPE scores. */
export const relativeMask = (w: Windows): number[] => w.y.map(y => y >= MIN_MBPS ? 1 : 0)

export const tracePart = (t: Trace): Part => partOf(t.id, 'bandwidth')

export function lastValue (h: number[]): number { return h[h.length - 1] }
export function ewma (h: number[], alpha: number): number {
  let s = h[0]
  for (let i = 1; i < h.length; i++) s = alpha * h[i] + (1 - alpha) * s
  return s
}
export function harmonicMean5 (h: number[]): number {
  const last = h.slice(-5)
  // A zero sample makes the harmonic mean zero, which is what it says: the link just stalled.
  if (last.some(v => v <= 0)) return 0
  return last.length / last.reduce((a, v) => a + 1 / v, 0)
}

export interface BandwidthMetrics { maeMbps: number, mape: number, within20: number }

export function bandwidthMetrics (pred: number[], actual: number[]): BandwidthMetrics {
  return { maeMbps: round(mae(pred, actual)), mape: round(mape(pred, actual, MIN_MBPS)), within20: round(withinShare(pred, actual, 0.2, MIN_MBPS)) }
}

export interface BandwidthEval { samples: number, traces: number, metrics: { model: BandwidthMetrics, baselines: Record<string, BandwidthMetrics> } }

export function evaluateBandwidth (w: Windows, traces: number, modelPred: number[], alpha: number): BandwidthEval {
  return {
    samples: w.y.length,
    traces,
    metrics: {
      model: bandwidthMetrics(modelPred, w.y),
      baselines: {
        lastValue: bandwidthMetrics(w.history.map(lastValue), w.y),
        ewma: bandwidthMetrics(w.history.map(h => ewma(h, alpha)), w.y),
        harmonicMean5: bandwidthMetrics(w.history.map(harmonicMean5), w.y)
      }
    }
  }
}

export interface BandwidthFoldOptions { seed?: number, steps?: number, maxTrainWindows?: number, maxTestWindows?: number, log?: (m: string) => void }

/** Every `step`-th window, so that one long source (Puffer) does not swamp the others. */
export function thin (w: Windows, cap: number): Windows {
  const step = Math.max(1, Math.ceil(w.y.length / cap))
  const keep = (_: unknown, i: number): boolean => i % step === 0
  return { x: w.x.filter(keep), history: w.history.filter(keep), y: w.y.filter(keep) }
}

export function concatWindows (parts: Windows[]): Windows {
  return { x: parts.flatMap(p => p.x), history: parts.flatMap(p => p.history), y: parts.flatMap(p => p.y) }
}

/**
 * Leave-one-source-out: per data set, the LSTM (relative-error head, the one `eval` scores) is trained on
 * the others (at most maxTrainWindows per source, so each weighs alike) and EWMA's alpha fitted on them;
 * all three are scored on the source left out. The model wins a source only by beating the best baseline
 * on both MAE and MAPE.
 */
export async function bandwidthBySource (traces: Trace[], data: string, opts: BandwidthFoldOptions = {}): Promise<BySourceResult> {
  const { trainLstm, lstmForward } = await import('../train/lstm.ts')
  const { fitAlpha, HIDDEN } = await import('../train/bandwidth.ts')
  const seed = opts.seed ?? 1
  const bySource = groupBy(traces, t => t.source)
  if (bySource.size < 2) throw new NovacronError('usage', `leave-one-source-out needs at least two data sets; ${data} has ${bySource.size}`)
  const win = new Map([...bySource].map(([s, ts]) => [s, windows(ts)]))
  const folds: SourceFold[] = []
  for (const [left, ts] of bySource) {
    opts.log?.(`bandwidth: leaving out ${left}`)
    const tr = concatWindows([...win].filter(([s]) => s !== left).map(([, w]) => thin(w, opts.maxTrainWindows ?? 20_000)))
    const te = thin(win.get(left)!, opts.maxTestWindows ?? 50_000)
    const alpha = fitAlpha(tr.history, tr.y, seed)
    const w = await trainLstm(tr.x, targets(tr), 1, { hidden: HIDDEN, steps: opts.steps ?? 400, batch: 256, learningRate: 0.01, seed, loss: 'relative', mask: relativeMask(tr) })
    const ev = evaluateBandwidth(te, ts.length, te.x.map((r, i) => decodeForecast(decodeMbps(lstmForward(w, r)), te.history[i])), alpha)
    const m = ev.metrics
    const base = Object.values(m.baselines)
    const fold = judgeFold({ source: left, groups: ts.length, samples: te.y.length, model: { ...m.model }, baselines: Object.fromEntries(Object.entries(m.baselines).map(([k, v]) => [k, { ...v }])) }, x => x.mape as number, true)
    fold.modelWins = m.model.mape < Math.min(...base.map(b => b.mape)) && m.model.maeMbps < Math.min(...base.map(b => b.maeMbps))
    folds.push(fold)
  }
  return { model: 'bandwidth', data, sourceKind: 'data set = network type (3G HSDPA, broadband FCC, Oboe, Puffer, 5G 5Gophers)', metric: 'mape and maeMbps', lowerIsBetter: true, seed, folds }
}

export const BANDWIDTH_BY_SOURCE_COLUMNS: Array<[string, (m: Record<string, unknown>) => unknown]> = [['MAE', m => m.maeMbps], ['MAPE', m => m.mape]]
