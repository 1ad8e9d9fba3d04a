// ProBFT against PBFT, simulated (in-process replicas, fake signatures and fake VRF, messages delivered in a
// seeded random order): network messages per decision (pre-prepare, prepare, commit), latency in message
// delays from the proposal to the last replica's decision, and the per-replica quorum-miss rate with f
// silent replicas measured from the protocol's own sampler against the analytic value (99% Wilson interval).
// Labelled simulated: no network, no real crypto.   npm run bench:probft [-- --seeds 20 --json]
import { parseArgs } from 'node:util'
import { createHash } from 'node:crypto'
import { FakeSigner, FakeVerifier } from '../src/crypto/signer.ts'
import { makeBatch } from '../src/consensus/core/batch.ts'
import type { Signed, Message } from '../src/consensus/core/message.ts'
import type { Effect, Protocol } from '../src/consensus/core/protocol.ts'
import { ValidatorSet } from '../src/consensus/core/validators.ts'
import { pbftModule } from '../src/consensus/pbft/module.ts'
import { probftModule } from '../src/consensus/probft/module.ts'
import { binomialTail, probftQuorum, probftSampleSize } from '../src/consensus/probft/odds.ts'
import { sampleIndices } from '../src/consensus/probft/sampling.ts'

const { values } = parseArgs({ options: { seeds: { type: 'string', default: '10' }, trials: { type: 'string', default: '4000' }, json: { type: 'boolean', default: false } } })
const SEEDS = Number(values.seeds)
const TRIALS = Number(values.trials)

/** The settings measured, per n: (l, o) and the faults the sampled quorums are sized for. */
const SETTINGS: Array<{ n: number, l: number, o: number, faults: number }> = [
  { n: 16, l: 1.5, o: 2, faults: 5 },
  { n: 64, l: 1.2, o: 2, faults: 6 },
  { n: 100, l: 1.2, o: 2, faults: 10 },
  { n: 200, l: 2, o: 2, faults: 20 }
]

function rng (seed: number): () => number {
  let x = seed * 2654435761 % 2 ** 32 || 1
  return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 2 ** 32 }
}

interface Run { readonly messages: number, readonly delays: number, readonly decided: number }

/** One batch through n fresh replicas; counts the phase messages that cross the network. */
function oneDecision (protocol: 'pbft' | 'probft', n: number, params: Record<string, number>, seed: number): Run {
  const ids = Array.from({ length: n }, (_, i) => `r${String(i).padStart(3, '0')}`)
  const validators = new ValidatorSet(ids.map((id) => ({ id, publicKey: new Uint8Array(32) })))
  const genesisHash = createHash('sha256').update(`bench/${seed}`).digest()
  const m = protocol === 'pbft' ? pbftModule : probftModule
  const p = m.params.parse({ batchSize: 1, batchDelayMs: 0, watermarkWindow: 4, checkpointInterval: 2, ...params } as never)
  const replicas = new Map<string, Protocol<Message>>(ids.map((id) => [id, (m.create as (k: unknown, p: unknown) => Protocol<Message>)({ self: id, validators, signer: new FakeSigner(id), verifier: new FakeVerifier(), genesisHash }, p)]))
  const random = rng(seed + 1)
  type Delivery = { to: string, from: string, msg: Signed<Message>, depth: number }
  // Rounds of message delays: every message of one depth goes (in a seeded random, sender-oblivious order)
  // before the next depth, so a message's depth is the delays before it.
  let rounds: Delivery[][] = []
  const queue = { push: (d: Delivery): void => { (rounds[d.depth] ??= []).push(d) } }
  let messages = 0
  let delays = 0
  let decided = 0
  const handle = (from: string, fx: Effect<Message>[], depth: number): void => {
    for (const e of fx) {
      if (e.kind === 'send' || e.kind === 'broadcast') {
        const to = e.kind === 'send' ? e.to.filter((id) => id !== from) : ids.filter((id) => id !== from)
        const t = e.msg.msg.type
        if (t === 'pre-prepare' || t === 'prepare' || t === 'commit') messages += to.length
        for (const id of to) queue.push({ to: id, from, msg: e.msg, depth: depth + 1 })
      } else if (e.kind === 'commit') {
        decided++
        delays = Math.max(delays, depth)
      }
    }
  }
  for (const [id, r] of replicas) handle(id, r.start({ seq: 0, stateRoot: new Uint8Array(32) }, 0), 0)
  rounds = []
  messages = 0
  const leader = ids[0]
  handle(leader, (replicas.get(leader) as Protocol<Message>).onRequest(makeBatch([new TextEncoder().encode(`tx/${seed}`)]), 1), 0)
  for (let depth = 0; depth < rounds.length; depth++) {
    const round = rounds[depth] ?? []
    while (round.length > 0) {
      const i = Math.floor(random() * round.length)
      const d = round[i]
      round[i] = round[round.length - 1]
      round.pop()
      handle(d.to, (replicas.get(d.to) as Protocol<Message>).onMessage(d.from, d.msg, 2), d.depth)
    }
  }
  return { messages, delays, decided }
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }

/** 99% Wilson score interval for k successes in n trials. */
function wilson (k: number, n: number, z = 2.576): [number, number] {
  const p = k / n
  const den = 1 + z * z / n
  const mid = (p + z * z / (2 * n)) / den
  const half = z * Math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
  return [Math.max(0, mid - half), Math.min(1, mid + half)]
}

/** Per correct replica and phase: it misses the quorum when its own vote plus the correct senders whose
 *  sample holds it fall short of q (f silent), measured with the protocol's sampler over random VRF outputs. */
function measuredMiss (n: number, f: number, q: number, s: number, trials: number): { misses: number, total: number, analytic: number } {
  let misses = 0
  let total = 0
  for (let t = 0; t < trials; t++) {
    const hits = new Array(n).fill(0)
    for (let i = 0; i < n - f; i++) {
      const beta = createHash('sha512').update(`miss/${n}/${t}/${i}`).digest()
      for (const j of sampleIndices(beta, n, s)) if (j !== i) hits[j]++
    }
    for (let j = 0; j < n - f; j++) { total++; if (1 + hits[j] < q) misses++ }
  }
  // Own vote plus Bin(n - f - 1, s/n) others.
  return { misses, total, analytic: binomialTail(n - f - 1, s, n, q - 1, false).p }
}

const rows: Array<Record<string, number | string>> = []
for (const st of SETTINGS) {
  const params = { lPercent: Math.round(st.l * 100), oPercent: Math.round(st.o * 100), faults: st.faults }
  const q = probftQuorum(st.n, st.l)
  const s = probftSampleSize(st.n, q, st.o)
  const pb: Run[] = []
  const pr: Run[] = []
  for (let seed = 0; seed < SEEDS; seed++) {
    pb.push(oneDecision('pbft', st.n, {}, seed))
    pr.push(oneDecision('probft', st.n, params, seed))
  }
  const pbft = median(pb.map((r) => r.messages))
  const probft = median(pr.map((r) => r.messages))
  const fMiss = Math.floor((st.n - 1) / 3)
  const miss = measuredMiss(st.n, st.faults, q, s, Math.max(1, Math.floor(TRIALS * 16 / st.n)))
  const [lo, hi] = wilson(miss.misses, miss.total)
  rows.push({
    n: st.n, l: st.l, o: st.o, faults: st.faults, q, sample: s,
    pbftMessages: pbft, probftMessages: probft, formula: (st.n - 1) * (2 * s + 1), ratio: +(probft / pbft).toFixed(3),
    pbftDelays: median(pb.map((r) => r.delays)), probftDelays: median(pr.map((r) => r.delays)),
    probftAllDecided: pr.filter((r) => r.decided === st.n).length + '/' + SEEDS,
    missMeasured: +(miss.misses / miss.total).toExponential(2), missAnalytic: +miss.analytic.toExponential(2), miss99: `[${lo.toExponential(1)}, ${hi.toExponential(1)}]`,
    missInside: miss.analytic >= lo && miss.analytic <= hi ? 'yes' : 'NO', classicF: fMiss
  })
}

if (values.json) console.log(JSON.stringify({ simulated: true, seeds: SEEDS, rows }, null, 2))
else {
  console.log(`ProBFT vs PBFT, SIMULATED (in-process, fake signatures and VRF, random delivery order), median of ${SEEDS} seeds per row`)
  const cols = Object.keys(rows[0])
  console.log(cols.join('\t'))
  for (const r of rows) console.log(cols.map((c) => r[c]).join('\t'))
  console.log(JSON.stringify({ simulated: true, seeds: SEEDS, rows }))
}
