// The federated-learning simulator: many clients in one process, trained one after another with the
// project's tfjs pipeline (fitLstm), links and their changes over rounds from each client's own trace,
// drops from a per-client reliability. What differs between policies is only who is selected: the
// clients, their data, links, compute speeds and the drop draws are fixed by the seed, so runs pair.
// Time is simulated (transfers from the traces, compute from a per-window cost), bytes are the encoded
// messages' real sizes.
import { fitLstm, lstmForward, type LstmWeights } from '../ml/train/lstm.ts'
import { hashString, mulberry32 } from '../ml/train/random.ts'
import type { CodecName } from '../dwcp/codecs/codec.ts'
import { buildFlData, histogram, type ClientData, type HeldOut, type Source } from './data.ts'
import { fedAvg } from './fedavg.ts'
import { createPolicy, type ClientInfo, type PolicyName } from './selection.ts'
import { encodeTensors } from './tensors.ts'
import { roundMessages, transferS, traffic } from './topology.ts'
import { initialLstm, lstmToTensors, tensorsToLstm } from './weights.ts'

export interface SimOptions {
  clients: number
  /** Clients per round (k) for every policy but `full`. */
  perRound: number
  localSteps: number
  batch: number
  learningRate: number
  hidden: number
  maxRounds: number
  /** Target = targetRatio x the centrally trained model's held-out loss. */
  targetRatio: number
  centralSteps: number
  maxWindowsPerClient: number
  maxHeldOutPerSource: number
  codec: CodecName
  /** Round deadline as a multiple of the median expected round time. */
  deadlineFactor: number
  /** Simulated compute cost of one window in one step on a speed-1 client. */
  computeMsPerWindow: number
}

export const SIM_DEFAULTS: SimOptions = {
  clients: 20, perRound: 4, localSteps: 5, batch: 32, learningRate: 0.01, hidden: 8, maxRounds: 60, targetRatio: 1.03,
  centralSteps: 300, maxWindowsPerClient: 800, maxHeldOutPerSource: 300, codec: 'zstd', deadlineFactor: 3, computeMsPerWindow: 0.5
}

/** RTTs are not in the throughput traces: a nominal figure per network type (an assumption, stated). */
const RTT_MS: Record<Source, number> = { 'norway-hsdpa': 120, fcc: 30, oboe: 60, 'puffer-2022': 50, '5gophers': 40 }

/** Oort's loss and duration report per participant; TCS's data summary once per client. */
const REPORT_BYTES = 16
const SUMMARY_BYTES = 4 * 8 + 8

export interface SimClient extends ClientData { speed: number, reliability: number, meanMbps: number, rttMs: number, hist: number[] }

export interface SimSetup {
  opts: SimOptions
  seed: number
  clients: SimClient[]
  heldOut: HeldOut[]
  sources: Source[]
  init: LstmWeights
  centralLoss: number
  lastValueLoss: number
  target: number
}

/** Held-out log-L1 of the forecast, macro-averaged over sources (5G would dominate a pooled mean). */
export function macroLoss (w: LstmWeights, heldOut: readonly HeldOut[]): number {
  const per = heldOut.map(h => h.x.reduce((a, x, i) => a + Math.abs(lstmForward(w, x) - h.y[i]), 0) / h.x.length)
  return per.reduce((a, v) => a + v, 0) / per.length
}

const mean = (v: readonly number[]): number => v.reduce((a, x) => a + x, 0) / Math.max(1, v.length)

export async function prepareSim (dataRoot: string, seed: number, opts: SimOptions = SIM_DEFAULTS): Promise<SimSetup> {
  const data = buildFlData(dataRoot, opts)
  const rand = mulberry32(seed * 7919 + 1)
  const clients: SimClient[] = data.clients.map(c => {
    // Compute speed: log-normal around 1 (x/÷ ~2); reliability 0.6..1.
    const u1 = Math.max(1e-9, rand())
    const u2 = rand()
    const speed = Math.exp(0.7 * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2))
    return { ...c, speed, reliability: 0.6 + 0.4 * rand(), meanMbps: Math.max(0.05, mean(c.linkTrace)), rttMs: RTT_MS[c.source], hist: histogram(c.y) }
  })
  const init = initialLstm(opts.hidden, seed)
  const central = await fitLstm(clients.flatMap(c => c.x), clients.flatMap(c => c.y), 1, { hidden: opts.hidden, steps: opts.centralSteps, batch: opts.batch, learningRate: opts.learningRate, seed, optimizer: 'adam' }, init)
  const centralLoss = macroLoss(central.weights, data.heldOut)
  return { opts, seed, clients, heldOut: data.heldOut, sources: data.sources, init, centralLoss, lastValueLoss: macroLoss(init, data.heldOut), target: opts.targetRatio * centralLoss }
}

export interface SimRound { round: number, participants: number, returned: number, dropped: number, late: number, bytes: number, modelBytes: number, updateBytes: number, reportBytes: number, roundS: number, loss: number }

export interface SimRun {
  policy: PolicyName
  seed: number
  reached: boolean
  rounds: number
  /** Bytes, simulated seconds and rounds until the held-out loss first reached the target (null: never). */
  roundsToTarget: number | null
  bytesToTarget: number | null
  wallClockToTargetS: number | null
  finalLoss: number
  bestLoss: number
  history: SimRound[]
}

const roundSeed = (seed: number, round: number, id: string): number => hashString(`${seed}/${round}/${id}`)

export async function simulate (setup: SimSetup, policyName: PolicyName, onRound?: (r: SimRound) => void): Promise<SimRun> {
  const { opts, seed, clients } = setup
  const policy = createPolicy(policyName)
  const rand = mulberry32(seed * 104729 + 3)
  let global = setup.init
  const modelBytes = (await encodeTensors(lstmToTensors(global), opts.codec)).length
  const expected = (c: SimClient): number => 2 * transferS(modelBytes, { mbps: c.meanMbps, rttMs: c.rttMs }) + opts.localSteps * Math.min(opts.batch, c.y.length) * opts.computeMsPerWindow / 1000 / c.speed
  const deadlineS = opts.deadlineFactor * [...clients.map(expected)].sort((a, b) => a - b)[Math.floor(clients.length / 2)]
  const infos: ClientInfo[] = clients.map(c => ({ id: c.id, samples: c.y.length, linkMbps: c.meanMbps, rttMs: c.rttMs, reliability: c.reliability, histogram: c.hist, durationS: expected(c) }))
  const byId = new Map(clients.map(c => [c.id, c]))
  const reports = policyName === 'oort' || policyName === 'tcs'
  const run: SimRun = { policy: policyName, seed, reached: false, rounds: 0, roundsToTarget: null, bytesToTarget: null, wallClockToTargetS: null, finalLoss: macroLoss(global, setup.heldOut), bestLoss: Infinity, history: [] }
  let bytes = policyName === 'tcs' ? clients.length * SUMMARY_BYTES : 0
  let clock = 0
  for (let round = 1; round <= opts.maxRounds; round++) {
    const chosen = policy.select(infos, opts.perRound, round, rand)
    const modelSize = (await encodeTensors(lstmToTensors(global), opts.codec)).length
    const updates: Array<{ id: string, samples: number, tensors: ReturnType<typeof lstmToTensors>, loss: number, durationS: number }> = []
    const sizes = new Map<string, number>()
    let dropped = 0
    let late = 0
    for (const id of chosen) {
      const c = byId.get(id) as SimClient
      const r = mulberry32(roundSeed(seed, round, id))
      if (r() > c.reliability) { dropped++; sizes.set(id, 0); continue }
      const link = { mbps: Math.max(0.05, c.linkTrace[round % c.linkTrace.length]), rttMs: c.rttMs }
      const durationS = 2 * transferS(modelSize, link) + opts.localSteps * Math.min(opts.batch, c.y.length) * opts.computeMsPerWindow / 1000 / c.speed
      if (durationS > deadlineS) { late++; sizes.set(id, modelSize); continue }
      const fit = await fitLstm(c.x, c.y, 1, { hidden: opts.hidden, steps: opts.localSteps, batch: opts.batch, learningRate: opts.learningRate, seed: roundSeed(seed, round, id), optimizer: 'adam' }, global)
      const tensors = lstmToTensors(fit.weights)
      sizes.set(id, (await encodeTensors(tensors, opts.codec)).length)
      updates.push({ id, samples: fit.samples, tensors, loss: fit.loss, durationS })
    }
    // Bytes on every link: the model goes to every participant; an update comes back from those that
    // finished (a late one's upload is cut off at the deadline, counted in full: it was sent).
    const messages = roundMessages('coordinator', chosen, { model: modelSize, update: id => sizes.get(id) ?? 0, report: reports ? REPORT_BYTES : 0 })
      .filter(m => m.bytes > 0 && !(m.kind === 'report' && !updates.some(u => u.id === m.from)))
    const roundBytes = traffic('coordinator', messages).total
    bytes += roundBytes
    const roundS = dropped + late > 0 ? deadlineS : Math.max(0, ...updates.map(u => u.durationS))
    clock += roundS
    if (updates.length > 0) {
      const w = tensorsToLstm(fedAvg(updates))
      if (w.ok) global = w.value
    }
    policy.observe({ round, results: updates.map(u => ({ id: u.id, loss: u.loss, samples: u.samples, durationS: u.durationS })) })
    const loss = macroLoss(global, setup.heldOut)
    const kinds = (k: string): number => messages.filter(m => m.kind === k).reduce((a, m) => a + m.bytes, 0)
    const rec: SimRound = { round, participants: chosen.length, returned: updates.length, dropped, late, bytes: roundBytes, modelBytes: modelSize, updateBytes: kinds('update'), reportBytes: kinds('report'), roundS, loss }
    run.history.push(rec)
    onRound?.(rec)
    run.rounds = round
    run.finalLoss = loss
    run.bestLoss = Math.min(run.bestLoss, loss)
    if (loss <= setup.target) {
      run.reached = true
      run.roundsToTarget = round
      run.bytesToTarget = bytes
      run.wallClockToTargetS = clock
      break
    }
  }
  return run
}

export { buildFlData }
