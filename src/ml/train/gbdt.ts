// Histogram gradient-boosted trees. Features are bucketed once into at most 255 bins whose edges are
// float32 values, and every split is `x <= edge`: the same comparison ONNX's TreeEnsemble operators make on
// float32 inputs, so the exported model and the TypeScript forward pass agree exactly.
import { mulberry32 } from './random.ts'

export type Loss = 'logistic' | 'squared' | 'softmax'

export interface GbdtParams {
  loss: Loss
  /** Classes for softmax; 1 otherwise. */
  classes?: number
  rounds: number
  learningRate: number
  maxDepth: number
  minChildWeight: number
  lambda: number
  subsample: number
  maxBins: number
  seed: number
  /** Optional rows for early stopping: training stops when their loss has not improved for `patience` rounds. */
  valid?: { x: Float32Array[], y: Float64Array, w?: Float64Array }
  patience?: number
  sampleWeight?: Float64Array
}

/** One tree in flat arrays; a node with feature -1 is a leaf carrying `value`. */
export interface Tree {
  feature: number[]
  threshold: number[]
  left: number[]
  right: number[]
  value: number[]
  /** For softmax: which class this tree adds to. */
  target: number
}

export interface GbdtModel {
  loss: Loss
  classes: number
  base: number[]
  trees: Tree[]
  features: number
}

export const DEFAULT_PARAMS: Omit<GbdtParams, 'loss'> = {
  rounds: 200, learningRate: 0.08, maxDepth: 4, minChildWeight: 5, lambda: 1, subsample: 0.8, maxBins: 64, seed: 1
}

function binEdges (column: Float32Array, maxBins: number, rand: () => number): Float32Array {
  const n = column.length
  const take = Math.min(n, 50_000)
  const sample = new Float32Array(take)
  for (let i = 0; i < take; i++) sample[i] = column[take === n ? i : Math.floor(rand() * n)]
  sample.sort()
  const distinct: number[] = []
  for (let i = 0; i < take; i++) if (i === 0 || sample[i] !== sample[i - 1]) distinct.push(sample[i])
  const edges: number[] = []
  if (distinct.length <= maxBins) {
    for (let i = 0; i + 1 < distinct.length; i++) edges.push(Math.fround((distinct[i] + distinct[i + 1]) / 2))
  } else {
    for (let b = 1; b < maxBins; b++) {
      const v = sample[Math.floor((b * take) / maxBins)]
      const idx = distinct.indexOf(v)
      const next = distinct[Math.min(idx + 1, distinct.length - 1)]
      const e = Math.fround((v + next) / 2)
      if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e)
    }
  }
  return Float32Array.from(edges)
}

function binOf (edges: Float32Array, x: number): number {
  let lo = 0
  let hi = edges.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (x <= edges[mid]) hi = mid
    else lo = mid + 1
  }
  return lo
}

/** Raw scores (before sigmoid/softmax) of one row: one per class. */
export function rawScore (model: GbdtModel, x: ArrayLike<number>): number[] {
  const out = model.base.slice()
  for (const t of model.trees) {
    let i = 0
    while (t.feature[i] >= 0) i = Math.fround(x[t.feature[i]]) <= t.threshold[i] ? t.left[i] : t.right[i]
    out[t.target] += t.value[i]
  }
  return out
}

export function sigmoid (z: number): number {
  return 1 / (1 + Math.exp(-z))
}

export function softmax (z: number[]): number[] {
  const m = Math.max(...z)
  const e = z.map(v => Math.exp(v - m))
  const s = e.reduce((a, b) => a + b, 0)
  return e.map(v => v / s)
}

/** The model's prediction: P(y=1) for logistic, the value for squared, class probabilities for softmax. */
export function predict (model: GbdtModel, x: ArrayLike<number>): number[] {
  const z = rawScore(model, x)
  if (model.loss === 'logistic') return [sigmoid(z[0])]
  if (model.loss === 'softmax') return softmax(z)
  return z
}

export function train (x: Float32Array[], y: Float64Array, params: GbdtParams): GbdtModel {
  const n = x.length
  const nf = x[0].length
  const K = params.loss === 'softmax' ? (params.classes ?? 2) : 1
  const rand = mulberry32(params.seed)
  const w = params.sampleWeight ?? new Float64Array(n).fill(1)
  const edges: Float32Array[] = []
  const bins: Uint8Array[] = []
  for (let f = 0; f < nf; f++) {
    const col = new Float32Array(n)
    for (let i = 0; i < n; i++) col[i] = x[i][f]
    const e = binEdges(col, Math.min(params.maxBins, 255), rand)
    edges.push(e)
    const b = new Uint8Array(n)
    for (let i = 0; i < n; i++) b[i] = binOf(e, col[i])
    bins.push(b)
  }
  const base = initialScores(y, w, params.loss, K)
  const model: GbdtModel = { loss: params.loss, classes: K, base, trees: [], features: nf }
  const score = Array.from({ length: K }, (_, k) => new Float64Array(n).fill(base[k]))
  const valid = params.valid
  const validScore = valid == null ? null : Array.from({ length: K }, (_, k) => new Float64Array(valid.x.length).fill(base[k]))
  let bestLoss = Infinity
  let bestTrees = 0
  const grad = new Float64Array(n)
  const hess = new Float64Array(n)
  for (let round = 0; round < params.rounds; round++) {
    const rows: number[] = []
    for (let i = 0; i < n; i++) if (params.subsample >= 1 || rand() < params.subsample) rows.push(i)
    const probs = params.loss === 'softmax' ? softmaxRows(score, n) : null
    for (let k = 0; k < K; k++) {
      for (let i = 0; i < n; i++) {
        if (params.loss === 'logistic') {
          const p = sigmoid(score[0][i])
          grad[i] = (p - y[i]) * w[i]
          hess[i] = Math.max(p * (1 - p), 1e-6) * w[i]
        } else if (params.loss === 'squared') {
          grad[i] = (score[0][i] - y[i]) * w[i]
          hess[i] = w[i]
        } else {
          const p = probs![k][i]
          grad[i] = (p - (y[i] === k ? 1 : 0)) * w[i]
          hess[i] = Math.max(p * (1 - p), 1e-6) * w[i]
        }
      }
      const tree = growTree(rows, bins, edges, grad, hess, params, k)
      model.trees.push(tree)
      for (let i = 0; i < n; i++) score[k][i] += leafValue(tree, x[i])
      if (valid != null) for (let i = 0; i < valid.x.length; i++) validScore![k][i] += leafValue(tree, valid.x[i])
    }
    if (valid != null) {
      const l = lossOf(validScore!, valid.y, valid.w, params.loss)
      if (l < bestLoss - 1e-9) {
        bestLoss = l
        bestTrees = model.trees.length
      } else if (model.trees.length - bestTrees >= (params.patience ?? 20) * K) break
    }
  }
  if (valid != null && bestTrees > 0) model.trees = model.trees.slice(0, bestTrees)
  return model
}

function leafValue (t: Tree, x: ArrayLike<number>): number {
  let i = 0
  while (t.feature[i] >= 0) i = Math.fround(x[t.feature[i]]) <= t.threshold[i] ? t.left[i] : t.right[i]
  return t.value[i]
}

function initialScores (y: Float64Array, w: Float64Array, loss: Loss, K: number): number[] {
  let sw = 0
  for (let i = 0; i < y.length; i++) sw += w[i]
  if (loss === 'softmax') {
    const counts = new Array<number>(K).fill(1e-3)
    for (let i = 0; i < y.length; i++) counts[y[i]] += w[i]
    return counts.map(c => Math.log(c / sw))
  }
  let s = 0
  for (let i = 0; i < y.length; i++) s += y[i] * w[i]
  const mean = s / sw
  if (loss === 'logistic') {
    const p = Math.min(Math.max(mean, 1e-6), 1 - 1e-6)
    return [Math.log(p / (1 - p))]
  }
  return [mean]
}

function softmaxRows (score: Float64Array[], n: number): Float64Array[] {
  const K = score.length
  const out = score.map(() => new Float64Array(n))
  for (let i = 0; i < n; i++) {
    let m = -Infinity
    for (let k = 0; k < K; k++) m = Math.max(m, score[k][i])
    let s = 0
    for (let k = 0; k < K; k++) {
      out[k][i] = Math.exp(score[k][i] - m)
      s += out[k][i]
    }
    for (let k = 0; k < K; k++) out[k][i] /= s
  }
  return out
}

function lossOf (score: Float64Array[], y: Float64Array, w: Float64Array | undefined, loss: Loss): number {
  let total = 0
  let sw = 0
  const probs = loss === 'softmax' ? softmaxRows(score, y.length) : null
  for (let i = 0; i < y.length; i++) {
    const wi = w?.[i] ?? 1
    sw += wi
    if (loss === 'logistic') {
      const p = Math.min(Math.max(sigmoid(score[0][i]), 1e-12), 1 - 1e-12)
      total -= wi * (y[i] * Math.log(p) + (1 - y[i]) * Math.log(1 - p))
    } else if (loss === 'squared') {
      total += wi * (score[0][i] - y[i]) ** 2
    } else {
      total -= wi * Math.log(Math.max(probs![y[i]][i], 1e-12))
    }
  }
  return total / sw
}

function growTree (rows: number[], bins: Uint8Array[], edges: Float32Array[], grad: Float64Array, hess: Float64Array, p: GbdtParams, target: number): Tree {
  const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [], target }
  const nf = bins.length
  const newNode = (): number => {
    tree.feature.push(-1)
    tree.threshold.push(0)
    tree.left.push(-1)
    tree.right.push(-1)
    tree.value.push(0)
    return tree.feature.length - 1
  }
  const hg = new Float64Array(256)
  const hh = new Float64Array(256)
  const grow = (node: number, idx: number[], depth: number): void => {
    let G = 0
    let H = 0
    for (const i of idx) {
      G += grad[i]
      H += hess[i]
    }
    tree.value[node] = (-G / (H + p.lambda)) * p.learningRate
    if (depth >= p.maxDepth || H < 2 * p.minChildWeight) return
    const parentGain = (G * G) / (H + p.lambda)
    let best = { gain: 1e-9, f: -1, b: -1 }
    for (let f = 0; f < nf; f++) {
      const nb = edges[f].length + 1
      if (nb < 2) continue
      hg.fill(0, 0, nb)
      hh.fill(0, 0, nb)
      const col = bins[f]
      for (const i of idx) {
        hg[col[i]] += grad[i]
        hh[col[i]] += hess[i]
      }
      let gl = 0
      let hl = 0
      for (let b = 0; b < nb - 1; b++) {
        gl += hg[b]
        hl += hh[b]
        const hr = H - hl
        if (hl < p.minChildWeight || hr < p.minChildWeight) continue
        const gr = G - gl
        const gain = (gl * gl) / (hl + p.lambda) + (gr * gr) / (hr + p.lambda) - parentGain
        if (gain > best.gain) best = { gain, f, b }
      }
    }
    if (best.f < 0) return
    const li: number[] = []
    const ri: number[] = []
    const col = bins[best.f]
    for (const i of idx) (col[i] <= best.b ? li : ri).push(i)
    tree.feature[node] = best.f
    tree.threshold[node] = edges[best.f][best.b]
    const l = newNode()
    const r = newNode()
    tree.left[node] = l
    tree.right[node] = r
    grow(l, li, depth + 1)
    grow(r, ri, depth + 1)
  }
  grow(newNode(), rows, 0)
  return tree
}
