// A small MLP classifier for comparison with the tree ensemble (the compression card reports both). It
// minimises the expected time over the oracle's, Σ p_k · cost_k / cost_oracle, rather than cross-entropy:
// a near-tie mislabelled costs nothing, a wrong codec on a slow link costs a lot.
import * as tf from '@tensorflow/tfjs'
import { tfReady } from './tf-backend.ts'
import { mulberry32 } from './random.ts'

export interface MlpParams { hidden: number[], steps: number, batch: number, learningRate: number, seed: number }

export interface Mlp { predict: (x: Float32Array[]) => number[], dispose: () => void }

export async function trainCostMlp (x: Float32Array[], relCost: number[][], p: MlpParams): Promise<Mlp> {
  await tfReady()
  const rand = mulberry32(p.seed)
  const d = x[0].length
  const K = relCost[0].length
  const mean = Array.from({ length: d }, (_, j) => x.reduce((a, r) => a + r[j], 0) / x.length)
  const sd = Array.from({ length: d }, (_, j) => Math.sqrt(x.reduce((a, r) => a + (r[j] - mean[j]) ** 2, 0) / x.length) || 1)
  const norm = (r: Float32Array): number[] => Array.from(r, (v, j) => (v - mean[j]) / sd[j])
  const sizes = [d, ...p.hidden, K]
  const layers = sizes.slice(1).map((out, i) => ({
    w: tf.variable(tf.tensor2d(Array.from({ length: sizes[i] * out }, () => (rand() * 2 - 1) * Math.sqrt(6 / (sizes[i] + out))), [sizes[i], out])),
    b: tf.variable(tf.zeros([out]))
  }))
  const forward = (xb: tf.Tensor2D): tf.Tensor2D => {
    let h: tf.Tensor2D = xb
    layers.forEach((l, i) => { h = h.matMul(l.w).add(l.b); if (i < layers.length - 1) h = tf.relu(h) })
    return h
  }
  const opt = tf.train.adam(p.learningRate)
  for (let s = 0; s < p.steps; s++) {
    const idx = Array.from({ length: Math.min(p.batch, x.length) }, () => Math.floor(rand() * x.length))
    tf.tidy(() => {
      const xb = tf.tensor2d(idx.map(i => norm(x[i])))
      const cb = tf.tensor2d(idx.map(i => relCost[i]))
      opt.minimize(() => tf.softmax(forward(xb)).mul(cb).sum(1).mean() as tf.Scalar)
    })
  }
  opt.dispose()
  return {
    predict: (rows) => tf.tidy(() => Array.from(forward(tf.tensor2d(rows.map(norm))).argMax(1).dataSync())),
    dispose: () => { for (const l of layers) { l.w.dispose(); l.b.dispose() } }
  }
}
