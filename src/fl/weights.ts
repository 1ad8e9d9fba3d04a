// The bandwidth forecaster's weights as named tensors (what FL averages and sends), and back. The
// structure is fixed by the names and shapes, so a peer cannot smuggle anything else through.
import type { LstmWeights } from '../ml/train/lstm.ts'
import { mulberry32 } from '../ml/train/random.ts'
import { fail, ok, type Result } from '../dwcp/result.ts'
import type { Tensor } from './tensors.ts'

export const FEATURES = 1
export const STEPS = 10

export function lstmToTensors (w: LstmWeights): Tensor[] {
  const H = w.hidden
  return [
    { name: 'W', dims: [4 * H, w.features], data: Float32Array.from(w.W) },
    { name: 'R', dims: [4 * H, H], data: Float32Array.from(w.R) },
    { name: 'b', dims: [4 * H], data: Float32Array.from(w.b) },
    { name: 'dense', dims: [H], data: Float32Array.from(w.dense) },
    { name: 'denseBias', dims: [1], data: Float32Array.from([w.denseBias]) }
  ]
}

/** Checks names and shapes against one LSTM layout; anything else is refused. */
export function tensorsToLstm (tensors: readonly Tensor[], steps = STEPS): Result<LstmWeights> {
  const by = new Map(tensors.map(t => [t.name, t]))
  const W = by.get('W')
  if (tensors.length !== 5 || by.size !== 5 || W == null || W.dims.length !== 2) return fail('weights: expected tensors W, R, b, dense, denseBias')
  const H = W.dims[0] / 4
  const F = W.dims[1]
  if (!Number.isInteger(H) || H < 1 || H > 256 || F < 1 || F > 16) return fail('weights: bad LSTM size')
  const want: Record<string, number[]> = { W: [4 * H, F], R: [4 * H, H], b: [4 * H], dense: [H], denseBias: [1] }
  for (const [name, dims] of Object.entries(want)) {
    const t = by.get(name)
    if (t == null || t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i])) return fail(`weights: ${name} must be [${dims.join(', ')}]`)
  }
  const arr = (name: string): number[] => Array.from((by.get(name) as Tensor).data)
  return ok({ hidden: H, features: F, steps, W: arr('W'), R: arr('R'), b: arr('b'), dense: arr('dense'), denseBias: arr('denseBias')[0] })
}

/**
 * The starting global model: a zero dense head makes the residual LSTM forecast the last value, the
 * baseline every node already has, so version 0 is no worse than what a node runs without FL.
 */
export function initialLstm (hidden: number, seed: number): LstmWeights {
  const rand = mulberry32(seed)
  const init = (n: number, scale: number): number[] => Array.from({ length: n }, () => (rand() * 2 - 1) * scale)
  return {
    hidden,
    features: FEATURES,
    steps: STEPS,
    W: init(4 * hidden * FEATURES, Math.sqrt(1 / FEATURES)),
    R: init(4 * hidden * hidden, Math.sqrt(1 / hidden)),
    b: Array.from({ length: 4 * hidden }, (_, i) => i >= 2 * hidden && i < 3 * hidden ? 1 : 0),
    dense: new Array<number>(hidden).fill(0),
    denseBias: 0
  }
}
