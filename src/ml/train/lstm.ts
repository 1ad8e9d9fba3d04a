// A one-layer LSTM with a residual on the last input, trained with tfjs ops and exported with ONNX's LSTM
// operator. The cell is written out with tf ops (not tf.layers.lstm) so that its gates are already in
// ONNX's order (i, o, f, c) and use plain sigmoid: tfjs's layer orders them i, f, c, o and defaults to
// hardSigmoid, both easy to get wrong in an export.
import * as tf from '@tensorflow/tfjs'
import { exclusive, tfReady } from './tf-backend.ts'
import { encodeModel, type GraphNode, type TensorInit } from '../onnx/builder.ts'
import { mulberry32 } from './random.ts'

export interface LstmWeights {
  hidden: number
  features: number
  steps: number
  /** [4H, F] and [4H, H], gate blocks i, o, f, c (ONNX layout), row-major. */
  W: number[]
  R: number[]
  /** [4H] (input bias; the recurrent bias is zero). */
  b: number[]
  /** Dense head: [H] and a scalar. */
  dense: number[]
  denseBias: number
}

/**
 * 'log-l1': absolute error of ln(Mbit/s): a median forecast, balanced between over and under.
 * 'relative': |exp(pred - y) - 1|, the relative error itself: what MAPE scores, and it learns to forecast low.
 */
export type LstmLoss = 'log-l1' | 'relative'

export interface LstmTrainParams {
  hidden: number
  steps: number
  batch: number
  learningRate: number
  seed: number
  loss: LstmLoss
  /** Per window: 1 counts in the relative loss, 0 does not (targets under the metric's floor, as MAPE leaves them out). */
  mask?: ArrayLike<number>
  /** Starting weights (a shipped model, or a federated round's): training continues from them. */
  init?: LstmWeights
  log?: (m: string) => void
}

const sig = (x: number): number => 1 / (1 + Math.exp(-x))

/** The TypeScript reference forward pass: x is [steps × features], returns the encoded prediction. */
export function lstmForward (w: LstmWeights, x: ArrayLike<number>): number {
  const H = w.hidden
  const F = w.features
  let h = new Float64Array(H)
  let c = new Float64Array(H)
  for (let t = 0; t < w.steps; t++) {
    const g = new Float64Array(4 * H)
    for (let r = 0; r < 4 * H; r++) {
      let s = w.b[r]
      for (let f = 0; f < F; f++) s += w.W[r * F + f] * x[t * F + f]
      for (let k = 0; k < H; k++) s += w.R[r * H + k] * h[k]
      g[r] = s
    }
    const nh = new Float64Array(H)
    const nc = new Float64Array(H)
    for (let k = 0; k < H; k++) {
      const i = sig(g[k])
      const o = sig(g[H + k])
      const f = sig(g[2 * H + k])
      const cc = Math.tanh(g[3 * H + k])
      nc[k] = f * c[k] + i * cc
      nh[k] = o * Math.tanh(nc[k])
    }
    h = nh
    c = nc
  }
  let y = w.denseBias + x[(w.steps - 1) * F]
  for (let k = 0; k < H; k++) y += w.dense[k] * h[k]
  return y
}

/** Trains on windows x ([steps × features] each) against encoded targets with an L1 loss (relative error). */
export async function trainLstm (x: Float32Array[], y: ArrayLike<number>, features: number, p: LstmTrainParams): Promise<LstmWeights> {
  await tfReady()
  const rand = mulberry32(p.seed)
  const H = p.hidden
  const T = x[0].length / features
  const init = (n: number, scale: number): number[] => Array.from({ length: n }, () => (rand() * 2 - 1) * scale)
  const s0 = p.init
  if (s0 != null && (s0.hidden !== H || s0.features !== features || s0.steps !== T)) throw new Error(`starting weights are ${s0.hidden}x${s0.features}x${s0.steps}, training needs ${H}x${features}x${T}`)
  // ONNX layout [4H, F] back to tfjs's [F, 4H] for starting weights.
  const W = tf.variable(tf.tensor2d(s0 != null ? Array.from({ length: features * 4 * H }, (_, i) => s0.W[(i % (4 * H)) * features + Math.floor(i / (4 * H))]) : init(features * 4 * H, Math.sqrt(1 / features)), [features, 4 * H]))
  const R = tf.variable(tf.tensor2d(s0 != null ? Array.from({ length: H * 4 * H }, (_, i) => s0.R[(i % (4 * H)) * H + Math.floor(i / (4 * H))]) : init(H * 4 * H, Math.sqrt(1 / H)), [H, 4 * H]))
  // Forget gates start open (bias 1), the usual remedy for vanishing memory early in training.
  const b = tf.variable(tf.tensor1d(s0 != null ? s0.b : Array.from({ length: 4 * H }, (_, i) => i >= 2 * H && i < 3 * H ? 1 : 0)))
  const D = tf.variable(tf.tensor2d(s0 != null ? s0.dense : init(H, 0.01), [H, 1]))
  const db = tf.variable(tf.scalar(s0 != null ? s0.denseBias : 0))
  const optimizer = tf.train.adam(p.learningRate)
  const forward = tfLstmForward({ W, R, b, D, db }, H, features, T)
  const n = x.length
  for (let step = 0; step < p.steps; step++) {
    const idx = Array.from({ length: Math.min(p.batch, n) }, () => Math.floor(rand() * n))
    const loss = tf.tidy((): tf.Scalar => {
      const xb = tf.tensor3d(idx.flatMap(i => Array.from(x[i])), [idx.length, T, features])
      const yb = tf.tensor2d(idx.map(i => y[i]), [idx.length, 1])
      // Targets under the metric's floor are left out of the relative loss, as MAPE leaves them out.
      const mask = tf.tensor2d(idx.map(i => p.mask == null ? 1 : p.mask[i]), [idx.length, 1])
      const lossFn = p.loss === 'relative'
        ? () => tf.exp(forward(xb).sub(yb)).sub(1).abs().mul(mask).sum().div(mask.sum().maximum(1)) as tf.Scalar
        : () => forward(xb).sub(yb).abs().mean() as tf.Scalar
      return optimizer.minimize(lossFn, true) ?? tf.scalar(0)
    })
    if (p.log != null && (step % 200 === 0 || step === p.steps - 1)) p.log(`bandwidth: step ${step} loss ${(await loss.data())[0].toFixed(4)}`)
    loss.dispose()
  }
  const weights = await readLstmWeights({ W, R, b, D, db }, H, features, T)
  optimizer.dispose()
  return weights
}

/** The LSTM cell both trainers run: gates i, o, f, c (ONNX order), the last hidden state through a dense
 *  layer, plus the last input (the model predicts a change from the last sample). */
function tfLstmForward (v: { W: tf.Variable, R: tf.Variable, b: tf.Variable, D: tf.Variable, db: tf.Variable }, H: number, features: number, T: number): (xb: tf.Tensor3D) => tf.Tensor2D {
  return (xb) => {
    let h = tf.zeros([xb.shape[0], H]) as tf.Tensor2D
    let c = tf.zeros([xb.shape[0], H]) as tf.Tensor2D
    for (let t = 0; t < T; t++) {
      const xt = xb.slice([0, t, 0], [-1, 1, -1]).reshape([-1, features]) as tf.Tensor2D
      const g = xt.matMul(v.W).add(h.matMul(v.R)).add(v.b)
      const [gi, go, gf, gc] = tf.split(g, 4, 1)
      c = tf.sigmoid(gf).mul(c).add(tf.sigmoid(gi).mul(tf.tanh(gc)))
      h = tf.sigmoid(go).mul(tf.tanh(c))
    }
    const last = xb.slice([0, T - 1, 0], [-1, 1, 1]).reshape([-1, 1])
    return h.matMul(v.D).add(v.db).add(last) as tf.Tensor2D
  }
}

/** The trained variables as ONNX-ordered weights (tfjs holds [F, 4H] for x·W; ONNX wants [4H, F]), disposed. */
async function readLstmWeights (v: { W: tf.Variable, R: tf.Variable, b: tf.Variable, D: tf.Variable, db: tf.Variable }, H: number, features: number, T: number): Promise<LstmWeights> {
  const Wt = await v.W.array() as number[][]
  const Rt = await v.R.array() as number[][]
  const weights: LstmWeights = {
    hidden: H,
    features,
    steps: T,
    W: Array.from({ length: 4 * H }, (_, r) => Array.from({ length: features }, (_, f) => Wt[f][r])).flat(),
    R: Array.from({ length: 4 * H }, (_, r) => Array.from({ length: H }, (_, k) => Rt[k][r])).flat(),
    b: Array.from(await v.b.data()),
    dense: Array.from(await v.D.data()),
    denseBias: (await v.db.data())[0]
  }
  for (const x of [v.W, v.R, v.b, v.D, v.db]) x.dispose()
  return weights
}

/**
 * history [N, T, F] -> Transpose -> per head: LSTM (ONNX gates i,o,f,c; sigmoid/tanh/tanh) -> last hidden
 * state -> Gemm -> + last encoded input -> Exp - offset -> Relu = Mbit/s [N, 1]. Several heads (a median
 * and a relative-error forecaster) share the input and the Transpose.
 */
export function exportLstm (heads: Array<{ w: LstmWeights, output: string }>, opts: { name: string, doc: string, input: string, offset: number }): Uint8Array {
  const first = heads[0].w
  const initializers: TensorInit[] = [
    { name: 'last_index', dims: [], type: 'int64', data: [first.steps - 1] },
    { name: 'squeeze_axes', dims: [1], type: 'int64', data: [0] },
    { name: 'offset', dims: [1], type: 'float', data: [opts.offset] }
  ]
  const nodes: GraphNode[] = [
    { op: 'Transpose', inputs: [opts.input], outputs: ['x_tnf'], attrs: { perm: { ints: [1, 0, 2] } } },
    { op: 'Gather', inputs: [opts.input, 'last_index'], outputs: ['x_last'], attrs: { axis: { i: 1 } } }
  ]
  heads.forEach(({ w, output }, k) => {
    const H = w.hidden
    const p = (s: string): string => `${s}_${k}`
    initializers.push(
      { name: p('W'), dims: [1, 4 * H, w.features], type: 'float', data: w.W },
      { name: p('R'), dims: [1, 4 * H, H], type: 'float', data: w.R },
      { name: p('B'), dims: [1, 8 * H], type: 'float', data: [...w.b, ...new Array<number>(4 * H).fill(0)] },
      { name: p('dense'), dims: [H, 1], type: 'float', data: w.dense },
      { name: p('dense_bias'), dims: [1], type: 'float', data: [w.denseBias] }
    )
    nodes.push(
      { op: 'LSTM', inputs: ['x_tnf', p('W'), p('R'), p('B')], outputs: ['', p('h_last')], attrs: { hidden_size: { i: H }, direction: { s: 'forward' }, activations: { strings: ['Sigmoid', 'Tanh', 'Tanh'] } } },
      { op: 'Squeeze', inputs: [p('h_last'), 'squeeze_axes'], outputs: [p('h')] },
      { op: 'Gemm', inputs: [p('h'), p('dense'), p('dense_bias')], outputs: [p('delta')] },
      { op: 'Add', inputs: [p('delta'), 'x_last'], outputs: [p('z')] },
      { op: 'Exp', inputs: [p('z')], outputs: [p('ez')] },
      { op: 'Sub', inputs: [p('ez'), 'offset'], outputs: [p('shifted')] },
      { op: 'Relu', inputs: [p('shifted')], outputs: [output] }
    )
  })
  return encodeModel({
    name: opts.name,
    doc: opts.doc,
    inputs: [{ name: opts.input, shape: ['N', first.steps, first.features] }],
    outputs: heads.map(h => ({ name: h.output, shape: ['N', 1] })),
    initializers,
    nodes
  })
}

export interface LstmFitParams {
  hidden: number
  steps: number
  /** Windows per step; 0 takes every window each step (full-batch gradient descent). */
  batch: number
  learningRate: number
  seed: number
  optimizer: 'sgd' | 'adam'
}

export interface LstmFit { weights: LstmWeights, samples: number, loss: number }

/**
 * Federated learning's local step: trainLstm's log-L1 cell and loss, resumed from `start` (the global
 * model) when given, with plain SGD available so that one full-batch step is exactly one gradient step.
 * Returns the weights with the number of windows they were trained on and the last step's loss.
 */
export async function fitLstm (x: Float32Array[], y: ArrayLike<number>, features: number, p: LstmFitParams, start?: LstmWeights): Promise<LstmFit> {
  return await exclusive(async () => await fitLstmNow(x, y, features, p, start))
}

async function fitLstmNow (x: Float32Array[], y: ArrayLike<number>, features: number, p: LstmFitParams, start?: LstmWeights): Promise<LstmFit> {
  const rand = mulberry32(p.seed)
  const H = start?.hidden ?? p.hidden
  const T = x[0].length / features
  const init = (n: number, scale: number): number[] => Array.from({ length: n }, () => (rand() * 2 - 1) * scale)
  // ONNX layout [4H, F] back to tfjs's [F, 4H].
  const toTf = (m: number[], cols: number): number[] => Array.from({ length: cols * 4 * H }, (_, i) => m[(i % (4 * H)) * cols + Math.floor(i / (4 * H))])
  const W = tf.variable(tf.tensor2d(start != null ? toTf(start.W, features) : init(features * 4 * H, Math.sqrt(1 / features)), [features, 4 * H]))
  const R = tf.variable(tf.tensor2d(start != null ? toTf(start.R, H) : init(H * 4 * H, Math.sqrt(1 / H)), [H, 4 * H]))
  const b = tf.variable(tf.tensor1d(start != null ? start.b : Array.from({ length: 4 * H }, (_, i) => i >= 2 * H && i < 3 * H ? 1 : 0)))
  const D = tf.variable(tf.tensor2d(start != null ? start.dense : init(H, 0.01), [H, 1]))
  const db = tf.variable(tf.scalar(start != null ? start.denseBias : 0))
  const optimizer = p.optimizer === 'sgd' ? tf.train.sgd(p.learningRate) : tf.train.adam(p.learningRate)
  const forward = tfLstmForward({ W, R, b, D, db }, H, features, T)
  const n = x.length
  let lastLoss = NaN
  for (let step = 0; step < p.steps; step++) {
    const idx = p.batch <= 0 ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: Math.min(p.batch, n) }, () => Math.floor(rand() * n))
    const loss = tf.tidy((): tf.Scalar => {
      const xb = tf.tensor3d(idx.flatMap(i => Array.from(x[i])), [idx.length, T, features])
      const yb = tf.tensor2d(idx.map(i => y[i]), [idx.length, 1])
      return optimizer.minimize(() => forward(xb).sub(yb).abs().mean() as tf.Scalar, true) ?? tf.scalar(0)
    })
    lastLoss = (await loss.data())[0]
    loss.dispose()
  }
  const weights = await readLstmWeights({ W, R, b, D, db }, H, features, T)
  optimizer.dispose()
  return { weights, samples: n, loss: lastLoss }
}
