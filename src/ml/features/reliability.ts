// Node-reliability features, shared by training and inference so the two cannot drift. Everything here is
// computed from a node's own availability history (the Grid'5000 traces have nothing else: no network
// quality, no load), and counts become log1p so that the tree and the logistic baseline see similar scales.
import { NovacronError } from '../../config/errors.ts'

export const HOUR = 3600
export const DAY = 24 * HOUR
export const HORIZON_S = DAY

/** The model's input as a user gives it to `models predict reliability`. */
export interface ReliabilityInput {
  hoursSinceLastFailure: number
  uptimeHours: number
  failures1d: number
  failures7d: number
  failures30d: number
  mtbfHours: number
  downFraction7d: number
  lastOutageHours: number
  historyDays: number
}

/**
 * The model's columns. `historyDays` is accepted but not a column: how long a node has been observed
 * says which site and period it came from (a source's identity, not its health), and leaving it out
 * raised the AUC on Grid'5000 sites the model had not seen.
 */
export const RELIABILITY_FEATURES: Array<keyof ReliabilityInput> = [
  'hoursSinceLastFailure', 'uptimeHours', 'failures1d', 'failures7d', 'failures30d', 'mtbfHours', 'downFraction7d', 'lastOutageHours'
]

export function encodeReliability (h: ReliabilityInput): Float32Array {
  return Float32Array.from([
    Math.log1p(h.hoursSinceLastFailure),
    Math.log1p(h.uptimeHours),
    Math.log1p(h.failures1d),
    Math.log1p(h.failures7d),
    Math.log1p(h.failures30d),
    Math.log1p(h.mtbfHours),
    h.downFraction7d,
    Math.log1p(h.lastOutageHours)
  ])
}

/** Checks a user's JSON: an object with every feature, finite and not negative. */
export function parseReliabilityInput (value: unknown): ReliabilityInput {
  if (value == null || typeof value !== 'object' || Array.isArray(value)) {
    throw new NovacronError('usage', `reliability input must be an object with ${RELIABILITY_FEATURES.join(', ')}`)
  }
  const v = value as Record<string, unknown>
  const out: Partial<ReliabilityInput> = {}
  for (const k of RELIABILITY_FEATURES) {
    const x = v[k]
    if (typeof x !== 'number') throw new NovacronError('usage', `reliability input: ${k} must be a number, got ${x === undefined ? 'nothing' : typeof x}`)
    if (!Number.isFinite(x) || x < 0) throw new NovacronError('usage', `reliability input: ${k} must be a finite number >= 0, got ${x}`)
    out[k] = x
  }
  if (out.downFraction7d! > 1) throw new NovacronError('usage', 'reliability input: downFraction7d must be within [0, 1]')
  // historyDays is still accepted (older callers send it) but the model does not read it.
  out.historyDays = typeof v.historyDays === 'number' && Number.isFinite(v.historyDays) && v.historyDays >= 0 ? v.historyDays : 0
  if (v.historyDays !== undefined && typeof v.historyDays !== 'number') throw new NovacronError('usage', 'reliability input: historyDays must be a number')
  const extra = Object.keys(v).filter(k => k !== 'historyDays' && !(RELIABILITY_FEATURES as string[]).includes(k))
  if (extra.length > 0) throw new NovacronError('usage', `reliability input: unknown field(s) ${extra.join(', ')}`)
  return out as ReliabilityInput
}

/** A node's observed history: outages as [start, end) in seconds, sorted, and when observation began. */
export interface NodeTrace {
  node: string
  observedFrom: number
  observedTo: number
  outages: Array<[number, number]>
  /** Where the node comes from (a Grid'5000 site, a system): what leave-one-source-out leaves out. */
  source?: string
}

function countBetween (starts: Float64Array, lo: number, hi: number): number {
  return lowerBound(starts, hi) - lowerBound(starts, lo)
}

function lowerBound (a: Float64Array, x: number): number {
  let lo = 0
  let hi = a.length
  while (lo < hi) {
    const m = (lo + hi) >> 1
    if (a[m] < x) lo = m + 1
    else hi = m
  }
  return lo
}

/** Precomputed per node so that many instants are cheap. */
export class HistoryIndex {
  private readonly starts: Float64Array
  private readonly ends: Float64Array
  /** Downtime accumulated by the end of outage i. */
  private readonly cumDown: Float64Array
  readonly trace: NodeTrace

  constructor (trace: NodeTrace) {
    this.trace = trace
    this.starts = Float64Array.from(trace.outages.map(o => o[0]))
    this.ends = Float64Array.from(trace.outages.map(o => o[1]))
    this.cumDown = new Float64Array(trace.outages.length)
    let s = 0
    trace.outages.forEach((o, i) => { s += o[1] - o[0]; this.cumDown[i] = s })
  }

  /** True when the node is up at t. */
  upAt (t: number): boolean {
    const i = lowerBound(this.starts, t + 1e-9) - 1
    return i < 0 || this.ends[i] <= t
  }

  /** Downtime within [from, t] by outages that started before t. */
  private downtime (from: number, t: number): number {
    const hi = lowerBound(this.starts, t) // outages starting before t
    let total = 0
    for (let i = hi - 1; i >= 0; i--) {
      if (this.ends[i] <= from) break
      total += Math.min(this.ends[i], t) - Math.max(this.starts[i], from)
    }
    return total
  }

  features (t: number): ReliabilityInput {
    const from = this.trace.observedFrom
    const n = lowerBound(this.starts, t)
    const lastStart = n > 0 ? this.starts[n - 1] : from
    const lastEnd = n > 0 ? Math.min(this.ends[n - 1], t) : from
    const observed = Math.max(t - from, 1)
    const downTotal = n > 0 ? this.cumDown[n - 1] - Math.max(0, this.ends[n - 1] - t) : 0
    const upTotal = Math.max(observed - downTotal, 0)
    const w7 = Math.min(7 * DAY, observed)
    return {
      hoursSinceLastFailure: (t - lastStart) / HOUR,
      uptimeHours: (t - lastEnd) / HOUR,
      failures1d: countBetween(this.starts, t - DAY, t),
      failures7d: countBetween(this.starts, t - 7 * DAY, t),
      failures30d: countBetween(this.starts, t - 30 * DAY, t),
      mtbfHours: upTotal / HOUR / Math.max(n, 1),
      downFraction7d: Math.min(1, Math.max(0, this.downtime(t - w7, t) / w7)),
      lastOutageHours: n > 0 ? (Math.min(this.ends[n - 1], t) - this.starts[n - 1]) / HOUR : 0,
      historyDays: observed / DAY
    }
  }

  /** 1 when an outage starts within (t, t + horizon]. */
  failsWithin (t: number, horizon: number = HORIZON_S): number {
    return countBetween(this.starts, t + 1e-9, t + horizon + 1e-9) > 0 ? 1 : 0
  }
}
