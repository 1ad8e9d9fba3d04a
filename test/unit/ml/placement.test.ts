// The MADDPG placement actor: its ONNX export agrees with the TypeScript forward pass (1,000 rows, and the
// same host chosen in every recorded decision); a short training run has finite losses and bids that
// differ across hosts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ModelRegistry } from '../../../src/ml/registry.ts'
import { publish } from '../../../src/ml/train/publish.ts'
import { actorForward, DEFAULT_MADDPG, trainMaddpg, type ActorWeights } from '../../../src/ml/train/maddpg.ts'
import { actorOnnx, bidderOf, loadActorWeights } from '../../../src/ml/tasks/placement.ts'
import { encodeObservations, OBS } from '../../../src/ml/features/placement.ts'
import { biddingPolicy, HEURISTICS, randomPolicy, type HostView } from '../../../src/alloc/policies.ts'
import { simulate } from '../../../src/alloc/sim/sim.ts'
import type { TraceHost, TraceRequest, TraceWindow } from '../../../src/alloc/sim/trace.ts'
import { mulberry32 } from '../../../src/ml/train/random.ts'

function randomActor (seed: number): ActorWeights {
  const r = mulberry32(seed)
  const sizes = [OBS, 16, 16, 1]
  return { sizes, layers: sizes.slice(1).map((out, i) => ({ w: Array.from({ length: sizes[i] * out }, () => (r() * 2 - 1) * 0.8), b: Array.from({ length: out }, () => r() - 0.5) })) }
}

function randomHosts (r: () => number, n: number): HostView[] {
  return Array.from({ length: n }, (_, i) => ({ id: `h${i}`, capacity: { cpu: 32_000, memMiB: 65_536, diskGiB: 0 }, used: { cpu: Math.floor(r() * 33) * 1000, memMiB: Math.floor(r() * 65) * 1024, diskGiB: 0 }, live: r() > 0.05 }))
}

test('ONNX actor parity: |TS - ORT| <= 1e-5 on 1,000 rows, and the same host wins every recorded decision', async (t) => {
  const actor = loadActorWeights() ?? randomActor(3)
  const dir = mkdtempSync(join(tmpdir(), 'nc-placement-'))
  await publish(dir, { name: 'placement', bytes: actorOnnx(actor), features: [], data: 'test', split: 'none', seed: 0, metrics: {}, card: '' })
  const registry = new ModelRegistry(dir)
  t.after(() => registry.close())
  const r = mulberry32(11)
  const decisions = Array.from({ length: 1000 / 16 + 1 }, () => ({ req: { cpu: 1000 * (1 + Math.floor(r() * 8)), memMiB: 1024 * (1 + Math.floor(r() * 40)), diskGiB: 0 }, hosts: randomHosts(r, 16) }))
  const rows: Float32Array[] = []
  for (const d of decisions) {
    const obs = encodeObservations(d.req, d.hosts)
    for (let i = 0; i < 16; i++) rows.push(obs.slice(i * OBS, (i + 1) * OBS))
  }
  const ort = (await registry.runRows('placement', rows, 'bid')).map(x => x[0])
  rows.forEach((row, i) => {
    const ts = actorForward(actor, row, 1)[0]
    assert.ok(Math.abs(ts - ort[i]) <= 1e-5, `row ${i}: ts ${ts} vs onnx ${ort[i]}`)
  })
  const viaTs = biddingPolicy('ts', bidderOf(actor))
  decisions.forEach((d, k) => {
    const viaOrt = biddingPolicy('ort', () => ort.slice(k * 16, (k + 1) * 16))
    assert.equal(viaOrt.choose(d.req, d.hosts), viaTs.choose(d.req, d.hosts), `decision ${k}`)
  })
})

test('training smoke: 60 updates on a synthetic day give finite losses and bids that differ across hosts', async () => {
  const r = mulberry32(5)
  const shapes = [[1, 768], [2, 3584], [4, 7168], [8, 14_336], [2, 16_384], [8, 57_344]]
  const requests: TraceRequest[] = Array.from({ length: 1500 }, (_, i) => {
    const [c, m] = shapes[Math.floor(r() * shapes.length)]
    return { t: i * 55, cpu: c * 1000, memMiB: m, diskGiB: 0, durationS: 300 + Math.floor(r() * 30_000), censored: false, batch: -1 }
  })
  const window: TraceWindow = { name: 'synthetic-day', start: 0, end: 86_400, requests }
  const hosts: TraceHost[] = Array.from({ length: 8 }, (_, i) => ({ id: `h${i}`, capacity: { cpu: 32_000, memMiB: 65_536, diskGiB: 0 } }))
  const res = await trainMaddpg([{ window, requests }], hosts, { ...DEFAULT_MADDPG, hidden: 32, criticHidden: 64, batch: 64, updates: 60, seed: 2 })
  assert.equal(res.criticLoss.length, 60)
  assert.ok([...res.criticLoss, ...res.actorLoss].every(Number.isFinite), 'finite losses')
  const hv = randomHosts(mulberry32(9), 8).map(h => ({ ...h, live: true }))
  const bids = actorForward(res.actor, encodeObservations({ cpu: 2000, memMiB: 4096, diskGiB: 0 }, hv), hv.length)
  const mean = bids.reduce((s, b) => s + b, 0) / bids.length
  const sd = Math.sqrt(bids.reduce((s, b) => s + (b - mean) ** 2, 0) / bids.length)
  assert.ok(sd > 1e-3, `bid standard deviation across hosts ${sd}`)
  // The trained actor is a valid policy in the simulator (capacity and release invariants hold).
  const m = simulate(biddingPolicy('maddpg', bidderOf(res.actor)), hosts, window, requests, { check: true, warmupS: 0 }).metrics
  assert.equal(m.accepted + m.missed, m.requests)
  const rnd = simulate(randomPolicy(mulberry32(1)), hosts, window, requests, { warmupS: 0 }).metrics
  const bf = simulate(HEURISTICS['best-fit'], hosts, window, requests, { warmupS: 0 }).metrics
  console.log(`# smoke slice: missed vCPU-h % maddpg ${m.missedVcpuHPct}, random ${rnd.missedVcpuHPct}, best-fit ${bf.missedVcpuHPct}`)
})
