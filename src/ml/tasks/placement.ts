// The `placement` model: the MADDPG actor (a bid per host) trained on the Azure 2017 dev window, exported
// to ONNX (`obs` [N, 12] -> `bid` [N, 1]), evaluated once on the held-out test window against every
// heuristic (paired seeds, 95% CIs), and served as a bidder (TypeScript forward pass of the shipped
// weights; the ONNX file must agree with it, which the manifest's reference rows and the tests check).
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { NovacronError } from '../../config/errors.ts'
import type { Amount, Bidder, HostView } from '../../alloc/policies.ts'
import type { ModelRegistry } from '../registry.ts'
import type { ModelTask, TrainRequest } from '../catalog.ts'
import { judgeFold } from './by-source.ts'
import { DEFAULT_MODELS_DIR, type ManifestEntry } from '../manifest.ts'
import { encodeModel } from '../onnx/builder.ts'
import { encodeObservations, OBS, PLACEMENT_FEATURES } from '../features/placement.ts'
import { actorForward, type ActorWeights } from '../train/maddpg.ts'

export const PLACEMENT_WEIGHTS_FILE = 'placement-actor.json'

/** The actor as ONNX: Gemm, Relu, Gemm, Relu, Gemm, Sigmoid. */
export function actorOnnx (a: ActorWeights): Uint8Array {
  const nodes = []
  const inits = []
  let cur = 'obs'
  for (let l = 0; l < a.layers.length; l++) {
    inits.push({ name: `W${l}`, dims: [a.sizes[l], a.sizes[l + 1]], type: 'float' as const, data: a.layers[l].w })
    inits.push({ name: `b${l}`, dims: [a.sizes[l + 1]], type: 'float' as const, data: a.layers[l].b })
    const out = l < a.layers.length - 1 ? `h${l}` : 'logit'
    nodes.push({ op: 'Gemm', inputs: [cur, `W${l}`, `b${l}`], outputs: [out] })
    cur = out
    if (l < a.layers.length - 1) { nodes.push({ op: 'Relu', inputs: [cur], outputs: [`r${l}`] }); cur = `r${l}` }
  }
  nodes.push({ op: 'Sigmoid', inputs: [cur], outputs: ['bid'] })
  return encodeModel({
    name: 'placement',
    doc: 'MADDPG placement actor: one bid per host; the highest feasible bid wins',
    inputs: [{ name: 'obs', shape: ['N', OBS] }],
    outputs: [{ name: 'bid', shape: ['N', 1] }],
    nodes,
    initializers: inits
  })
}

/** The shipped actor's weights, or null when no placement model is shipped. */
export function loadActorWeights (dir = DEFAULT_MODELS_DIR): ActorWeights | null {
  const path = join(dir, PLACEMENT_WEIGHTS_FILE)
  if (!existsSync(path)) return null
  return JSON.parse(readFileSync(path, 'utf8')) as ActorWeights
}

export function bidderOf (a: ActorWeights): Bidder {
  return (req, hosts) => actorForward(a, encodeObservations(req, hosts), hosts.length)
}

/** One decision's bids through ONNX Runtime (the registry's worker thread). */
export async function placementBids (registry: ModelRegistry, request: Amount, hosts: readonly HostView[]): Promise<Float32Array> {
  const out = await registry.run('placement', { obs: { data: encodeObservations(request, hosts), dims: [hosts.length, OBS] } })
  return out.bid.data as Float32Array
}

export function loadPlacementBidder (dir = DEFAULT_MODELS_DIR): Bidder | null {
  const a = loadActorWeights(dir)
  return a == null ? null : bidderOf(a)
}

export const placementTask: ModelTask = {
  name: 'placement',
  dataSet: 'workloads',
  describe: 'MADDPG placement actor: a bid per host for a request; the leader places on the highest feasible bid',
  async predict (registry, input) {
    const rows = (input as { obs?: unknown })?.obs
    if (!Array.isArray(rows) || rows.length === 0 || !rows.every(r => Array.isArray(r) && r.length === OBS && r.every(v => typeof v === 'number'))) {
      throw new NovacronError('usage', `placement input: { "obs": [[${PLACEMENT_FEATURES.join(', ')}], ...] } (one row of ${OBS} numbers per host)`)
    }
    const out = await registry.run('placement', { obs: { data: new Float32Array(rows.flat() as number[]), dims: [rows.length, OBS] } })
    return { bids: Array.from(out.bid.data) }
  },
  async evaluate (_registry, dataDir) {
    const { runPlacementBench } = await import('../../alloc/sim/bench.ts')
    const bidder = loadPlacementBidder()
    if (bidder == null) throw new NovacronError('failure', 'no placement model shipped')
    const { dataRoot } = await import('../../alloc/sim/trace.ts')
    const b = runPlacementBench({ trace: 'azure', policies: ['maddpg', 'first-fit', 'k8s-least-allocated', 'k8s-most-allocated', 'k8s-balanced'], dataDir: dataRoot(dataDir), maddpg: bidder })
    const byPolicy = (name: string): Record<string, unknown> => Object.fromEntries(b.rows.filter(r => r.policy === name).map(r => [`load${r.load}`, { missedVcpuHPct: r.missedVcpuHPct, missedPct: r.missedPct, vsBestFit: r.vsBestFit }]))
    return {
      model: 'placement',
      data: dataDir,
      samples: b.seeds * b.loads.length,
      scope: `${b.window} (held out), ${b.seeds} paired seeds per load`,
      metrics: { model: byPolicy('maddpg'), baselines: Object.fromEntries(['best-fit', 'random', 'first-fit'].map(n => [n, byPolicy(n)])) }
    }
  },
  // One fold per trace: the actor learned on Azure's dev window only, so openb is a source it never saw.
  // The headline is missed vCPU-hours (percent) averaged over the bench's offered loads.
  async evaluateBySource (dataDir, opts) {
    const { runPlacementBench } = await import('../../alloc/sim/bench.ts')
    const { dataRoot } = await import('../../alloc/sim/trace.ts')
    const bidder = loadPlacementBidder()
    if (bidder == null) throw new NovacronError('failure', 'no placement model shipped')
    const baselines = ['best-fit', 'first-fit', 'random', 'k8s-least-allocated', 'k8s-most-allocated', 'k8s-balanced']
    const folds = []
    for (const trace of ['azure', 'openb'] as const) {
      opts.log?.(`placement: ${trace} held-out window`)
      const b = runPlacementBench({ trace, policies: ['maddpg', ...baselines], dataDir: dataRoot(dataDir), maddpg: bidder })
      const mean = (policy: string): Record<string, number> => {
        const rows = b.rows.filter(r => r.policy === policy)
        return { missedVcpuHPct: rows.reduce((t, r) => t + r.missedVcpuHPct, 0) / Math.max(1, rows.length) }
      }
      folds.push(judgeFold({
        source: trace,
        groups: b.hosts,
        samples: b.seeds * b.loads.length,
        model: mean('maddpg'),
        baselines: Object.fromEntries(baselines.map(n => [n, mean(n)]))
      }, m => m.missedVcpuHPct as number, true))
    }
    return { model: 'placement', data: dataDir, sourceKind: 'workload trace', metric: 'missedVcpuHPct', lowerIsBetter: true, seed: opts.seed ?? 1, folds }
  },
  async train (req: TrainRequest): Promise<{ entry: ManifestEntry }> {
    const { trainPlacement } = await import('../train/placement.ts')
    return await trainPlacement(req)
  }
}
