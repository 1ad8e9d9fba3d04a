// The bandwidth task: windows of HISTORY samples and the next one, split by trace; baselines and metrics.
import { HISTORY, encodeHistory } from '../features/bandwidth.ts'
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
