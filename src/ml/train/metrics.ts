// Held-out metrics shared by the pipelines, `models eval` and the model cards.

export function rocAuc (p: ArrayLike<number>, y: ArrayLike<number>): number {
  const idx = Array.from({ length: p.length }, (_, i) => i).sort((a, b) => p[a] - p[b])
  // Average ranks for ties, then the Mann-Whitney U statistic.
  let rankSumPos = 0
  let pos = 0
  let i = 0
  while (i < idx.length) {
    let j = i
    while (j + 1 < idx.length && p[idx[j + 1]] === p[idx[i]]) j++
    const rank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) if (y[idx[k]] === 1) { rankSumPos += rank; pos++ }
    i = j + 1
  }
  const neg = p.length - pos
  if (pos === 0 || neg === 0) return NaN
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg)
}

export function brier (p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < p.length; i++) s += (p[i] - y[i]) ** 2
  return s / p.length
}

export function logLoss (p: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < p.length; i++) {
    const q = Math.min(Math.max(p[i], 1e-12), 1 - 1e-12)
    s -= y[i] * Math.log(q) + (1 - y[i]) * Math.log(1 - q)
  }
  return s / p.length
}

export interface CalibrationBin { predicted: number, observed: number, count: number }

/** Ten equal-width bins of predicted probability: mean prediction against observed frequency. */
export function calibration (p: ArrayLike<number>, y: ArrayLike<number>, bins = 10): CalibrationBin[] {
  const sp = new Float64Array(bins)
  const sy = new Float64Array(bins)
  const n = new Float64Array(bins)
  for (let i = 0; i < p.length; i++) {
    const b = Math.min(bins - 1, Math.floor(p[i] * bins))
    sp[b] += p[i]
    sy[b] += y[i]
    n[b]++
  }
  const out: CalibrationBin[] = []
  for (let b = 0; b < bins; b++) if (n[b] > 0) out.push({ predicted: sp[b] / n[b], observed: sy[b] / n[b], count: n[b] })
  return out
}

export function mae (pred: ArrayLike<number>, actual: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < pred.length; i++) s += Math.abs(pred[i] - actual[i])
  return s / pred.length
}

/** Mean absolute percentage error over samples whose actual value is at least `floor`. */
export function mape (pred: ArrayLike<number>, actual: ArrayLike<number>, floor = 0): number {
  let s = 0
  let n = 0
  for (let i = 0; i < pred.length; i++) {
    if (actual[i] < floor || actual[i] === 0) continue
    s += Math.abs(pred[i] - actual[i]) / Math.abs(actual[i])
    n++
  }
  return n === 0 ? NaN : s / n
}

/** Share of samples (actual >= floor) predicted within ±tol of the actual value. */
export function withinShare (pred: ArrayLike<number>, actual: ArrayLike<number>, tol = 0.2, floor = 0): number {
  let ok = 0
  let n = 0
  for (let i = 0; i < pred.length; i++) {
    if (actual[i] < floor || actual[i] === 0) continue
    if (Math.abs(pred[i] - actual[i]) <= tol * Math.abs(actual[i])) ok++
    n++
  }
  return n === 0 ? NaN : ok / n
}

export function percentile (values: number[], q: number): number {
  const s = values.slice().sort((a, b) => a - b)
  if (s.length === 0) return NaN
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]
}

export function round (x: number, digits = 4): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}
