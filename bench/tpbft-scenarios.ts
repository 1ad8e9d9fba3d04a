// SIMULATED (deterministic simulator, WonderNetwork RTT fixture, virtual time; not measured on hardware):
// T-PBFT's outer view changes and inner failovers against three PBFT baselines under one latency model,
// load and timeouts: B1 stable-leader PBFT, B2 PBFT rotating its primary every 100 committed sequence
// numbers, B3 PBFT whose view primaries follow T-PBFT's trust ranking. Each fault (src/consensus/sim/
// faults.ts) is one description aimed at every protocol's own proposers in the order it fails over to
// them: S1 crash of the current primary, S2 f crashes placed adversarially, S4 the primary flapping
// 30 s down / 30 s up, S5 a primary delayed just past the timeout. Prints a table and JSON (--json); each
// figure is the median over seeds; events are per honest node per 10,000 committed transactions
// (--json: the JSON only).
//   npm run bench:tpbft-scenarios -- [--n 16] [--seeds 3] [--commits 2000] [--tps 100]
// The size: --n 16 --seeds 30 --commits 10000, and again with --n 31 (hours on two cores).
import { parseArgs } from 'node:util'
import { MessageSigner, MessageVerifier } from '../src/consensus/core/message.ts'
import type { ProtocolKeys } from '../src/consensus/core/module.ts'
import { ValidatorSet } from '../src/consensus/core/validators.ts'
import { pbftCodec } from '../src/consensus/pbft/index.ts'
import { rotatingPbftVariant, trustOrderedPbftVariant } from '../src/consensus/pbft/baselines.ts'
import type { ThreePhaseVariant } from '../src/consensus/three-phase/variant.ts'
import { compileFault } from '../src/consensus/sim/faults.ts'
import type { FaultSpec } from '../src/consensus/sim/faults.ts'
import { scenarioFor, simNodeIds } from '../src/consensus/sim/scenario.ts'
import type { Scenario } from '../src/consensus/sim/scenario.ts'
import { measureViewChanges } from './lib/view-change-run.ts'
import { ThreePhaseReplica } from '../src/consensus/three-phase/replica.ts'
import { epochConfig } from '../src/consensus/tpbft/epoch.ts'
import { TrustLedger } from '../src/consensus/tpbft/evidence.ts'

const { values } = parseArgs({ options: { n: { type: 'string', default: '16' }, seeds: { type: 'string', default: '3' }, commits: { type: 'string', default: '2000' }, tps: { type: 'string', default: '100' }, only: { type: 'string' }, json: { type: 'boolean', default: false } } })
const n = Number(values.n)
const seeds = Number(values.seeds)
const commits = Number(values.commits)
const tps = Number(values.tps)
const f = Math.floor((n - 1) / 3)
/** Every fault starts here; transactions are offered at `tps` from then until `commits` were offered. */
const FAULT_AT_MS = 5000
const ROTATE_EVERY = 100
const submitUntilMs = FAULT_AT_MS + Math.ceil(commits / tps * 1000)
const endMs = submitUntilMs + 20_000
const ids = simNodeIds(n)
const validators = new ValidatorSet(ids.map((id) => ({ id, publicKey: new Uint8Array(32) })))
const epoch0 = epochConfig({ epoch: 0, validators, evidence: new TrustLedger(), checkpointRoot: new Uint8Array(32), groupSize: 4 })
const idx = (id: string): number => ids.indexOf(id)

const SYSTEMS = ['pbft', 'pbft-rotate', 'pbft-trust', 'tpbft'] as const
type System = typeof SYSTEMS[number]
/** Who a fault hits first for each system: its view-0 proposer(s), then the ones it would fail over to.
 *  B2 rotates through the canonical order like B1, so the same nodes are its next primaries. */
const targets: Record<System, number[]> = {
  pbft: ids.map((_, i) => i),
  'pbft-rotate': ids.map((_, i) => i),
  'pbft-trust': epoch0.ranking.map(idx),
  tpbft: [...new Set([...epoch0.groups.flat(), ...epoch0.ranking].map(idx))]
}

const baseline = (variant: (v: ValidatorSet) => ThreePhaseVariant) => (keys: ProtocolKeys, params: any): ThreePhaseReplica => new ThreePhaseReplica({
  self: keys.self,
  validators: keys.validators,
  signer: new MessageSigner(keys.signer, pbftCodec, keys.genesisHash),
  verifier: new MessageVerifier(keys.verifier, pbftCodec, keys.genesisHash),
  params,
  variant: variant(keys.validators),
  codec: pbftCodec
})
const builds: Record<System, object> = {
  pbft: {},
  'pbft-rotate': { create: baseline((v) => rotatingPbftVariant(v, ROTATE_EVERY)) },
  'pbft-trust': { create: baseline((v) => trustOrderedPbftVariant(v, epoch0.ranking)) },
  tpbft: {}
}

const FAULTS: ReadonlyArray<{ readonly name: string, readonly spec: FaultSpec }> = [
  { name: 'S0 none', spec: { kind: 'none' } },
  { name: 'S1 crash primary', spec: { kind: 'crash', count: 1, atMs: FAULT_AT_MS } },
  { name: 'S2 f crashes', spec: { kind: 'crash', count: f, atMs: FAULT_AT_MS } },
  { name: 'S4 flapping', spec: { kind: 'flap', atMs: FAULT_AT_MS, downMs: 30_000, upMs: 30_000 } },
  { name: 'S5 delayed primary', spec: { kind: 'byzantine', count: 1, adversary: 'delay' } }
]

function scenarioOf (system: System, spec: FaultSpec, seed: number): Scenario {
  const base = scenarioFor({ protocol: system === 'tpbft' ? 'tpbft' : 'pbft', seed, n, adversary: 'none' })
  const fault = compileFault(spec, targets[system], endMs)
  // Same load, timeouts and network for all four: only the fault's placement differs, by design.
  return { ...base, ...fault, partitions: [], loss: 0, duplicate: 0, reorder: 0, txs: commits + Math.ceil(FAULT_AT_MS / 1000 * tps), submitUntilMs, clientRetryMs: 4000, stabilizeAtMs: endMs, livenessBoundMs: endMs, maxTimeMs: endMs + 30_000 }
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s.length === 0 ? NaN : s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2 }

interface Row { system: System, fault: string, outerPer10k: number, innerPer10k: number, txsDone: number, p50Ms: number, maxMs: number, msgsPerTx: number, bytesPerTx: number, violations: number, wallMsPerRun: number }
const rows: Row[] = []
for (const { name, spec } of FAULTS) {
  if (values.only !== undefined && !name.startsWith(values.only)) continue
  for (const system of SYSTEMS) {
    const runs: Row[] = []
    for (let seed = 1; seed <= seeds; seed++) {
      const s = scenarioOf(system, spec, seed)
      const t0 = performance.now()
      const figures = measureViewChanges(s, builds[system])
      runs.push({ system, fault: name, ...figures, wallMsPerRun: performance.now() - t0 })
    }
    const m = (k: keyof Row): number => median(runs.map((x) => x[k] as number))
    rows.push({ system, fault: name, outerPer10k: m('outerPer10k'), innerPer10k: m('innerPer10k'), txsDone: m('txsDone'), p50Ms: m('p50Ms'), maxMs: m('maxMs'), msgsPerTx: m('msgsPerTx'), bytesPerTx: m('bytesPerTx'), violations: runs.reduce((a, x) => a + (x.violations > 0 ? 1 : 0), 0), wallMsPerRun: m('wallMsPerRun') })
    process.stderr.write(`${name} ${system}: ${(m('wallMsPerRun') / 1000).toFixed(1)} s per run\n`)
  }
}

const fmt = (x: number, d = 1): string => Number.isFinite(x) ? x.toFixed(d) : '-'
const json = JSON.stringify({ simulated: true, n, f, seeds, commits, tps, rotateEvery: ROTATE_EVERY, faultAtMs: FAULT_AT_MS, rows }, null, 2)
if (values.json) console.log(json)
else {
  console.log(`SIMULATED: n=${n} f=${f}, ${seeds} seeds, ${commits} txs offered at ${tps}/s after the fault (t=${FAULT_AT_MS / 1000} s), WonderNetwork RTT fixture; medians over seeds; events per honest node per 10k committed txs; max ms stands in for downtime`)
  console.log('fault                system       outer/10k  inner/10k  txs done  p50 ms  max ms  msgs/tx  bytes/tx  violating runs')
  for (const r of rows) console.log(`${r.fault.padEnd(20)} ${r.system.padEnd(12)} ${fmt(r.outerPer10k).padStart(9)}  ${fmt(r.innerPer10k).padStart(9)}  ${String(r.txsDone).padStart(8)}  ${String(r.p50Ms).padStart(6)}  ${String(r.maxMs).padStart(6)}  ${fmt(r.msgsPerTx, 0).padStart(7)}  ${fmt(r.bytesPerTx, 0).padStart(8)}  ${r.violations}`)
  console.log(json)
}
