// Linear baselines: ridge least squares and L2 logistic regression (Newton/IRLS). Features are
// standardised inside, and the returned weights apply to raw inputs, so a baseline is a dot product.

export interface LinearModel { weights: number[], bias: number }

function standardise (x: ArrayLike<number>[]): { mean: number[], sd: number[] } {
  const d = x[0].length
  const mean = new Array<number>(d).fill(0)
  const sd = new Array<number>(d).fill(0)
  for (const r of x) for (let j = 0; j < d; j++) mean[j] += r[j] / x.length
  for (const r of x) for (let j = 0; j < d; j++) sd[j] += (r[j] - mean[j]) ** 2 / x.length
  return { mean, sd: sd.map(v => Math.sqrt(v) || 1) }
}

/** Solves A z = b for a small symmetric positive-definite A (Gaussian elimination with pivoting). */
export function solve (A: number[][], b: number[]): number[] {
  const n = b.length
  const M = A.map((row, i) => [...row, b[i]])
  for (let c = 0; c < n; c++) {
    let p = c
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r][c]) > Math.abs(M[p][c])) p = r
    ;[M[c], M[p]] = [M[p], M[c]]
    const piv = M[c][c] || 1e-12
    for (let r = 0; r < n; r++) {
      if (r === c) continue
      const f = M[r][c] / piv
      for (let k = c; k <= n; k++) M[r][k] -= f * M[c][k]
    }
  }
  return M.map((row, i) => row[n] / (row[i] || 1e-12))
}

function unscale (beta: number[], mean: number[], sd: number[]): LinearModel {
  const d = mean.length
  const weights = mean.map((_, j) => beta[j + 1] / sd[j])
  let bias = beta[0]
  for (let j = 0; j < d; j++) bias -= weights[j] * mean[j]
  return { weights, bias }
}

export function fitLinear (x: ArrayLike<number>[], y: ArrayLike<number>, l2 = 1e-3): LinearModel {
  const { mean, sd } = standardise(x)
  const d = mean.length + 1
  const A = Array.from({ length: d }, () => new Array<number>(d).fill(0))
  const b = new Array<number>(d).fill(0)
  const z = new Array<number>(d)
  x.forEach((r, i) => {
    z[0] = 1
    for (let j = 1; j < d; j++) z[j] = (r[j - 1] - mean[j - 1]) / sd[j - 1]
    for (let a = 0; a < d; a++) {
      b[a] += z[a] * y[i]
      for (let c = 0; c < d; c++) A[a][c] += z[a] * z[c]
    }
  })
  for (let a = 1; a < d; a++) A[a][a] += l2 * x.length
  return unscale(solve(A, b), mean, sd)
}

export function fitLogistic (x: ArrayLike<number>[], y: ArrayLike<number>, l2 = 1e-4, iterations = 25): LinearModel {
  const { mean, sd } = standardise(x)
  const d = mean.length + 1
  let beta = new Array<number>(d).fill(0)
  const z = new Array<number>(d)
  for (let it = 0; it < iterations; it++) {
    const H = Array.from({ length: d }, () => new Array<number>(d).fill(0))
    const g = new Array<number>(d).fill(0)
    x.forEach((r, i) => {
      z[0] = 1
      for (let j = 1; j < d; j++) z[j] = (r[j - 1] - mean[j - 1]) / sd[j - 1]
      let s = 0
      for (let a = 0; a < d; a++) s += beta[a] * z[a]
      const p = 1 / (1 + Math.exp(-s))
      const w = Math.max(p * (1 - p), 1e-9)
      for (let a = 0; a < d; a++) {
        g[a] += (p - y[i]) * z[a]
        for (let c = 0; c < d; c++) H[a][c] += w * z[a] * z[c]
      }
    })
    for (let a = 1; a < d; a++) {
      H[a][a] += l2 * x.length
      g[a] += l2 * x.length * beta[a]
    }
    const step = solve(H, g)
    beta = beta.map((v, a) => v - step[a])
    if (Math.max(...step.map(Math.abs)) < 1e-8) break
  }
  return unscale(beta, mean, sd)
}

export function linearPredict (m: LinearModel, x: ArrayLike<number>): number {
  let s = m.bias
  for (let j = 0; j < m.weights.length; j++) s += m.weights[j] * x[j]
  return s
}
