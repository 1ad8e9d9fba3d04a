// MADDPG for placement (Lowe et al. 2017; ALLOCATION-AND-FL.md §1): one agent per host whose actor turns
// its observation into a bid (the highest feasible bid wins), a centralised critic over every host's
// observation and bid, a replay buffer, target networks (Polyak), and Gaussian exploration noise on the
// bids. The hosts are interchangeable, so they share one actor (and one critic). Rollouts run the placement
// simulator with a plain TypeScript forward pass; updates run on tfjs (wasm) with a dense layer whose
// gradient transposes explicitly before matMul (about 8x faster there than matMul's transpose flags).
import * as tf from '@tensorflow/tfjs'
import { tfReady } from './tf-backend.ts'
import { biddingPolicy, fits, type Amount, type HostView, type Policy } from '../../alloc/policies.ts'
import { flavourMix, simulate } from '../../alloc/sim/sim.ts'
import type { TraceHost, TraceRequest, TraceWindow } from '../../alloc/sim/trace.ts'
import { encodeObservations, OBS } from '../features/placement.ts'
import { mulberry32 } from './random.ts'

export interface ActorWeights {
  /** layer widths, input first: [OBS, 64, 64, 1] */
  sizes: number[]
  /** per layer: w row-major [in × out], b [out] */
  layers: Array<{ w: number[], b: number[] }>
}

/** The weights as typed arrays, made once per actor (the forward pass runs on every decision). */
const typed = new WeakMap<ActorWeights, Array<{ w: Float64Array, b: Float64Array }>>()

/** The actor's forward pass in TypeScript: ReLU hidden layers, a sigmoid bid. obs is n × OBS. */
export function actorForward (a: ActorWeights, obs: ArrayLike<number>, n: number): Float64Array {
  let layers = typed.get(a)
  if (layers === undefined) {
    layers = a.layers.map((l) => ({ w: Float64Array.from(l.w), b: Float64Array.from(l.b) }))
    typed.set(a, layers)
  }
  const out = new Float64Array(n)
  const widest = Math.max(...a.sizes)
  let cur = new Float64Array(widest)
  let nxt = new Float64Array(widest)
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < a.sizes[0]; k++) cur[k] = obs[r * a.sizes[0] + k]
    for (let l = 0; l < layers.length; l++) {
      const { w, b } = layers[l]
      const nin = a.sizes[l]
      const nout = a.sizes[l + 1]
      for (let j = 0; j < nout; j++) {
        let s = b[j]
        for (let k = 0; k < nin; k++) s += cur[k] * w[k * nout + j]
        nxt[j] = l < layers.length - 1 ? Math.max(0, s) : s
      }
      ;[cur, nxt] = [nxt, cur]
    }
    out[r] = 1 / (1 + Math.exp(-cur[0]))
  }
  return out
}

/** The actor as a placement policy. */
export function actorPolicy (a: ActorWeights, name = 'maddpg'): Policy {
  return biddingPolicy(name, (req: Amount, hosts: readonly HostView[]) => actorForward(a, encodeObservations(req, hosts), hosts.length))
}

export interface MaddpgParams {
  hidden: number
  criticHidden: number
  batch: number
  actorLr: number
  criticLr: number
  gamma: number
  tau: number
  /** weight of the delta reward: minus the change in the chosen host's unusable free vCPU share */
  fragWeight: number
  /** one update every this many decisions */
  updateEvery: number
  updates: number
  replay: number
  noiseStart: number
  noiseEnd: number
  seed: number
  log?: (msg: string) => void
}

export const DEFAULT_MADDPG: Omit<MaddpgParams, 'seed'> = {
  hidden: 64, criticHidden: 128, batch: 256, actorLr: 1e-3, criticLr: 1e-3, gamma: 0.95, tau: 0.01,
  fragWeight: 1, updateEvery: 10, updates: 3000, replay: 100_000, noiseStart: 0.1, noiseEnd: 0.02
}

export interface MaddpgResult {
  actor: ActorWeights
  criticLoss: number[]
  actorLoss: number[]
  decisions: number
  episodes: number
  seconds: number
}

type Var = tf.Variable

/** x·W + b whose gradient transposes before matMul (the wasm backend's transposed matMul is slow). */
const dense = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w])
  return {
    value: tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const g = dy as tf.Tensor2D
      const [sx, sw] = saved as tf.Tensor2D[]
      return [tf.matMul(g, tf.transpose(sw)), tf.matMul(tf.transpose(sx), g), tf.sum(g, 0)]
    }
  }
}) as any) as (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor2D

interface Net { vars: Var[], sizes: number[] }

function makeNet (sizes: number[], rand: () => number, lastScale = 1): Net {
  const vars: Var[] = []
  for (let i = 0; i < sizes.length - 1; i++) {
    const scale = Math.sqrt(6 / (sizes[i] + sizes[i + 1])) * (i === sizes.length - 2 ? lastScale : 1)
    vars.push(tf.variable(tf.tensor2d(Array.from({ length: sizes[i] * sizes[i + 1] }, () => (rand() * 2 - 1) * scale), [sizes[i], sizes[i + 1]])))
    vars.push(tf.variable(tf.zeros([sizes[i + 1]])))
  }
  return { vars, sizes }
}

function forwardNet (net: Net, x: tf.Tensor2D): tf.Tensor2D {
  let h = x
  for (let i = 0; i < net.vars.length; i += 2) {
    h = dense(h, net.vars[i], net.vars[i + 1])
    if (i < net.vars.length - 2) h = tf.relu(h)
  }
  return h
}

function cloneNet (net: Net): Net {
  return { vars: net.vars.map((v) => tf.variable(v.clone(), false)), sizes: net.sizes }
}

function polyak (target: Net, source: Net, tau: number): void {
  tf.tidy(() => target.vars.forEach((t, i) => t.assign(t.mul(1 - tau).add(source.vars[i].mul(tau)))))
}

function weightsOf (net: Net): ActorWeights {
  const layers: ActorWeights['layers'] = []
  for (let i = 0; i < net.vars.length; i += 2) layers.push({ w: Array.from(net.vars[i].dataSync()), b: Array.from(net.vars[i + 1].dataSync()) })
  return { sizes: net.sizes, layers }
}

/** Share of a host's vCPUs that are free but too small (in cpu or memory) for a request of the mix. */
function unusableShare (h: HostView, cpu: number, mem: number, mix: ReadonlyArray<Amount & { p: number }>): number {
  const fc = h.capacity.cpu - h.used.cpu - cpu
  const fm = h.capacity.memMiB - h.used.memMiB - mem
  let u = 0
  for (const f of mix) if (f.cpu > fc || f.memMiB > fm) u += f.p
  return (u * fc) / Math.max(1, h.capacity.cpu)
}

/** Value of a decision: the vCPU-hours it places (+) or leaves waiting (−), scaled to about 1. */
function decisionValue (r: TraceRequest): number {
  return (r.cpu / 1000) * Math.min(r.durationS, 7 * 86_400) / 3600 / 100
}

/**
 * Trains on episodes (slices of the training window, already thinned to their offered load) until
 * `updates` critic/actor updates are done, cycling through the episodes.
 */
export async function trainMaddpg (episodes: ReadonlyArray<{ window: TraceWindow, requests: TraceRequest[] }>, hosts: readonly TraceHost[], p: MaddpgParams): Promise<MaddpgResult> {
  await tfReady()
  const t0 = performance.now()
  const rand = mulberry32(p.seed)
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand())
  const N = hosts.length
  const actor = makeNet([OBS, p.hidden, p.hidden, 1], rand, 0.1)
  const critic = makeNet([N * (OBS + 1), p.criticHidden, p.criticHidden, 1], rand)
  const actorT = cloneNet(actor)
  const criticT = cloneNet(critic)
  const actorOpt = tf.train.adam(p.actorLr)
  const criticOpt = tf.train.adam(p.criticLr)
  // replay: obs [N·OBS], bids [N], reward, next obs, done
  const cap = p.replay
  const rObs = new Float32Array(cap * N * OBS); const rBid = new Float32Array(cap * N); const rRew = new Float32Array(cap)
  const rNext = new Float32Array(cap * N * OBS); const rDone = new Float32Array(cap)
  let stored = 0; let head = 0
  let pending = -1 // the slot whose next observation is the next decision's
  let weights = weightsOf(actor)
  const criticLoss: number[] = []; const actorLoss: number[] = []
  let updates = 0; let decisions = 0; let episodesRun = 0

  const update = (): void => {
    const B = Math.min(p.batch, stored)
    const idx = Array.from({ length: B }, () => Math.floor(rand() * stored))
    const gather = (src: Float32Array, width: number): Float32Array => {
      const out = new Float32Array(B * width)
      idx.forEach((k, i) => out.set(src.subarray(k * width, (k + 1) * width), i * width))
      return out
    }
    const obs = tf.tensor2d(gather(rObs, N * OBS), [B * N, OBS])
    const next = tf.tensor2d(gather(rNext, N * OBS), [B * N, OBS])
    const bids = tf.tensor2d(gather(rBid, N), [B * N, 1])
    const rew = tf.tensor2d(gather(rRew, 1), [B, 1])
    const done = tf.tensor2d(gather(rDone, 1), [B, 1])
    const joint = (o: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D => tf.concat([o, b], 1).reshape([B, N * (OBS + 1)])
    const y = tf.tidy(() => {
      const nb = tf.sigmoid(forwardNet(actorT, next))
      const q = forwardNet(criticT, joint(next, nb))
      return rew.add(tf.scalar(p.gamma).mul(tf.scalar(1).sub(done)).mul(q))
    })
    const cl = criticOpt.minimize(() => tf.mean(tf.square(forwardNet(critic, joint(obs, bids)).sub(y))) as tf.Scalar, true, critic.vars)
    // Every agent's action from the current (shared) actor; the critic judges the joint bid.
    const al = actorOpt.minimize(() => {
      const logits = forwardNet(actor, obs)
      const q = forwardNet(critic, joint(obs, tf.sigmoid(logits)))
      return tf.neg(tf.mean(q)).add(tf.mean(tf.square(logits)).mul(1e-3)) as tf.Scalar
    }, true, actor.vars)
    criticLoss.push(cl!.dataSync()[0]); actorLoss.push(al!.dataSync()[0])
    tf.dispose([obs, next, bids, rew, done, y, cl!, al!])
    polyak(actorT, actor, p.tau)
    polyak(criticT, critic, p.tau)
    weights = weightsOf(actor)
    updates++
    if (updates % 250 === 0) p.log?.(`update ${updates}/${p.updates}: critic loss ${criticLoss.at(-1)!.toFixed(4)}, actor loss ${actorLoss.at(-1)!.toFixed(4)}, ${decisions} decisions, ${Math.round((performance.now() - t0) / 1000)} s`)
  }

  const recorder: Policy = {
    name: 'maddpg-explore',
    choose: (req, hv) => {
      const obs = encodeObservations(req, hv)
      const sigma = p.noiseStart + (p.noiseEnd - p.noiseStart) * Math.min(1, updates / p.updates)
      const raw = actorForward(weights, obs, N)
      const bids = raw.map((b) => Math.min(1, Math.max(0, b + sigma * gauss())))
      let best = -1
      for (let i = 0; i < N; i++) if (fits(req, hv[i]) && (best < 0 || bids[i] > bids[best])) best = i
      if (pending >= 0) { rNext.set(obs, pending * N * OBS); rDone[pending] = 0 }
      const slot = head
      rObs.set(obs, slot * N * OBS); rBid.set(bids, slot * N)
      const v = decisionValue(req as TraceRequest)
      // SchedRL-style delta reward: how much this placement grows the chosen host's stranded capacity.
      rRew[slot] = best < 0 ? -v : v - p.fragWeight * (unusableShare(hv[best], req.cpu, req.memMiB, mix) - unusableShare(hv[best], 0, 0, mix))
      rNext.set(obs, slot * N * OBS); rDone[slot] = 1
      pending = slot
      head = (head + 1) % cap; stored = Math.min(cap, stored + 1)
      decisions++
      if (stored >= p.batch && decisions % p.updateEvery === 0 && updates < p.updates) update()
      return best
    }
  }
  let mix: ReturnType<typeof flavourMix> = []
  while (updates < p.updates) {
    const ep = episodes[episodesRun % episodes.length]
    mix = flavourMix(ep.requests)
    pending = -1
    simulate(recorder, hosts, ep.window, ep.requests, { warmupS: 0 })
    episodesRun++
    if (episodesRun > 10_000) break
  }
  const result: MaddpgResult = { actor: weightsOf(actor), criticLoss, actorLoss, decisions, episodes: episodesRun, seconds: Math.round((performance.now() - t0) / 100) / 10 }
  tf.dispose([...actor.vars, ...critic.vars, ...actorT.vars, ...criticT.vars])
  actorOpt.dispose(); criticOpt.dispose()
  return result
}
